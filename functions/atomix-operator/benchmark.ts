// The benchmark of an AtomixCluster (spec.benchmark): atomix-bench workers (a StatefulSet
// C-worker of spec.benchmark.size pods) and one coordinator (a Deployment C-bench) that
// runs the benchmarks, reached through Service C-bench-service and Ingress C-bench-ingress.
// Workers and coordinator join the cluster through its discovery Service. Pure.
import type { DesiredObject } from "../../runtime/mod.ts";
import { clientPort, memberConfig, nodePort } from "./config.ts";
import { labels, names, serviceHost } from "./names.ts";
import { atomixContainer, configMap, fingerprinted, nodeSet } from "./nodes.ts";
import type { AtomixClusterSpec } from "./kinds.ts";
import { IngressKind } from "./kinds.ts";

/** atomix-bench is versioned apart from Atomix; spec.version does not apply to it. */
export const benchmarkImage = "atomix/atomix-bench:latest";
export const defaultBenchmarkSize = 1;
export const defaultIngressPath = "/atomix-bench";
/** The coordinator's HTTP API, which the Ingress exposes; the path prefix is stripped. */
export const ingressAnnotations = {
  "nginx.ingress.kubernetes.io/rewrite-target": "/",
  "nginx.ingress.kubernetes.io/ssl-redirect": "false",
};

export type BenchmarkSpec = NonNullable<AtomixClusterSpec["benchmark"]>;

export function benchmarkObjects(
  cluster: string,
  namespace: string,
  clusterDomain: string,
  benchmark: BenchmarkSpec,
): DesiredObject[] {
  const discovery = serviceHost(names.discoveryService(cluster), namespace, clusterDomain);
  const config = memberConfig(discovery);
  const workers = nodeSet({
    name: names.workers(cluster),
    namespace,
    clusterDomain,
    labels: labels.workers(cluster),
    serviceName: names.workerService(cluster),
    configName: names.workerConfig(cluster),
    config,
    replicas: benchmark.size ?? defaultBenchmarkSize,
    image: benchmarkImage,
    command: ["agent"],
    env: benchmark.env,
    resources: benchmark.resources,
    spread: false,
  });

  const coordinatorLabels = labels.coordinator(cluster);
  const service = names.coordinatorService(cluster);
  const ingress = benchmark.ingress ?? {};
  const coordinator: DesiredObject[] = [
    configMap(names.coordinatorConfig(cluster), coordinatorLabels, config),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: service, labels: coordinatorLabels },
      spec: {
        selector: coordinatorLabels,
        ports: [
          { name: "api", port: clientPort, targetPort: clientPort, protocol: "TCP" },
          { name: "node", port: nodePort, targetPort: nodePort, protocol: "TCP" },
        ],
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: names.coordinator(cluster), labels: coordinatorLabels },
      spec: {
        replicas: 1,
        // Never two coordinators at once.
        strategy: { type: "Recreate" },
        selector: { matchLabels: coordinatorLabels },
        template: fingerprinted({
          metadata: { labels: coordinatorLabels },
          spec: {
            containers: [
              atomixContainer({
                image: benchmarkImage,
                command: ["agent"],
                host: serviceHost(service, namespace, clusterDomain),
                env: benchmark.env,
                resources: benchmark.resources,
                persistent: false,
              }),
            ],
            volumes: [{ name: "config", configMap: { name: names.coordinatorConfig(cluster) } }],
          },
        }, config),
      },
    },
    {
      apiVersion: IngressKind.apiVersion,
      kind: IngressKind.kind,
      metadata: { name: names.coordinatorIngress(cluster), labels: coordinatorLabels, annotations: ingressAnnotations },
      spec: {
        ...(ingress.className ? { ingressClassName: ingress.className } : {}),
        rules: [
          {
            ...(ingress.host ? { host: ingress.host } : {}),
            http: {
              paths: [{
                path: ingress.path ?? defaultIngressPath,
                pathType: "Prefix",
                backend: { service: { name: service, port: { number: clientPort } } },
              }],
            },
          },
        ],
      },
    },
  ];
  return [...workers, ...coordinator];
}
