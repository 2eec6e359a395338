// A Website is an image served by a Deployment behind a Service, and an Ingress when it has a
// host. The kind is declared once: its TypeBox schema gives the spec's type, the CRD
// (`kubefn manifests`) and the check the runtime makes before each sync.
import {
  builtinKinds,
  controller,
  customKind,
  type KubeObject,
  type ObjectOf,
  objectOf,
  readyCondition,
} from "@kubefn/runtime";
import { Type } from "@kubefn/runtime/schema";

export const Website = customKind({
  group: "example.kubefn.dev",
  version: "v1",
  kind: "Website",
  shortNames: ["web"],
  spec: Type.Object({
    image: Type.String({ minLength: 1, description: "The container image that serves the site" }),
    replicas: Type.Integer({ minimum: 0, maximum: 50, default: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 8080, description: "The port the image listens on" }),
    host: Type.Optional(Type.String({ description: "A hostname to route to the site through an Ingress" })),
  }),
  status: Type.Object({
    availableReplicas: Type.Optional(Type.Integer()),
    url: Type.Optional(Type.String()),
  }),
  columns: [
    { name: "Image", type: "string", jsonPath: ".spec.image" },
    { name: "Available", type: "integer", jsonPath: ".status.availableReplicas" },
    { name: "Ready", type: "string", jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
  ],
});
export type Website = ObjectOf<typeof Website>;

type Deployment = KubeObject & { status?: { availableReplicas?: number } };

export const websites = controller({
  name: "websites",
  parent: Website,
  children: [builtinKinds.Deployment, builtinKinds.Service, builtinKinds.Ingress],
  sync({ parent, children }) {
    const { name } = parent.metadata;
    const { image, replicas, port, host } = parent.spec;
    const labels = { "app.kubernetes.io/name": name };
    const available = objectOf<Deployment>(children, builtinKinds.Deployment, name)?.status?.availableReplicas ?? 0;
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "web", image, ports: [{ name: "http", containerPort: port }] }] },
        },
      },
    };
    const service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, labels },
      spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    };
    const ingress = host && {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name, labels },
      spec: {
        rules: [{
          host,
          http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name, port: { name: "http" } } } }] },
        }],
      },
    };
    const ready = available >= replicas;
    return {
      children: ingress ? [deployment, service, ingress] : [deployment, service],
      status: {
        availableReplicas: available,
        url: host ? `http://${host}/` : `http://${name}.${parent.metadata.namespace}.svc/`,
        conditions: [
          readyCondition(ready, ready ? "Available" : "Progressing", `${available} of ${replicas} replicas available`),
        ],
      },
    };
  },
});
