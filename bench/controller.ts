// The runtime on a real cluster: N parents with 3 children each, from the first create to
// every child applied. Reports wall time, event-to-apply p50/p99 (estimated from the
// controller's histogram, as Prometheus' histogram_quantile does), the controller's peak
// RSS, and the API requests it made.
//   node bench/controller.ts [parents] [workers,workers,...]   (a fresh cluster per row)
import { readFileSync } from "node:fs";
import { KubeClient } from "../runtime/run.ts";
import { builtinKinds } from "../runtime/mod.ts";
import { startControlPlane as startCluster } from "../runtime/control-plane.ts";
import { WidgetKind } from "../test/sample/widget.ts";
import { freshNamespace, testKubeConfig } from "../test/support/kube.ts";
import { installWidgetCrd, startSample } from "../test/support/sample.ts";
import { writeReport } from "./report.ts";

const parents = Number(process.argv[2] ?? 1000);
const concurrencies = (process.argv[3] ?? "4,16").split(",").map(Number);
const childrenEach = 3;
const createsInFlight = 16;
const settleMs = 10_000;

function quantile(q: number, buckets: Array<[number, number]>): number {
  const total = buckets.at(-1)![1];
  const rank = q * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(bound)) return previousBound;
      return previousBound + ((bound - previousBound) * (rank - previousCount)) / Math.max(count - previousCount, 1);
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}

const rows: Array<Record<string, string | number>> = [];
const methodNotes: string[] = [];
for (const concurrency of concurrencies) {
  const cluster = await startCluster({ log: (line) => console.error(line) });
  try {
    const config = testKubeConfig(cluster.kubeconfig);
    const client = new KubeClient(config);
    const ns = (await freshNamespace(config, "bench")).name;
    await installWidgetCrd(config);
    const sample = await startSample({
      namespace: ns,
      identity: "bench",
      kubeconfig: cluster.kubeconfig,
      args: [`--concurrency=${concurrency}`, "--log-level=info"],
    });
    while (!(await sample.readyz()).leader) await new Promise((resolve) => setTimeout(resolve, 100));
    const requestsBefore = await sample.metric("rest_client_requests_total");
    const idleRssMiB = (await sample.metric("process_resident_memory_bytes")) / 2 ** 20;

    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: createsInFlight }, async () => {
        while (next < parents) {
          const index = next++;
          await client.create(WidgetKind, {
            apiVersion: WidgetKind.apiVersion,
            kind: "Widget",
            metadata: { name: `w-${index}`, namespace: ns },
            spec: { replicas: childrenEach },
          });
        }
      }),
    );
    const createdMs = performance.now() - started;
    const expected = parents * childrenEach;
    let applied = 0;
    while (applied < expected) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      applied = (await client.list(builtinKinds.ConfigMap, {
        namespace: ns,
        labelSelector: "app.kubernetes.io/managed-by=widgets",
      })).items.length;
    }
    const wallMs = performance.now() - started;

    const metrics = await (await sample.get("/metrics")).text();
    const buckets: Array<[number, number]> = [];
    for (
      const match of metrics.matchAll(
        /^controller_runtime_event_to_apply_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/gm,
      )
    ) {
      buckets.push([match[1] === "+Inf" ? Infinity : Number(match[1]), Number(match[2])]);
    }
    const status = readFileSync(`/proc/${sample.process.pid}/status`, "utf8");
    const peakRssMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    const requests = (await sample.metric("rest_client_requests_total")) - requestsBefore;
    const cachedObjects = await sample.metric("informer_cached_objects");
    // After a quiet spell, what the process keeps: the cache plus whatever V8 has not returned.
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const settledRssMiB = (await sample.metric("process_resident_memory_bytes")) / 2 ** 20;
    const heapUsedMiB = (await sample.metric("nodejs_heap_size_used_bytes")) / 2 ** 20;
    const byMethod = ["GET", "PATCH", "POST", "PUT", "DELETE"].map(async (method) =>
      `${method} ${await sample.metric("rest_client_requests_total", { method })}`
    );
    const methods = (await Promise.all(byMethod)).join(", ");
    await sample.stop();

    rows.push(
      {
        parents,
        children: expected,
        workers: concurrency,
        "creates done (s)": (createdMs / 1000).toFixed(1),
        "all children applied (s)": (wallMs / 1000).toFixed(1),
        "event-to-apply p50 (ms)": (quantile(0.5, buckets) * 1000).toFixed(0),
        "event-to-apply p99 (ms)": (quantile(0.99, buckets) * 1000).toFixed(0),
        "RSS before (MiB)": idleRssMiB.toFixed(0),
        "peak RSS (MiB)": peakRssMiB.toFixed(0),
        [`RSS ${settleMs / 1000} s after (MiB)`]: settledRssMiB.toFixed(0),
        "heap used after (MiB)": heapUsedMiB.toFixed(0),
        "cached objects": cachedObjects,
        "API requests": requests,
      },
    );
    methodNotes.push(`${concurrency} workers: ${methods}`);
  } finally {
    await cluster.stop();
  }
}

writeReport({
  name: "controller",
  command: `node bench/controller.ts ${parents} ${concurrencies.join(",")}`,
  rows,
  notes: [
    "a fresh local control plane from the runtime's control plane (runtime/control-plane) (etcd, kube-apiserver, controller manager, scheduler, kwok) per row, on the same machine",
    `the sample controller (test/sample) runs as its own process with leader election; parents are created ${createsInFlight} at a time`,
    "each parent costs a finalizer apply, 3 child applies, 2 status applies (0 then 3 children) and one Event",
    "event-to-apply: from the watch event that queued a parent to each resulting write being acknowledged; queueing dominates once parents arrive faster than the API server takes writes",
    "memory: RSS before is the leader at rest with empty caches; peak RSS is the kernel's high-water mark (VmHWM); the cache holds Widgets, their ConfigMaps and the Lease, without managedFields; heap used is V8's, read from the process's own /metrics",
    ...methodNotes.map((note) => `requests by method (whole run, including start-up and Lease renewals), ${note}`),
  ],
});
