// The ReplicatedStatefulSet CRD (clusterlabs.org/v1alpha1, short name rss): a structural
// schema that refuses what cannot work before it is stored (negative replicas, durations
// that are not durations, empty commands, a command container the pod does not have, the
// required commands missing), printer columns, and a status subresource.
import { optionalCommands, ReplicatedStatefulSetKind, requiredCommands } from "./types.ts";
import { durationPattern } from "./types.ts";
import { conditions } from "../../runtime/manifests.ts";

export const maxReplicas = 1_000;
export const maxContainers = 32;

const open = (description: string) => ({ type: "object", "x-kubernetes-preserve-unknown-fields": true, description });
const openList = (description: string) => ({
  type: "array",
  description,
  items: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
});
const duration = (description: string) => ({
  type: "string",
  maxLength: 64,
  pattern: durationPattern,
  description: `${description} (a Kubernetes-style duration: 30s, 1m, 1m30s, 1h)`,
});
const names = { type: "array", items: { type: "string" } };
const dnsLabel = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const command = (key: string) => ({
  type: "object",
  required: ["command"],
  description: `The ${key} command, run in the member's container`,
  properties: {
    command: {
      type: "array",
      minItems: 1,
      maxItems: 64,
      items: { type: "string", minLength: 1, maxLength: 4096 },
      description: "argv: the program and its arguments (no shell)",
    },
    timeout: duration("How long the command may run; default 60s"),
    container: {
      type: "string",
      maxLength: 63,
      pattern: dnsLabel,
      description: "The container to run it in; default the first of spec.pod.containers",
    },
  },
});

const allCommands = [...requiredCommands, ...optionalCommands];

export const rssCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${ReplicatedStatefulSetKind.plural}.clusterlabs.org` },
  spec: {
    group: "clusterlabs.org",
    scope: "Namespaced",
    names: {
      plural: ReplicatedStatefulSetKind.plural,
      singular: "replicatedstatefulset",
      kind: ReplicatedStatefulSetKind.kind,
      listKind: `${ReplicatedStatefulSetKind.kind}List`,
      shortNames: ["rss"],
    },
    versions: [
      {
        name: "v1alpha1",
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
          { name: "Primaries", type: "integer", jsonPath: ".status.primaries" },
          { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas" },
          { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            required: ["spec"],
            properties: {
              spec: {
                type: "object",
                required: ["pod"],
                properties: {
                  replicas: {
                    type: "integer",
                    minimum: 0,
                    maximum: maxReplicas,
                    description: "Members (pods rss-<name>-0..N-1); default 3",
                  },
                  primaries: {
                    type: "integer",
                    minimum: 1,
                    maximum: maxReplicas,
                    description: "Members that run as primaries; default every member",
                  },
                  reconcileInterval: duration("How often every member's status is checked; default 1m"),
                  paused: { type: "boolean", description: "Run no commands (the StatefulSet is still kept)" },
                  pod: {
                    type: "object",
                    required: ["containers", "commands"],
                    properties: {
                      antiAffinity: {
                        type: "boolean",
                        description: "Spread the members over nodes (preferred), replacing spec.affinity",
                      },
                      automountServiceAccountToken: { type: "boolean" },
                      containers: {
                        type: "array",
                        minItems: 1,
                        maxItems: maxContainers,
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        description: "The members' containers, as in a pod",
                        items: {
                          type: "object",
                          required: ["name", "image"],
                          "x-kubernetes-preserve-unknown-fields": true,
                          properties: {
                            name: { type: "string", maxLength: 63, pattern: dnsLabel },
                            image: { type: "string", minLength: 1 },
                          },
                        },
                      },
                      volumes: openList("Volumes of the members' pods"),
                      volumeClaimTemplates: openList("Claims per member, as in a StatefulSet"),
                      securityContext: open("The pods' security context"),
                      commands: {
                        type: "object",
                        required: [...requiredCommands],
                        description:
                          "The application's scripts: sequence, status, stop and primary are required; seed and secondary are optional",
                        properties: Object.fromEntries(allCommands.map((key) => [key, command(key)])),
                      },
                    },
                    "x-kubernetes-validations": allCommands.map((key) => ({
                      rule:
                        `!has(self.commands.${key}) || !has(self.commands.${key}.container) || self.containers.exists(c, c.name == self.commands.${key}.container)`,
                      message: `spec.pod.commands.${key}.container must name one of spec.pod.containers`,
                    })),
                  },
                  servicePorts: openList("Ports of the headless Service <name>-svc; default one port named dummy"),
                  nodeSelector: { type: "object", additionalProperties: { type: "string" } },
                  serviceAccountName: { type: "string" },
                  secrets: {
                    type: "array",
                    items: { type: "string", minLength: 1, maxLength: 253 },
                    description: "Secrets mounted at /etc/rss/secrets/<name>",
                  },
                  affinity: open("The pods' affinity (unless antiAffinity is set)"),
                  tolerations: openList("The pods' tolerations"),
                },
                "x-kubernetes-validations": [
                  {
                    rule:
                      "!has(self.primaries) || self.primaries >= (has(self.replicas) ? self.replicas : 3) || has(self.pod.commands.secondary)",
                    message:
                      "spec.primaries below spec.replicas needs spec.pod.commands.secondary: the other members run as secondaries",
                  },
                ],
              },
              status: {
                type: "object",
                properties: {
                  phase: { type: "string" },
                  replicas: { type: "integer" },
                  readyReplicas: { type: "integer" },
                  primaries: { type: "integer" },
                  members: {
                    type: "object",
                    properties: { ready: names, unready: names, primary: names, secondary: names, failed: names },
                  },
                  peers: openList("What the operator knows of each member"),
                  pass: open("The replication pass in progress"),
                  seed: { type: "string" },
                  failedPasses: { type: "integer" },
                  observedGeneration: { type: "integer" },
                  conditions,
                },
              },
            },
          },
        },
      },
    ],
  },
};
