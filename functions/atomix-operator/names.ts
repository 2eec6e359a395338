// The names and labels of everything an AtomixCluster creates, and the checks that keep them
// valid and distinct. For cluster C and partition group G:
//   management group   StatefulSet C, headless Service C-service (also the discovery Service), ConfigMap C-config
//   partition group    StatefulSet C-G, headless Service C-G-service, ConfigMap C-G-config
//   benchmark workers  StatefulSet C-worker, headless Service C-worker-service, ConfigMap C-worker-config
//   benchmark coordinator  Deployment C-bench, Service C-bench-service, ConfigMap C-bench-config, Ingress C-bench-ingress
// Labels as the atomix-operator README lists them; the README's `type: managment` is a typo,
// and `management` is what is written (as the original operator did).

/** Group names that would give a partition group the name of a management or benchmark object. */
export const reservedGroupNames = ["service", "config", "worker", "bench"] as const;

/** StatefulSet names longer than this leave no room for the controller-revision-hash label of their pods. */
export const maxStatefulSetNameLength = 52;
/** Services are DNS-1035 labels. */
export const maxServiceNameLength = 63;

export const names = {
  management: (cluster: string) => cluster,
  discoveryService: (cluster: string) => `${cluster}-service`,
  managementConfig: (cluster: string) => `${cluster}-config`,
  group: (cluster: string, group: string) => `${cluster}-${group}`,
  groupService: (cluster: string, group: string) => `${cluster}-${group}-service`,
  groupConfig: (cluster: string, group: string) => `${cluster}-${group}-config`,
  workers: (cluster: string) => `${cluster}-worker`,
  workerService: (cluster: string) => `${cluster}-worker-service`,
  workerConfig: (cluster: string) => `${cluster}-worker-config`,
  coordinator: (cluster: string) => `${cluster}-bench`,
  coordinatorService: (cluster: string) => `${cluster}-bench-service`,
  coordinatorConfig: (cluster: string) => `${cluster}-bench-config`,
  coordinatorIngress: (cluster: string) => `${cluster}-bench-ingress`,
};

export type Labels = Record<string, string>;

export const labels = {
  /** Every pod of the cluster; the discovery Service selects these. */
  cluster: (cluster: string): Labels => ({ app: cluster }),
  management: (cluster: string): Labels => ({ app: cluster, type: "management" }),
  group: (cluster: string, group: string): Labels => ({ app: cluster, type: "group", group }),
  workers: (cluster: string): Labels => ({ app: cluster, type: "benchmark-worker" }),
  coordinator: (cluster: string): Labels => ({ app: cluster, type: "benchmark-coordinator" }),
};

/** The fully qualified DNS name of a Service. */
export const serviceHost = (service: string, namespace: string, clusterDomain: string) =>
  `${service}.${namespace}.svc.${clusterDomain}`;

const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * What is wrong with the names this cluster would create, one message per problem: reserved
 * group names, and names Kubernetes would refuse (too long, or a Service not starting with a
 * letter). Empty when all is well.
 */
export function nameProblems(cluster: string, groups: readonly string[], withBenchmark: boolean): string[] {
  const problems: string[] = [];
  for (const group of groups) {
    if ((reservedGroupNames as readonly string[]).includes(group)) {
      problems.push(
        `partition group name "${group}" is reserved (${
          reservedGroupNames.join(", ")
        } would share names with the management group's or the benchmark's objects): rename the group`,
      );
    }
  }
  const statefulSets = [
    names.management(cluster),
    ...groups.map((g) => names.group(cluster, g)),
    ...(withBenchmark ? [names.workers(cluster)] : []),
  ];
  for (const name of statefulSets) {
    if (name.length > maxStatefulSetNameLength) {
      problems.push(
        `StatefulSet name "${name}" is ${name.length} characters, more than ${maxStatefulSetNameLength}: use a shorter cluster or group name`,
      );
    }
  }
  const services = [
    names.discoveryService(cluster),
    ...groups.map((g) => names.groupService(cluster, g)),
    ...(withBenchmark ? [names.workerService(cluster), names.coordinatorService(cluster)] : []),
  ];
  for (const name of services) {
    if (name.length > maxServiceNameLength) {
      problems.push(
        `Service name "${name}" is ${name.length} characters, more than ${maxServiceNameLength}: use a shorter cluster or group name`,
      );
    } else if (!dns1035.test(name)) {
      problems.push(`Service name "${name}" must start with a letter: rename the cluster`);
      break;
    }
  }
  return problems;
}
