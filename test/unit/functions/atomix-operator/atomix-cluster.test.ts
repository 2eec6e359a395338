// AtomixCluster → management group, partition groups, benchmark and status, as data in and data out.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { DesiredObject, KubeObject, ObjectsByKind, SyncRequest } from "../../../../runtime/mod.ts";
import { validateResponse } from "../../../../runtime/testing.ts";
import {
  atomixClusters,
  defaultAtomixClusterOptions,
  syncAtomixCluster,
} from "../../../../functions/atomix-operator/atomix-cluster.ts";
import { templateHashAnnotation } from "../../../../functions/atomix-operator/nodes.ts";
import type { AtomixCluster, AtomixClusterSpec } from "../../../../functions/atomix-operator/kinds.ts";

type Json = Record<string, any>;
const C = "example-atomixcluster";
const readme: AtomixClusterSpec = {
  version: "3.1.0",
  managementGroup: { size: 1, storage: { className: "fast-disks" } },
  partitionGroups: [{ name: "raft", size: 3, partitions: 3, raft: { storage: { className: "fast-disks" } } }],
};
const withGroups: AtomixClusterSpec = {
  ...readme,
  partitionGroups: [
    ...readme.partitionGroups!,
    { name: "primary-backup", size: 2, partitions: 7, primaryBackup: {} },
    { name: "log", size: 3, partitions: 3, log: { storage: { className: "fast-disks" } } },
  ],
};
const fastDisks: ObjectsByKind = {
  "StorageClass.storage.k8s.io/v1": {
    "fast-disks": { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "fast-disks" } },
  },
};

const cluster = (spec: AtomixClusterSpec, name = C): AtomixCluster => ({
  apiVersion: "agent.atomix.io/v1alpha1",
  kind: "AtomixCluster",
  metadata: { name, namespace: "default", uid: "uid-1", generation: 1 },
  spec,
});
const sync = (spec: AtomixClusterSpec, children: ObjectsByKind = {}, related: ObjectsByKind = fastDisks, name = C) =>
  syncAtomixCluster(
    defaultAtomixClusterOptions,
    { parent: cluster(spec, name), children, related, finalizing: false } as SyncRequest<AtomixCluster>,
  );
const child = (response: ReturnType<typeof sync>, kind: string, name: string) => {
  const found = response.children!.find((c) => c.kind === kind && c.metadata.name === name);
  if (!found) {
    throw new Error(
      `no ${kind} ${name} in ${response.children!.map((c) => `${c.kind}/${c.metadata.name}`).join(", ")}`,
    );
  }
  return found as Json;
};
const listed = (response: ReturnType<typeof sync>) => response.children!.map((c) => `${c.kind}/${c.metadata.name}`);
const conf = (response: ReturnType<typeof sync>, name: string) =>
  child(response, "ConfigMap", name).data["atomix.conf"] as string;
const container = (workload: Json) => workload.spec.template.spec.containers[0];
const ready = (response: ReturnType<typeof sync>) =>
  (response.status!.conditions as Json[]).find((c) => c.type === "Ready")!;

/** The children as the API server would hold them after the sync, with the workloads' status as given. */
function existing(
  response: ReturnType<typeof sync>,
  workloadStatus: (object: DesiredObject) => Json | undefined,
): ObjectsByKind {
  const children: ObjectsByKind = {};
  for (const desired of response.children!) {
    const key = `${desired.kind}.${desired.apiVersion}`;
    const object = structuredClone({
      ...desired,
      metadata: { ...desired.metadata, namespace: "default", generation: 1 },
    }) as KubeObject;
    const status = workloadStatus(desired);
    if (status) object.status = status;
    (children[key] ??= {})[desired.metadata.name] = object;
  }
  return children;
}
const allReady = (object: DesiredObject) => {
  const replicas = (object.spec as Json)?.replicas;
  return replicas === undefined
    ? undefined
    : { observedGeneration: 1, replicas, readyReplicas: replicas, updatedReplicas: replicas };
};

test("the README's cluster: management group, discovery Service and one Raft group, and nothing else", () => {
  const response = sync(readme);
  assert.equal(listed(response), [
    `ConfigMap/${C}-config`,
    `Service/${C}-service`,
    `StatefulSet/${C}`,
    `ConfigMap/${C}-raft-config`,
    `Service/${C}-raft-service`,
    `StatefulSet/${C}-raft`,
  ]);
  validateResponse(atomixClusters(), cluster(readme), response, false);
});

test("management group: labels app and type: management, its StatefulSet of managementGroup.size pods on the discovery Service", () => {
  const response = sync({
    ...readme,
    managementGroup: { size: 3, storage: { className: "fast-disks", size: "10Gi" } },
  });
  const set = child(response, "StatefulSet", C);
  const labels = { app: C, type: "management" };
  assert.equal(set.metadata.labels, labels);
  assert.equal(set.spec.selector.matchLabels, labels);
  assert.equal(set.spec.template.metadata.labels, labels);
  assert.is(set.spec.replicas, 3);
  assert.is(set.spec.serviceName, `${C}-service`);
  assert.is(set.spec.podManagementPolicy, "Parallel");
  assert.equal(set.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Delete", whenScaled: "Retain" });
  assert.equal(set.spec.volumeClaimTemplates[0].spec, {
    accessModes: ["ReadWriteOnce"],
    storageClassName: "fast-disks",
    resources: { requests: { storage: "10Gi" } },
  });
  const atomix = container(set);
  assert.is(atomix.image, "atomix/atomix:3.1.0");
  assert.equal(atomix.args, [
    "--config",
    "/etc/atomix/atomix.conf",
    "--ignore-resources",
    "--data-dir=/var/lib/atomix/data",
    "--log-level=INFO",
    "--file-log-level=OFF",
    "--console-log-level=INFO",
  ]);
  assert.equal(atomix.env, [
    { name: "ATOMIX_NODE_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "ATOMIX_NODE_HOST", value: `$(ATOMIX_NODE_ID).${C}-service.default.svc.cluster.local` },
  ]);
  assert.equal(atomix.ports.map((p: Json) => [p.name, p.containerPort]), [["client", 5678], ["server", 5679]]);
  assert.is(atomix.readinessProbe.httpGet.path, "/v1/status");
  assert.equal(atomix.volumeMounts, [{ name: "config", mountPath: "/etc/atomix" }, {
    name: "data",
    mountPath: "/var/lib/atomix",
  }]);
  assert.equal(
    set.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
      .labelSelector.matchLabels,
    labels,
  );

  const discovery = child(response, "Service", `${C}-service`);
  assert.equal(discovery.metadata.labels, labels);
  assert.equal(discovery.spec, {
    clusterIP: "None",
    publishNotReadyAddresses: true,
    selector: { app: C },
    ports: [{ name: "node", port: 5679, targetPort: 5679, protocol: "TCP" }],
  });
  assert.is(response.status!.serviceName, `${C}-service`);
});

test("management group atomix.conf: the node from the environment, DNS discovery of the cluster Service, a one-partition Raft group on disk", () => {
  assert.is(
    conf(sync({ ...readme, managementGroup: { size: 3 } }), `${C}-config`),
    [
      "cluster {",
      "  node {",
      "    id: ${ATOMIX_NODE_ID}",
      "    host: ${ATOMIX_NODE_HOST}",
      "    port: 5679",
      "  }",
      "  discovery {",
      '    type: "dns"',
      `    service: "${C}-service.default.svc.cluster.local"`,
      "  }",
      "}",
      "managementGroup {",
      '  type: "raft"',
      "  partitions: 1",
      `  members: ["${C}-0", "${C}-1", "${C}-2"]`,
      "  storage {",
      '    level: "disk"',
      "  }",
      "}",
      "",
    ].join("\n"),
  );
});

test("defaults: version 3.1.0, one management node, 2G volumes of the default class, a group of one node with as many partitions", () => {
  const response = sync({ partitionGroups: [{ name: "g", raft: {} }] }, {}, {});
  const management = child(response, "StatefulSet", C);
  assert.is(container(management).image, "atomix/atomix:3.1.0");
  assert.is(management.spec.replicas, 1);
  assert.equal(management.spec.volumeClaimTemplates[0].spec, {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: "2G" } },
  });
  assert.is(child(response, "StatefulSet", `${C}-g`).spec.replicas, 1);
  assert.match(conf(response, `${C}-g-config`), /partitions: 1\n {4}partitionSize: 1\n/);
});

const groupConfigs: Array<{ group: Json; text: string[] }> = [
  {
    group: { name: "raft", size: 3, partitions: 3, raft: { storage: { className: "fast-disks" } } },
    text: [
      "  raft {",
      '    type: "raft"',
      "    partitions: 3",
      "    partitionSize: 3",
      `    members: ["${C}-raft-0", "${C}-raft-1", "${C}-raft-2"]`,
      "    storage {",
      '      level: "mapped"',
      "    }",
      "  }",
    ],
  },
  {
    group: {
      name: "r",
      size: 5,
      partitions: 9,
      raft: {
        partitionSize: 5,
        storage: { level: "disk", segmentSize: "64M", entrySize: "1M", flushOnCommit: true },
        compaction: { dynamic: false, freeDiskBuffer: 0.3 },
      },
    },
    text: [
      "  r {",
      '    type: "raft"',
      "    partitions: 9",
      "    partitionSize: 5",
      `    members: ["${C}-r-0", "${C}-r-1", "${C}-r-2", "${C}-r-3", "${C}-r-4"]`,
      "    storage {",
      '      level: "disk"',
      '      segmentSize: "64M"',
      '      maxEntrySize: "1M"',
      "      flushOnCommit: true",
      "    }",
      "    compaction {",
      "      dynamic: false",
      "      freeDiskBuffer: 0.3",
      "    }",
      "  }",
    ],
  },
  {
    group: { name: "primary-backup", size: 2, partitions: 7, primaryBackup: {} },
    text: [
      '  "primary-backup" {',
      '    type: "primary-backup"',
      "    partitions: 7",
      '    memberGroupStrategy: "node_aware"',
      "  }",
    ],
  },
  {
    group: {
      name: "log",
      size: 3,
      partitions: 3,
      log: { memberGroupStrategy: "zone_aware", storage: { className: "fast-disks" } },
    },
    text: [
      "  log {",
      '    type: "log"',
      "    partitions: 3",
      '    memberGroupStrategy: "zone_aware"',
      "    storage {",
      '      level: "mapped"',
      "    }",
      "  }",
    ],
  },
];
for (const { group, text } of groupConfigs) {
  test(`partition group atomix.conf for ${JSON.stringify(group)}`, () => {
    const response = sync({ partitionGroups: [group as never] });
    const config = conf(response, `${C}-${group.name}-config`);
    assert.ok(config.startsWith("cluster {\n  node {\n    id: ${ATOMIX_NODE_ID}\n"), config);
    assert.match(config, `service: "${C}-service.default.svc.cluster.local"`);
    assert.ok(config.endsWith(["partitionGroups {", ...text, "}", ""].join("\n")), config);
  });
}

test("partition groups: labels app, type: group, group; raft and log keep data on claims, primary-backup has none", () => {
  const response = sync(withGroups);
  for (const [name, persistent, size] of [["raft", true, 3], ["primary-backup", false, 2], ["log", true, 3]] as const) {
    const labels = { app: C, type: "group", group: name };
    const set = child(response, "StatefulSet", `${C}-${name}`);
    assert.equal(set.metadata.labels, labels);
    assert.equal(set.spec.selector.matchLabels, labels);
    assert.is(set.spec.replicas, size);
    assert.is(set.spec.serviceName, `${C}-${name}-service`);
    assert.is(container(set).image, "atomix/atomix:3.1.0");
    assert.is(Boolean(set.spec.volumeClaimTemplates), persistent, name);
    assert.is(container(set).args.includes("--data-dir=/var/lib/atomix/data"), persistent, name);
    assert.is(container(set).volumeMounts.length, persistent ? 2 : 1, name);
    if (persistent) assert.is(set.spec.volumeClaimTemplates[0].spec.storageClassName, "fast-disks");
    const service = child(response, "Service", `${C}-${name}-service`);
    assert.equal(service.metadata.labels, labels);
    assert.equal(service.spec.selector, labels);
    assert.is(service.spec.clusterIP, "None");
    assert.equal(child(response, "ConfigMap", `${C}-${name}-config`).metadata.labels, labels);
    assert.is(container(set).env[1].value, `$(ATOMIX_NODE_ID).${C}-${name}-service.default.svc.cluster.local`);
  }
  assert.equal(
    response.status!.partitionGroups,
    [
      { name: "raft", protocol: "raft", partitions: 3, size: 3, readyReplicas: 0 },
      { name: "primary-backup", protocol: "primary-backup", partitions: 7, size: 2, readyReplicas: 0 },
      { name: "log", protocol: "log", partitions: 3, size: 3, readyReplicas: 0 },
    ],
  );
});

test("env and resources reach the group's container after the node's own variables", () => {
  const env = [{ name: "JAVA_OPTS", value: "-Xmx2G" }, {
    name: "POD_IP",
    valueFrom: { fieldRef: { fieldPath: "status.podIP" } },
  }];
  const resources = { requests: { memory: "2Gi", cpu: "500m" }, limits: { memory: "3Gi" } };
  const response = sync({ ...readme, partitionGroups: [{ ...readme.partitionGroups![0]!, env, resources }] });
  const atomix = container(child(response, "StatefulSet", `${C}-raft`));
  assert.equal(atomix.env.slice(2), env);
  assert.equal(atomix.resources, resources);
  assert.not.ok(container(child(response, "StatefulSet", C)).resources, "the management group has its own");
});

const hash = (spec: AtomixClusterSpec, set = `${C}-raft`) =>
  child(sync(spec), "StatefulSet", set).spec.template.metadata.annotations[templateHashAnnotation];
const raftWith = (change: Json): AtomixClusterSpec => ({
  ...readme,
  partitionGroups: [{ ...readme.partitionGroups![0]!, ...change }],
});
for (
  const [what, change] of [
    ["size", { size: 5 }],
    ["partitions", { partitions: 9 }],
    ["env", { env: [{ name: "JAVA_OPTS", value: "-Xmx1G" }] }],
    ["resources", { resources: { requests: { memory: "1Gi" } } }],
    ["storage level", { raft: { storage: { className: "fast-disks", level: "disk" } } }],
  ] as const
) {
  test(`changing a group's ${what} changes its pod template fingerprint (the pods roll), and no other group's`, () => {
    assert.is.not(hash(raftWith(change)), hash(readme));
    assert.is(hash(raftWith(change), C), hash(readme, C));
  });
}

test("the same spec gives the same fingerprint; a new version changes every node set's", () => {
  assert.is(hash(readme), hash(structuredClone(readme)));
  assert.is.not(hash({ ...readme, version: "3.1.5" }, C), hash(readme, C));
  assert.is(
    container(child(sync({ ...readme, version: "3.1.5" }), "StatefulSet", `${C}-raft`)).image,
    "atomix/atomix:3.1.5",
  );
});

test("the fingerprint does not depend on the order of the spec's keys (replicas that read the spec differently never roll pods)", () => {
  const reordered: AtomixClusterSpec = {
    partitionGroups: [{
      raft: { storage: { className: "fast-disks" } },
      partitions: 3,
      size: 3,
      name: "raft",
      resources: { limits: { memory: "1Gi" }, requests: { cpu: "1" } },
    }],
    managementGroup: { storage: { className: "fast-disks" }, size: 1 },
    version: "3.1.0",
  };
  const ordered = raftWith({ resources: { requests: { cpu: "1" }, limits: { memory: "1Gi" } } });
  assert.is(hash(reordered), hash(ordered));
});

test("a group left out of the list is left out of the answer; the others stay exactly as they were", () => {
  const before = sync(withGroups);
  const after = sync(readme, existing(before, allReady));
  assert.equal(listed(after), listed(sync(readme)));
  for (const object of after.children!) {
    assert.equal(
      object,
      before.children!.find((c) => c.kind === object.kind && c.metadata.name === object.metadata.name),
    );
  }
  assert.not.ok(listed(after).some((name) => name.includes("primary-backup") || name.includes("-log")));
});

test("benchmark: workers (size), a coordinator Deployment, its Service and an Ingress, labelled benchmark-worker and benchmark-coordinator", () => {
  const response = sync({
    ...readme,
    benchmark: { size: 3, env: [{ name: "JAVA_OPTS", value: "-Xmx1G" }], resources: { requests: { memory: "1Gi" } } },
  });
  assert.equal(listed(response).slice(6), [
    `ConfigMap/${C}-worker-config`,
    `Service/${C}-worker-service`,
    `StatefulSet/${C}-worker`,
    `ConfigMap/${C}-bench-config`,
    `Service/${C}-bench-service`,
    `Deployment/${C}-bench`,
    `Ingress/${C}-bench-ingress`,
  ]);
  const workerLabels = { app: C, type: "benchmark-worker" };
  const coordinatorLabels = { app: C, type: "benchmark-coordinator" };
  const workers = child(response, "StatefulSet", `${C}-worker`);
  assert.equal(workers.metadata.labels, workerLabels);
  assert.is(workers.spec.replicas, 3);
  assert.not.ok(workers.spec.volumeClaimTemplates);
  assert.is(container(workers).image, "atomix/atomix-bench:latest");
  assert.equal(container(workers).args, ["agent", "--config", "/etc/atomix/atomix.conf"]);
  assert.equal(container(workers).env[2], { name: "JAVA_OPTS", value: "-Xmx1G" });
  assert.equal(container(workers).resources, { requests: { memory: "1Gi" } });
  const coordinator = child(response, "Deployment", `${C}-bench`);
  assert.equal(coordinator.metadata.labels, coordinatorLabels);
  assert.equal(coordinator.spec.selector.matchLabels, coordinatorLabels);
  assert.is(coordinator.spec.replicas, 1);
  assert.equal(coordinator.spec.strategy, { type: "Recreate" });
  assert.is(container(coordinator).env[1].value, `${C}-bench-service.default.svc.cluster.local`);
  const service = child(response, "Service", `${C}-bench-service`);
  assert.equal(service.spec.selector, coordinatorLabels);
  assert.equal(service.spec.ports.map((p: Json) => [p.name, p.port]), [["api", 5678], ["node", 5679]]);
  const ingress = child(response, "Ingress", `${C}-bench-ingress`);
  assert.is(ingress.apiVersion, "networking.k8s.io/v1");
  assert.equal(ingress.metadata.labels, coordinatorLabels);
  assert.equal(ingress.metadata.annotations, {
    "nginx.ingress.kubernetes.io/rewrite-target": "/",
    "nginx.ingress.kubernetes.io/ssl-redirect": "false",
  });
  assert.equal(ingress.spec, {
    rules: [{
      http: {
        paths: [{
          path: "/atomix-bench",
          pathType: "Prefix",
          backend: { service: { name: `${C}-bench-service`, port: { number: 5678 } } },
        }],
      },
    }],
  });
  assert.equal(conf(response, `${C}-worker-config`).split("\n").slice(-3), ["  }", "}", ""], "only the cluster block");
  assert.equal(response.status!.benchmark, { size: 3, readyReplicas: 0, coordinatorReady: false });
  validateResponse(atomixClusters(), cluster(readme), response, false);
});

test("the Ingress takes a path, host and class", () => {
  const ingress = child(
    sync({ ...readme, benchmark: { ingress: { path: "/bench", host: "bench.example.com", className: "nginx" } } }),
    "Ingress",
    `${C}-bench-ingress`,
  );
  assert.is(ingress.spec.ingressClassName, "nginx");
  assert.is(ingress.spec.rules[0].host, "bench.example.com");
  assert.is(ingress.spec.rules[0].http.paths[0].path, "/bench");
  assert.is(
    child(sync({ ...readme, benchmark: {} }), "StatefulSet", `${C}-worker`).spec.replicas,
    1,
    "one worker by default",
  );
});

test("without spec.benchmark no benchmark object is desired, so the runtime deletes them", () => {
  const on = sync({ ...readme, benchmark: { size: 3 } });
  const off = sync(readme, existing(on, allReady));
  assert.equal(listed(off), listed(sync(readme)));
  assert.is(off.status!.benchmark, undefined);
});

test("a missing StorageClass is named in Ready=False with the fields that name it; everything is still created", () => {
  const response = sync(withGroups, {}, {});
  assert.equal(ready(response), {
    type: "Ready",
    status: "False",
    reason: "StorageClassNotFound",
    message:
      'storage class "fast-disks" does not exist (named by spec.managementGroup.storage.className, spec.partitionGroups[raft].raft.storage.className, spec.partitionGroups[log].log.storage.className): create it or change className; the volume claims stay Pending until then',
  });
  assert.equal(listed(response), listed(sync(withGroups)));
  assert.equal(atomixClusters().related!.select(cluster(withGroups)), [{
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    names: ["fast-disks"],
  }]);
  assert.equal(atomixClusters().related!.select(cluster({ partitionGroups: [{ name: "pb", primaryBackup: {} }] })), []);
});

for (
  const [what, spec, message] of [
    [
      "a reserved group name",
      { partitionGroups: [{ name: "worker", primaryBackup: {} }] },
      /partition group name "worker" is reserved/,
    ],
    [
      "a group named like the discovery Service",
      { partitionGroups: [{ name: "service", primaryBackup: {} }] },
      /partition group name "service" is reserved/,
    ],
    [
      "two protocols",
      { partitionGroups: [{ name: "g", raft: {}, log: {} }] },
      /partition group "g": set exactly one of raft, primaryBackup or log/,
    ],
    [
      "no protocol",
      { partitionGroups: [{ name: "g" }] },
      /partition group "g": set exactly one of raft, primaryBackup or log/,
    ],
    [
      "a repeated group",
      { partitionGroups: [{ name: "g", raft: {} }, { name: "g", log: {} }] },
      /partition group "g" is listed twice/,
    ],
    [
      "partitionSize above size",
      { partitionGroups: [{ name: "g", size: 2, raft: { partitionSize: 3 } }] },
      /raft.partitionSize 3 is more than the group's size 2/,
    ],
    [
      "a StatefulSet name over 52 characters",
      { partitionGroups: [{ name: "a-very-long-partition-group-name-indeed", raft: {} }] },
      /StatefulSet name "example-atomixcluster-a-very-long-partition-group-name-indeed" is 61 characters, more than 52/,
    ],
  ] as const
) {
  test(`${what} is reported as InvalidSpec and changes nothing`, () => {
    const before = sync(readme);
    const current = existing(before, allReady);
    const response = sync(spec as unknown as AtomixClusterSpec, current);
    const condition = ready(response);
    assert.is(condition.status, "False");
    assert.is(condition.reason, "InvalidSpec");
    assert.match(condition.message, message);
    assert.equal(listed(response).sort(), listed(before).sort(), "the existing children, restated");
    const statusNames = (response.status!.partitionGroups as Json[]).map((g) => g.name);
    assert.equal(statusNames, [...new Set(statusNames)], "each group once in the status list, which is keyed by name");
  });
}

test("a cluster name that starts with a digit cannot name Services", () => {
  assert.match(
    ready(sync(readme, {}, fastDisks, "1cluster")).message,
    'Service name "1cluster-service" must start with a letter',
  );
});

test("status: each group's ready pods, totals for the printer columns, Ready once every node set runs its current template", () => {
  const first = sync(withGroups);
  assert.equal(ready(first), {
    type: "Ready",
    status: "False",
    reason: "ReplicasNotReady",
    message:
      "waiting for management group 0/1 (updating), group raft 0/3 (updating), group primary-backup 0/2 (updating), group log 0/3 (updating)",
  });
  const partly = sync(
    withGroups,
    existing(
      first,
      (
        o,
      ) => (o.metadata.name === `${C}-raft`
        ? { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 3 }
        : allReady(o)),
    ),
  );
  assert.equal(ready(partly).message, "waiting for group raft 1/3");
  assert.is(partly.status!.ready, "7/9");
  const done = sync(withGroups, existing(first, allReady));
  assert.equal(ready(done), {
    type: "Ready",
    status: "True",
    reason: "AllReplicasReady",
    message: "all 9 pods are ready and up to date",
  });
  assert.equal(
    {
      groups: done.status!.groups,
      replicas: done.status!.replicas,
      readyReplicas: done.status!.readyReplicas,
      ready: done.status!.ready,
      management: done.status!.managementGroup,
    },
    { groups: 3, replicas: 9, readyReplicas: 9, ready: "9/9", management: { size: 1, readyReplicas: 1 } },
  );
});

test("status: a group whose spec changed is not Ready until its StatefulSet runs the new template, even with every old pod ready", () => {
  const settled = existing(sync(readme), allReady);
  const changed = sync(raftWith({ env: [{ name: "JAVA_OPTS", value: "-Xmx1G" }] }), settled);
  assert.equal(ready(changed), {
    type: "Ready",
    status: "False",
    reason: "ReplicasNotReady",
    message: "waiting for group raft 3/3 (updating)",
  });
  const grown = sync(raftWith({ size: 5 }), settled);
  assert.is(ready(grown).message, "waiting for group raft 3/5 (updating)");
  const lagging = existing(sync(readme), allReady);
  lagging["StatefulSet.apps/v1"]![`${C}-raft`]!.metadata.generation = 2;
  assert.is(
    ready(sync(readme, lagging)).message,
    "waiting for group raft 3/3 (updating)",
    "the StatefulSet controller has not seen the last change",
  );
});

test("status: the benchmark counts once its workers and coordinator are ready", () => {
  const spec = { ...readme, benchmark: { size: 2 } };
  const done = sync(spec, existing(sync(spec), allReady));
  assert.equal(done.status!.benchmark, { size: 2, readyReplicas: 2, coordinatorReady: true });
  assert.is(done.status!.ready, "7/7");
  assert.is(ready(done).status, "True");
});

test.run();
