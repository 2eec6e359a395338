// A ConfigMapPropagation copies one ConfigMap into every namespace whose labels match, and
// keeps the copies in step: a new matching namespace gets one, a namespace that stops
// matching loses it, a change to the source reaches every copy, and deleting the
// propagation takes the copies along. The source and the namespaces are read, not owned
// (`related`); the copies are the children.
import { builtinKinds, controller, customKind, type KubeObject, type ObjectOf, readyCondition } from "@kubefn/runtime";
import { Type } from "@kubefn/runtime/schema";

export const ConfigMapPropagation = customKind({
  group: "example.kubefn.dev",
  version: "v1",
  kind: "ConfigMapPropagation",
  scope: "Cluster",
  shortNames: ["cmp"],
  spec: Type.Object({
    source: Type.Object({
      namespace: Type.String({ minLength: 1, description: "The namespace of the ConfigMap to copy" }),
      name: Type.String({ minLength: 1, description: "The ConfigMap to copy" }),
    }),
    namespaceSelector: Type.Record(Type.String(), Type.String(), {
      description: "Labels a namespace must have to get a copy (matchLabels)",
    }),
  }),
  status: Type.Object({ copies: Type.Optional(Type.Array(Type.String())) }),
  columns: [
    { name: "Source", type: "string", jsonPath: ".spec.source.name" },
    { name: "Ready", type: "string", jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
  ],
});
export type ConfigMapPropagation = ObjectOf<typeof ConfigMapPropagation>;

type ConfigMap = KubeObject & { data?: Record<string, string> };

export const propagations = controller({
  name: "configmap-propagations",
  parent: ConfigMapPropagation,
  children: [builtinKinds.ConfigMap],
  related: {
    kinds: [builtinKinds.ConfigMap, builtinKinds.Namespace],
    select: ({ spec }) => [
      { apiVersion: "v1", kind: "ConfigMap", namespace: spec.source.namespace, names: [spec.source.name] },
      { apiVersion: "v1", kind: "Namespace", matchLabels: spec.namespaceSelector },
    ],
  },
  sync({ parent, related }) {
    const { source } = parent.spec;
    const original = related["ConfigMap.v1"]?.[`${source.namespace}/${source.name}`] as ConfigMap | undefined;
    if (!original) {
      return {
        children: [],
        status: {
          copies: [],
          conditions: [readyCondition(false, "SourceNotFound", `no ConfigMap ${source.namespace}/${source.name}`)],
        },
      };
    }
    const targets = Object.keys(related["Namespace.v1"] ?? {}).filter((name) => name !== source.namespace).sort();
    return {
      children: targets.map((namespace) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: source.name, namespace, labels: { "example.kubefn.dev/propagation": parent.metadata.name } },
        data: original.data ?? {},
      })),
      status: {
        copies: targets,
        conditions: [readyCondition(true, "Copied", `copied into ${targets.length} namespaces`)],
      },
    };
  },
});
