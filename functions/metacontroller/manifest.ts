// Builds deploy/metacontroller.yaml: Metacontroller's CompositeController and
// DecoratorController CRDs (metacontroller.k8s.io/v1alpha1), and the runtime that runs them
// (functions/metacontroller/main.ts) with its ServiceAccount, RBAC and Deployment. The ClusterRole aggregates
// every ClusterRole labelled metacontroller.k8s.io/aggregate-to-metacontroller=true: that is
// how a user grants access to the kinds their controllers own. The YAML is committed; a unit
// test fails when it is stale.
//   npm run manifests        (rewrites every generated file under deploy/)
import { builtinKinds } from "../../runtime/mod.ts";
import { deployment, identity, managerAccess, policyRules } from "../../runtime/manifests.ts";
import { metacontrollerName } from "./program.ts";
import { CompositeControllerKind, DecoratorControllerKind } from "./types.ts";

export { metacontrollerName } from "./program.ts";
/** The image the Deployment runs (deploy/Containerfile builds it). */
export const image = "atomix/atomix-controller-ts:latest";
export const metacontrollerNamespace = "metacontroller";
export const aggregationLabel = "metacontroller.k8s.io/aggregate-to-metacontroller";
const labels = { app: metacontrollerName };
const workload = { name: metacontrollerName, namespace: metacontrollerNamespace, labels };

// The spec schemas follow upstream's CRDs (manifests/production/metacontroller-crds-v1.yaml)
// field by field, so every resource upstream's API server accepts is accepted here, with the same
// defaults; only the status is kept whole here (it holds the Ready condition).
const string = { type: "string" };
const int32 = { type: "integer", format: "int32" };
const resourceRule = {
  type: "object",
  required: ["apiVersion", "resource"],
  properties: { apiVersion: string, resource: string },
};
const method = { type: "string", enum: ["OnDelete", "Recreate", "InPlace", "RollingRecreate", "RollingInPlace"] };
const childUpdateStrategy = {
  type: "object",
  properties: {
    method,
    statusChecks: {
      type: "object",
      properties: {
        conditions: {
          type: "array",
          items: { type: "object", required: ["type"], properties: { type: string, status: string, reason: string } },
        },
      },
    },
  },
};
const matchExpressions = {
  type: "array",
  "x-kubernetes-list-type": "atomic",
  items: {
    type: "object",
    required: ["key", "operator"],
    properties: {
      key: string,
      operator: string,
      values: { type: "array", "x-kubernetes-list-type": "atomic", items: string },
    },
  },
};
const stringMap = { type: "object", additionalProperties: string };
const labelSelector = {
  type: "object",
  "x-kubernetes-map-type": "atomic",
  properties: { matchExpressions, matchLabels: stringMap },
};
const { "x-kubernetes-list-type": _, ...annotationExpressions } = matchExpressions;
const annotationSelector = {
  type: "object",
  properties: { matchAnnotations: stringMap, matchExpressions: annotationExpressions },
};

const secretRef = { type: "object", required: ["name", "namespace"], properties: { name: string, namespace: string } };
const secretKeyRef = {
  type: "object",
  required: ["key", "name", "namespace"],
  properties: { key: string, name: string, namespace: string },
};
const resourceKeyRef = {
  type: "object",
  required: ["name", "namespace"],
  properties: { key: { type: "string", default: "ca.crt" }, name: string, namespace: string },
};
/** caBundle, clientTLS, authorization and basicAuth: a webhook's own, or an endpointConfigs entry's. */
const connectionSettings = {
  caBundle: {
    type: "object",
    description: "PEM CA certificates for an https webhook: exactly one of inline, secretRef, configMapRef",
    properties: { inline: string, secretRef: resourceKeyRef, configMapRef: resourceKeyRef },
  },
  clientTLS: {
    type: "object",
    description: "A client certificate and key for mutual TLS, from a Secret",
    required: ["secretRef"],
    properties: {
      secretRef,
      certKey: { type: "string", default: "tls.crt" },
      privateKeyKey: { type: "string", default: "tls.key" },
    },
  },
  authorization: {
    type: "object",
    description: "An Authorization header `<type> <credential>`, the credential from a Secret key; not with basicAuth",
    required: ["secretRef"],
    properties: { type: { type: "string", default: "Bearer" }, secretRef: secretKeyRef },
  },
  basicAuth: {
    type: "object",
    description: "HTTP Basic authentication from a Secret; not with authorization",
    required: ["secretRef"],
    properties: {
      secretRef,
      usernameKey: { type: "string", default: "username" },
      passwordKey: { type: "string", default: "password" },
    },
  },
};
const webhook = {
  type: "object",
  properties: {
    url: string,
    timeout: { type: "string", format: "duration" },
    path: string,
    service: {
      type: "object",
      required: ["name", "namespace"],
      properties: { name: string, namespace: string, port: int32, protocol: string },
    },
    etag: {
      type: "object",
      description: "Accepted; every call is a full one",
      properties: { enabled: { type: "boolean" }, cacheTimeoutSeconds: int32, cacheCleanupSeconds: int32 },
    },
    responseUnMarshallMode: { type: "string", enum: ["loose", "strict"] },
    ...connectionSettings,
  },
};
const hook = {
  type: "object",
  properties: { version: { type: "string", enum: ["v1", "v2"], default: "v1" }, webhook },
};
const endpointConfigs = {
  type: "array",
  description: "Connection settings for every webhook whose URL's host (host:port) matches, unless it sets its own",
  items: { type: "object", required: ["host"], properties: { host: string, ...connectionSettings } },
};

function metacontrollerCrd(
  kind: string,
  plural: string,
  shortNames: string[],
  spec: Record<string, unknown>,
  required: string[],
) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    // The group is under k8s.io, which the API server protects; Metacontroller's own CRDs say the same.
    metadata: {
      name: `${plural}.metacontroller.k8s.io`,
      annotations: { "api-approved.kubernetes.io": "unapproved, request not yet submitted" },
    },
    spec: {
      group: "metacontroller.k8s.io",
      scope: "Cluster",
      names: {
        plural,
        singular: kind.toLowerCase(),
        kind,
        listKind: `${kind}List`,
        shortNames,
        categories: ["metacontroller"],
      },
      versions: [
        {
          name: "v1alpha1",
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              required: ["spec"],
              properties: {
                spec: { type: "object", required, properties: spec },
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
          },
        },
      ],
    },
  };
}

export const compositeControllerCrd = metacontrollerCrd("CompositeController", "compositecontrollers", ["cc", "cctl"], {
  parentResource: {
    ...resourceRule,
    properties: {
      ...resourceRule.properties,
      revisionHistory: { type: "object", properties: { fieldPaths: { type: "array", items: string } } },
      labelSelector,
      ignoreStatusChanges: { type: "boolean", description: "Accepted; status-only changes sync the parent too" },
    },
  },
  childResources: {
    type: "array",
    items: { ...resourceRule, properties: { ...resourceRule.properties, updateStrategy: childUpdateStrategy } },
  },
  hooks: {
    type: "object",
    properties: { customize: hook, sync: hook, finalize: hook, preUpdateChild: hook, postUpdateChild: hook },
  },
  endpointConfigs,
  resyncPeriodSeconds: int32,
  generateSelector: {
    type: "boolean",
    description: "Accepted; children are always found by their controller owner reference",
  },
}, ["parentResource"]);

export const decoratorControllerCrd = metacontrollerCrd("DecoratorController", "decoratorcontrollers", [
  "dec",
  "decorators",
], {
  resources: {
    type: "array",
    items: {
      ...resourceRule,
      properties: {
        ...resourceRule.properties,
        labelSelector,
        annotationSelector,
        ignoreStatusChanges: { type: "boolean", description: "Accepted; status-only changes sync the object too" },
      },
    },
  },
  attachments: {
    type: "array",
    items: {
      ...resourceRule,
      properties: { ...resourceRule.properties, updateStrategy: { type: "object", properties: { method } } },
    },
  },
  hooks: { type: "object", properties: { customize: hook, sync: hook, finalize: hook } },
  endpointConfigs,
  resyncPeriodSeconds: int32,
}, ["resources"]);

/**
 * What the runtime itself needs: the two kinds, Events and its Lease, and `get` on the Secrets
 * and ConfigMaps that webhooks' connection settings name, in any namespace (as upstream, whose
 * resources name them by namespace; they are read one by one, never listed or watched), and
 * Namespaces, whose labels customize hooks' namespaceSelectors match. Kinds the controllers own
 * come by aggregation.
 */
export const baseRules = policyRules([
  { kind: CompositeControllerKind, verbs: ["list", "watch"] },
  { kind: CompositeControllerKind, subresource: "status", verbs: ["patch"] },
  { kind: DecoratorControllerKind, verbs: ["list", "watch"] },
  { kind: DecoratorControllerKind, subresource: "status", verbs: ["patch"] },
  { kind: builtinKinds.Secret, verbs: ["get"] },
  { kind: builtinKinds.ConfigMap, verbs: ["get"] },
  { kind: builtinKinds.Namespace, verbs: ["list", "watch"] },
  ...managerAccess({ leaderElection: true }),
]);

export function metacontrollerManifest() {
  return [
    compositeControllerCrd,
    decoratorControllerCrd,
    { apiVersion: "v1", kind: "Namespace", metadata: { name: metacontrollerNamespace, labels } },
    identity(workload, []).serviceAccount,
    {
      ...identity(workload, baseRules).clusterRole,
      metadata: { name: `${metacontrollerName}-base`, labels: { ...labels, [aggregationLabel]: "true" } },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: metacontrollerName, labels },
      // No rules of its own: the aggregation controller fills them in.
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [aggregationLabel]: "true" } }] },
    },
    identity(workload, []).clusterRoleBinding,
    deployment(workload, {
      name: "metacontroller",
      image,
      command: ["node", "--max-semi-space-size=1", "functions/metacontroller/main.js"],
      args: ["--leader-elect=true", "--port=5679"],
      podEnv: false,
      port: 5679,
      portName: "http",
    }),
  ];
}

/** Each file this product commits under deploy/, by path, and the documents it holds. */
export function manifests(): Record<string, unknown[]> {
  return { "metacontroller.yaml": metacontrollerManifest() };
}
