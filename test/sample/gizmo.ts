// A program whose parent kind is declared with customKind(): a Gizmo owns one ConfigMap
// carrying its size. Its tests install a lax CRD (the spec unchecked by the API server), so a
// Gizmo that does not fit the schema reaches the runtime, which must refuse to sync it.
//   node test/sample/gizmo.ts --help
import { builtinKinds, controller, customKind, type KubeObject, readyCondition } from "../../runtime/mod.ts";
import { Type } from "../../runtime/schema.ts";
import { crdOf } from "../../runtime/manifests.ts";
import { program, runProgram } from "../../runtime/run.ts";

export const Gizmo = customKind({
  group: "sample.runtime.test",
  version: "v1",
  kind: "Gizmo",
  spec: Type.Object({ size: Type.Integer({ minimum: 1 }), color: Type.Optional(Type.String()) }),
  status: Type.Object({ size: Type.Optional(Type.Integer()) }),
});

export const gizmos = controller({
  name: "gizmos",
  parent: Gizmo,
  children: [builtinKinds.ConfigMap],
  sync: ({ parent }) => ({
    children: [{
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: parent.metadata.name },
      data: { size: String(parent.spec.size) },
    }],
    status: { size: parent.spec.size, conditions: [readyCondition(true, "Synced", "the ConfigMap is written")] },
  }),
});

/** The CRD the tests install: the generated one with the spec's schema replaced by anything goes. */
export function laxGizmoCrd(): KubeObject {
  const crd = crdOf(Gizmo) as KubeObject & {
    spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: Record<string, unknown> } } }> };
  };
  crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec = {
    type: "object",
    "x-kubernetes-preserve-unknown-fields": true,
  };
  return crd;
}

if (process.argv[1] === import.meta.filename) {
  await runProgram(program({ name: "gizmo-controller", build: () => ({ controllers: [gizmos] }) }));
}
