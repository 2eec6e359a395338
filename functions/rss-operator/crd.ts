// The ReplicatedStatefulSet kind (clusterlabs.org/v1alpha1, short name rss), declared with
// customKind(): a schema that refuses what cannot work before it is stored (negative replicas,
// durations that are not durations, empty commands, a command container the pod does not
// have, the required commands missing), printer columns, and a status subresource. The CRD is
// generated from it (crdOf), and the runtime checks every set against it before a sync.
import { customKind, PreserveUnknown } from "../../runtime/mod.ts";
import { Type } from "../../runtime/schema.ts";
import { durationPattern, optionalCommands, requiredCommands } from "./types.ts";

export const maxReplicas = 1_000;
export const maxContainers = 32;

const open = (description: string) => PreserveUnknown({ description });
const openList = (description: string) => Type.Array(PreserveUnknown(), { description });
const duration = (description: string) =>
  Type.String({
    maxLength: 64,
    pattern: durationPattern,
    description: `${description} (a Kubernetes-style duration: 30s, 1m, 1m30s, 1h)`,
  });
const names = Type.Array(Type.String());
const dnsLabel = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const command = (key: string) =>
  Type.Object({
    command: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      minItems: 1,
      maxItems: 64,
      description: "argv: the program and its arguments (no shell)",
    }),
    timeout: Type.Optional(duration("How long the command may run; default 60s")),
    container: Type.Optional(
      Type.String({
        maxLength: 63,
        pattern: dnsLabel,
        description: "The container to run it in; default the first of spec.pod.containers",
      }),
    ),
  }, { description: `The ${key} command, run in the member's container` });

const allCommands = [...requiredCommands, ...optionalCommands];
const commands = Type.Object({
  sequence: command("sequence"),
  status: command("status"),
  stop: command("stop"),
  primary: command("primary"),
  seed: Type.Optional(command("seed")),
  secondary: Type.Optional(command("secondary")),
}, {
  description:
    "The application's scripts: sequence, status, stop and primary are required; seed and secondary are optional",
});

const pod = Type.Object({
  antiAffinity: Type.Optional(
    Type.Boolean({ description: "Spread the members over nodes (preferred), replacing spec.affinity" }),
  ),
  automountServiceAccountToken: Type.Optional(Type.Boolean()),
  containers: Type.Array(
    Type.Object({
      name: Type.String({ maxLength: 63, pattern: dnsLabel }),
      image: Type.String({ minLength: 1 }),
    }, { "x-kubernetes-preserve-unknown-fields": true }),
    {
      minItems: 1,
      maxItems: maxContainers,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      description: "The members' containers, as in a pod",
    },
  ),
  volumes: Type.Optional(openList("Volumes of the members' pods")),
  volumeClaimTemplates: Type.Optional(openList("Claims per member, as in a StatefulSet")),
  securityContext: Type.Optional(open("The pods' security context")),
  commands,
}, {
  "x-kubernetes-validations": allCommands.map((key) => ({
    rule:
      `!has(self.commands.${key}) || !has(self.commands.${key}.container) || self.containers.exists(c, c.name == self.commands.${key}.container)`,
    message: `spec.pod.commands.${key}.container must name one of spec.pod.containers`,
  })),
});

export const ReplicatedStatefulSetKind = customKind({
  group: "clusterlabs.org",
  version: "v1alpha1",
  kind: "ReplicatedStatefulSet",
  shortNames: ["rss"],
  spec: Type.Object({
    replicas: Type.Optional(
      Type.Integer({ minimum: 0, maximum: maxReplicas, description: "Members (pods rss-<name>-0..N-1); default 3" }),
    ),
    primaries: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: maxReplicas,
        description: "Members that run as primaries; default every member",
      }),
    ),
    reconcileInterval: Type.Optional(duration("How often every member's status is checked; default 1m")),
    paused: Type.Optional(Type.Boolean({ description: "Run no commands (the StatefulSet is still kept)" })),
    pod,
    servicePorts: Type.Optional(openList("Ports of the headless Service <name>-svc; default one port named dummy")),
    nodeSelector: Type.Optional(Type.Record(Type.String(), Type.String())),
    serviceAccountName: Type.Optional(Type.String()),
    secrets: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
        description: "Secrets mounted at /etc/rss/secrets/<name>",
      }),
    ),
    affinity: Type.Optional(open("The pods' affinity (unless antiAffinity is set)")),
    tolerations: Type.Optional(openList("The pods' tolerations")),
  }),
  status: Type.Object({
    phase: Type.Optional(Type.String()),
    replicas: Type.Optional(Type.Integer()),
    readyReplicas: Type.Optional(Type.Integer()),
    primaries: Type.Optional(Type.Integer()),
    members: Type.Optional(Type.Object({
      ready: Type.Optional(names),
      unready: Type.Optional(names),
      primary: Type.Optional(names),
      secondary: Type.Optional(names),
      failed: Type.Optional(names),
    })),
    peers: Type.Optional(openList("What the operator knows of each member")),
    pass: Type.Optional(open("The replication pass in progress")),
    seed: Type.Optional(Type.String()),
    failedPasses: Type.Optional(Type.Integer()),
  }),
  columns: [
    { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
    { name: "Primaries", type: "integer", jsonPath: ".status.primaries" },
    { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas" },
  ],
  validations: [
    {
      rule:
        "!has(self.primaries) || self.primaries >= (has(self.replicas) ? self.replicas : 3) || has(self.pod.commands.secondary)",
      message:
        "spec.primaries below spec.replicas needs spec.pod.commands.secondary: the other members run as secondaries",
    },
  ],
});
