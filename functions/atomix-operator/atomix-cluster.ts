// AtomixCluster (agent.atomix.io/v1alpha1) → the management group (StatefulSet C, discovery
// Service C-service, ConfigMap C-config), one StatefulSet, headless Service and ConfigMap per
// partition group, and the benchmark when spec.benchmark is set. The status counts each node
// set's ready pods and says Ready once every one runs its current template. A StorageClass the
// spec names but the cluster lacks is reported (the claims stay Pending meanwhile); names that
// cannot work are reported and change nothing. Pure.
import {
  builtinKinds,
  controller,
  type DesiredObject,
  type KubeObject,
  objectOf,
  objectsOf,
  readyCondition,
  type SyncRequest,
  type SyncResponse,
  unchangedChildren,
} from "../../runtime/mod.ts";
import { benchmarkObjects, defaultBenchmarkSize } from "./benchmark.ts";
import { AtomixClusterKind } from "./crd.ts";
import {
  defaultAtomixVersion,
  defaultManagementSize,
  defaultStorageSize,
  groupPartitions,
  groupProtocol,
  groupSize,
  managementConfig,
  partitionGroupConfig,
  raftPartitionSize,
} from "./config.ts";
import { labels, nameProblems, names, serviceHost } from "./names.ts";
import { nodeSet, templateHashOf } from "./nodes.ts";
import { type AtomixCluster, type AtomixClusterSpec, type AtomixPartitionGroupSpec, IngressKind } from "./kinds.ts";

export interface AtomixClusterOptions {
  clusterDomain: string;
}

export const defaultAtomixClusterOptions: AtomixClusterOptions = { clusterDomain: "cluster.local" };

export const atomixImage = (version: string) => `atomix/atomix:${version}`;
const protocolTypes = { raft: "raft", primaryBackup: "primary-backup", log: "log" } as const;

/** Every StorageClass the spec names, with the fields that name it. */
export function storageClassUses(spec: AtomixClusterSpec | undefined): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const add = (className: string | undefined, field: string) => {
    if (className) uses.set(className, [...(uses.get(className) ?? []), field]);
  };
  add(spec?.managementGroup?.storage?.className, "spec.managementGroup.storage.className");
  for (const group of spec?.partitionGroups ?? []) {
    add(group.raft?.storage?.className, `spec.partitionGroups[${group.name}].raft.storage.className`);
    add(group.log?.storage?.className, `spec.partitionGroups[${group.name}].log.storage.className`);
  }
  return uses;
}

/** What is wrong with the groups themselves; the CRD refuses all of it, this covers objects stored before it did. */
function groupProblems(groups: AtomixPartitionGroupSpec[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const group of groups) {
    if (seen.has(group.name)) {
      problems.push(`partition group "${group.name}" is listed twice: give each group its own name`);
    }
    seen.add(group.name);
    if (!groupProtocol(group)) {
      problems.push(`partition group "${group.name}": set exactly one of raft, primaryBackup or log`);
    } else if (group.raft && raftPartitionSize(group) > groupSize(group)) {
      problems.push(
        `partition group "${group.name}": raft.partitionSize ${
          raftPartitionSize(group)
        } is more than the group's size ${groupSize(group)}`,
      );
    }
  }
  return problems;
}

export interface NodeSetStatus {
  size: number;
  readyReplicas: number;
  /** The workload exists, runs the desired template at the desired size, and its controller has caught up. */
  current: boolean;
}

/** How far a StatefulSet or Deployment is from what this sync wants of it. */
export function nodeSetStatus(
  existing: KubeObject | undefined,
  desired: DesiredObject | undefined,
  size: number,
): NodeSetStatus {
  const status = (existing?.status ?? {}) as {
    readyReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
  };
  const current = existing !== undefined &&
    desired !== undefined &&
    templateHashOf(existing) === templateHashOf(desired) &&
    (existing.spec as { replicas?: number } | undefined)?.replicas === size &&
    (status.observedGeneration ?? 0) >= (existing.metadata.generation ?? 0) &&
    (status.updatedReplicas ?? 0) >= size;
  return { size, readyReplicas: status.readyReplicas ?? 0, current };
}

function desiredChildren(cluster: AtomixCluster, options: AtomixClusterOptions): DesiredObject[] {
  const name = cluster.metadata.name;
  const namespace = cluster.metadata.namespace!;
  const spec = cluster.spec ?? {};
  const image = atomixImage(spec.version ?? defaultAtomixVersion);
  const discovery = serviceHost(names.discoveryService(name), namespace, options.clusterDomain);
  const members = (set: string, size: number) => Array.from({ length: size }, (_, ordinal) => `${set}-${ordinal}`);
  const common = { namespace, clusterDomain: options.clusterDomain, image, spread: true };

  const management = spec.managementGroup ?? {};
  const managementSize = management.size ?? defaultManagementSize;
  const desired = nodeSet({
    ...common,
    name: names.management(name),
    labels: labels.management(name),
    serviceName: names.discoveryService(name),
    serviceSelector: labels.cluster(name),
    configName: names.managementConfig(name),
    config: managementConfig(discovery, members(names.management(name), managementSize), management.storage),
    replicas: managementSize,
    env: management.env,
    resources: management.resources,
    storage: { ...management.storage, size: management.storage?.size ?? defaultStorageSize },
  });
  for (const group of spec.partitionGroups ?? []) {
    const set = names.group(name, group.name);
    const storage = group.raft?.storage ?? group.log?.storage;
    const persistent = Boolean(group.raft || group.log);
    desired.push(
      ...nodeSet({
        ...common,
        name: set,
        labels: labels.group(name, group.name),
        serviceName: names.groupService(name, group.name),
        configName: names.groupConfig(name, group.name),
        config: partitionGroupConfig(discovery, group, members(set, groupSize(group))),
        replicas: groupSize(group),
        env: group.env,
        resources: group.resources,
        storage: persistent ? { ...storage, size: storage?.size ?? defaultStorageSize } : undefined,
      }),
    );
  }
  if (spec.benchmark) desired.push(...benchmarkObjects(name, namespace, options.clusterDomain, spec.benchmark));
  return desired;
}

export function syncAtomixCluster(
  options: AtomixClusterOptions,
  { parent: cluster, children, related }: SyncRequest<AtomixCluster>,
): SyncResponse<DesiredObject> {
  const name = cluster.metadata.name;
  const spec = cluster.spec ?? {};
  const groups = spec.partitionGroups ?? [];
  const statefulSets = objectsOf(children, builtinKinds.StatefulSet);
  const deployments = objectsOf(children, builtinKinds.Deployment);

  const problems = [
    ...groupProblems(groups),
    ...nameProblems(name, groups.map((g) => g.name), Boolean(spec.benchmark)),
  ];
  const desired = problems.length ? unchangedChildren(children) : desiredChildren(cluster, options);
  const desiredByKey = new Map(desired.map((child) => [`${child.kind}/${child.metadata.name}`, child]));
  const observe = (kind: "StatefulSet" | "Deployment", set: string, size: number) =>
    nodeSetStatus((kind === "StatefulSet" ? statefulSets : deployments)[set], desiredByKey.get(`${kind}/${set}`), size);

  const management = observe(
    "StatefulSet",
    names.management(name),
    spec.managementGroup?.size ?? defaultManagementSize,
  );
  // Status lists each group once (its list is keyed by name), even when the spec repeats one.
  const distinct = groups.filter((group, index) => groups.findIndex((other) => other.name === group.name) === index);
  const partitionGroups = distinct.map((group) => ({
    name: group.name,
    protocol: groupProtocol(group) ? protocolTypes[groupProtocol(group)!] : "unknown",
    partitions: groupPartitions(group),
    ...observe("StatefulSet", names.group(name, group.name), groupSize(group)),
  }));
  const sets: Array<[string, NodeSetStatus]> = [
    ["management group", management],
    ...partitionGroups.map((g): [string, NodeSetStatus] => [`group ${g.name}`, g]),
  ];
  let benchmark;
  if (spec.benchmark) {
    const workers = observe("StatefulSet", names.workers(name), spec.benchmark.size ?? defaultBenchmarkSize);
    const coordinator = observe("Deployment", names.coordinator(name), 1);
    benchmark = {
      size: workers.size,
      readyReplicas: workers.readyReplicas,
      coordinatorReady: coordinator.current && coordinator.readyReplicas >= 1,
    };
    sets.push(["benchmark workers", workers], ["benchmark coordinator", coordinator]);
  }

  const replicas = sets.reduce((sum, [, set]) => sum + set.size, 0);
  const readyReplicas = sets.reduce((sum, [, set]) => sum + Math.min(set.readyReplicas, set.size), 0);
  const waiting = sets.filter(([, set]) => !set.current || set.readyReplicas < set.size);
  const missingClasses = [...storageClassUses(spec)].filter(([className]) =>
    !objectOf(related, builtinKinds.StorageClass, className)
  );

  let condition;
  if (problems.length) {
    condition = readyCondition(false, "InvalidSpec", `${problems.join("; ")}. Nothing was changed until this is fixed`);
  } else if (missingClasses.length) {
    const list = missingClasses.map(([className, fields]) =>
      `storage class "${className}" does not exist (named by ${fields.join(", ")})`
    );
    condition = readyCondition(
      false,
      "StorageClassNotFound",
      `${list.join("; ")}: create it or change className; the volume claims stay Pending until then`,
    );
  } else if (waiting.length) {
    const detail = waiting.map(([label, set]) =>
      `${label} ${Math.min(set.readyReplicas, set.size)}/${set.size}${set.current ? "" : " (updating)"}`
    );
    condition = readyCondition(false, "ReplicasNotReady", `waiting for ${detail.join(", ")}`);
  } else {
    condition = readyCondition(true, "AllReplicasReady", `all ${replicas} pods are ready and up to date`);
  }

  const publicStatus = ({ size, readyReplicas }: NodeSetStatus) => ({ size, readyReplicas });
  return {
    children: desired,
    status: {
      serviceName: names.discoveryService(name),
      managementGroup: publicStatus(management),
      partitionGroups: partitionGroups.map((g) => ({
        name: g.name,
        protocol: g.protocol,
        partitions: g.partitions,
        ...publicStatus(g),
      })),
      ...(benchmark ? { benchmark } : {}),
      groups: groups.length,
      replicas,
      readyReplicas,
      ready: `${readyReplicas}/${replicas}`,
      conditions: [condition],
    },
  };
}

export function atomixClusters(options: AtomixClusterOptions = defaultAtomixClusterOptions) {
  return controller<AtomixCluster>({
    name: "atomix-cluster",
    parent: AtomixClusterKind,
    children: [
      builtinKinds.ConfigMap,
      builtinKinds.Service,
      builtinKinds.StatefulSet,
      builtinKinds.Deployment,
      IngressKind,
    ],
    related: {
      kinds: [builtinKinds.StorageClass],
      select(cluster) {
        const classes = [...storageClassUses(cluster.spec).keys()];
        return classes.length
          ? [{ apiVersion: builtinKinds.StorageClass.apiVersion, kind: builtinKinds.StorageClass.kind, names: classes }]
          : [];
      },
    },
    sync: (request) => syncAtomixCluster(options, request),
  });
}
