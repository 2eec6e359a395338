// Builds deploy/metacontroller.yaml: Metacontroller's CompositeController and
// DecoratorController CRDs (metacontroller.k8s.io/v1alpha1), and the runtime that runs them
// (functions/metacontroller/main.ts) with its ServiceAccount, RBAC and Deployment. The ClusterRole aggregates
// every ClusterRole labelled metacontroller.k8s.io/aggregate-to-metacontroller=true: that is
// how a user grants access to the kinds their controllers own. The YAML is committed; a unit
// test fails when it is stale.
//   npm run manifests        (rewrites every generated file under deploy/)
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

const resourceRule = {
  type: "object",
  required: ["apiVersion", "resource"],
  properties: { apiVersion: { type: "string" }, resource: { type: "string" } },
};
const updateStrategy = {
  type: "object",
  properties: {
    method: { type: "string", enum: ["OnDelete", "Recreate", "InPlace", "RollingRecreate", "RollingInPlace"] },
    statusChecks: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
  },
};
const hook = {
  type: "object",
  "x-kubernetes-preserve-unknown-fields": true,
  description: "{webhook: {url | service {name, namespace, port, protocol} + path, timeout}}",
};
const hooks = { type: "object", properties: { sync: hook, finalize: hook, customize: hook } };
const selector = { type: "object", "x-kubernetes-preserve-unknown-fields": true };

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
      revisionHistory: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      labelSelector: selector,
    },
  },
  childResources: {
    type: "array",
    items: { ...resourceRule, properties: { ...resourceRule.properties, updateStrategy } },
  },
  hooks,
  resyncPeriodSeconds: { type: "integer", minimum: 1 },
  generateSelector: {
    type: "boolean",
    description: "Accepted; children are always found by their controller owner reference",
  },
}, ["parentResource", "hooks"]);

export const decoratorControllerCrd = metacontrollerCrd("DecoratorController", "decoratorcontrollers", [
  "dec",
  "decorators",
], {
  resources: {
    type: "array",
    minItems: 1,
    items: {
      ...resourceRule,
      properties: { ...resourceRule.properties, labelSelector: selector, annotationSelector: selector },
    },
  },
  attachments: {
    type: "array",
    items: { ...resourceRule, properties: { ...resourceRule.properties, updateStrategy } },
  },
  hooks,
  resyncPeriodSeconds: { type: "integer", minimum: 1 },
}, ["resources", "hooks"]);

/** What the runtime itself needs: the two kinds, Events and its Lease. Kinds the controllers own come by aggregation. */
export const baseRules = policyRules([
  { kind: CompositeControllerKind, verbs: ["list", "watch"] },
  { kind: CompositeControllerKind, subresource: "status", verbs: ["patch"] },
  { kind: DecoratorControllerKind, verbs: ["list", "watch"] },
  { kind: DecoratorControllerKind, subresource: "status", verbs: ["patch"] },
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
