// Memory through a workload, for each set of Node flags worth shipping, side by side in one run:
// the Atomix controller bundled as the image runs it (one replica) at rest; its high-water
// while 100 PartitionGroups of 3 partitions × 3 replicas are created and converge (and how
// long they take, which is what a flag that saves memory may cost); 30 s after they are
// deleted; with 10k ConfigMaps not its own (which it does not cache), and with 10k of its own
// (which it does). The memory regression bench: about five minutes a flag set.
//   node bench/memory-load.ts     (starts a bench cluster; BENCH_KUBECONFIG=path reuses one)
//   BENCH_GROUPS=100 BENCH_BALLAST=10000 BENCH_FLAGS=image,size  to change the sizes or flag sets
//   BENCH_NAME=memory-allocators  to write bench/results/<name>.{json,md} (memory-load by default)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinKinds, type KubeObject } from "../runtime/mod.ts";
import { KubeClient } from "../runtime/run.ts";
import { PartitionGroupKind } from "../functions/atomix-controller/kinds.ts";
import {
  makeNamespace,
  namespaceDeleteCapMs,
  removeNamespace,
  sleep,
  startBenchCluster,
} from "./side-by-side/control-plane.ts";
import {
  buildOurs,
  type Controller,
  freePort,
  installOurs,
  memoryOf,
  resetHighWater,
  startOurs,
} from "./side-by-side/controllers.ts";
import { readyOf } from "./side-by-side/track.ts";
import { partitionGroup, pool } from "./side-by-side/workload.ts";
import { writeReport } from "./report.ts";

const groups = Number(process.env.BENCH_GROUPS ?? 100);
const ballast = Number(process.env.BENCH_BALLAST ?? 10_000);
const size = { partitions: 3, replicas: 3 };
const restMs = 20_000;
const afterMs = 30_000;
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** glibc's malloc thresholds held at their starting 128 KiB, as the image sets them (deploy/Containerfile). */
const trimmed = "glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_threshold=131072";

/**
 * The flag sets compared: the image's, and each memory setting on top of it. Each runs with the
 * image's environment (imageEnv) and the program's defaults, idle compaction included, unless its
 * env says otherwise; an empty value takes one of the image's variables away.
 */
const flagSets: Record<string, { label: string; flags: string[]; env?: Record<string, string> }> = {
  node: { label: "Node's defaults", flags: [], env: { GLIBC_TUNABLES: "" } },
  uncompacted: {
    label: "the image, idle compaction off (--memory-compaction-idle-seconds=0)",
    flags: ["--max-semi-space-size=1"],
    env: { MEMORY_COMPACTION_IDLE_SECONDS: "0" },
  },
  image: {
    label: "the image: --max-semi-space-size=1, GLIBC_TUNABLES trim and mmap thresholds 128 KiB",
    flags: ["--max-semi-space-size=1"],
  },
  glibc: {
    label: "the image without its GLIBC_TUNABLES: --max-semi-space-size=1 alone (glibc's thresholds grow)",
    flags: ["--max-semi-space-size=1"],
    env: { GLIBC_TUNABLES: "" },
  },
  trim: {
    label: "--max-semi-space-size=1, GLIBC_TUNABLES trim and mmap thresholds 128 KiB (the image's since 2026-12-06)",
    flags: ["--max-semi-space-size=1"],
    env: { GLIBC_TUNABLES: trimmed },
  },
  size: {
    label: "the image + --optimize-for-size",
    flags: ["--max-semi-space-size=1", "--optimize-for-size"],
  },
  workers16: {
    label: "the image, 16 syncs at once per controller (--concurrency=16; default 4)",
    flags: ["--max-semi-space-size=1"],
    env: { CONCURRENCY: "16" },
  },
  arenas: {
    label: "the image, two glibc arenas (MALLOC_ARENA_MAX=2)",
    flags: ["--max-semi-space-size=1"],
    env: { MALLOC_ARENA_MAX: "2", GLIBC_TUNABLES: trimmed },
  },
  jemalloc: {
    label: "the image on jemalloc (LD_PRELOAD, MALLOC_CONF=background_thread:true)",
    flags: ["--max-semi-space-size=1"],
    env: { LD_PRELOAD: "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", MALLOC_CONF: "background_thread:true" },
  },
  capped: {
    label: "the image + --max-old-space-size=128",
    flags: ["--max-semi-space-size=1", "--max-old-space-size=128"],
  },
};
const chosen = (process.env.BENCH_FLAGS ?? "node,uncompacted,image,glibc,size,capped").split(",");

const log = (line: string) => console.error(`[memory-load] ${line}`);

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? NaN);
}

/** The sum of a metric's series (informer_cached_objects has one per kind). */
async function metricSum(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, "gm"))) sum += Number(match[1]);
  return sum;
}

async function heap(port: number): Promise<string> {
  const used = await metric(port, "nodejs_heap_size_used_bytes");
  const total = await metric(port, "nodejs_heap_size_total_bytes");
  return `${mib(used)} / ${mib(total)}`;
}

/** Waits for the condition, sampling the controller's RSS meanwhile; returns the highest sample. */
async function until(what: string, controller: Controller, condition: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let peak = 0;
  while (Date.now() < deadline) {
    peak = Math.max(peak, memoryOf(controller.pid).rss);
    if (await condition()) return peak;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Creates `ballast` ConfigMaps (with the managed-by label of `managedBy`, if given) and returns
 * the controller's RSS once it has seen them (its cache holds them, or for others' objects, its
 * cache count is unchanged) and 20 s have passed, with how many objects it caches.
 */
async function withBallast(
  client: KubeClient,
  controller: Controller,
  port: number,
  namespace: string,
  prefix: string,
  managedBy: string | undefined,
): Promise<{ rss: number; cached: number }> {
  const request = pool(32);
  const cachedBefore = await metricSum(port, "informer_cached_objects");
  const labels = { app: "ballast", ...(managedBy && { "app.kubernetes.io/managed-by": managedBy }) };
  await Promise.all(
    Array.from({ length: ballast }, (_, i) =>
      request(() =>
        client.create<KubeObject>(builtinKinds.ConfigMap, {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: `${prefix}-${i}`, namespace, labels },
          data: { "partition.json": JSON.stringify({ partition: i, replicas: ["a", "b", "c"] }) },
        })
      )),
  );
  if (managedBy) {
    await until("the ConfigMaps cached", controller, async () => {
      return (await metricSum(port, "informer_cached_objects")) >= cachedBefore + ballast;
    }, 120_000);
  }
  await sleep(restMs);
  return { rss: memoryOf(controller.pid).rss, cached: await metricSum(port, "informer_cached_objects") };
}

async function measure(
  key: string,
  client: KubeClient,
  built: string,
  kubeconfig: string,
  logDir: string,
): Promise<Record<string, string | number>> {
  const { label, flags, env } = flagSets[key]!;
  const port = await freePort();
  const ns = `memory-${key}-${Date.now().toString(36)}`;
  const ballastNs = `${ns}-ballast`;
  await makeNamespace(client, ns);
  await makeNamespace(client, ballastNs);
  const controller = await startOurs({ built, kubeconfig, port, logDir, name: key, nodeFlags: flags, env });
  try {
    await sleep(restMs);
    const rest = memoryOf(controller.pid).rss;
    const restHeap = await heap(port);
    log(`${key}: ${mib(rest)} MiB at rest`);

    resetHighWater(controller.pid);
    const started = performance.now();
    const request = pool(32);
    await Promise.all(
      Array.from(
        { length: groups },
        (_, i) => request(() => client.create(PartitionGroupKind, partitionGroup(`g${i}`, ns, size))),
      ),
    );
    const sets = groups * size.partitions;
    const peak = await until(`${sets} StatefulSets ready`, controller, async () => {
      const list = await client.list(builtinKinds.StatefulSet, { namespace: ns });
      return list.items.length === sets && list.items.every(readyOf);
    }, 600_000);
    const convergeSeconds = (performance.now() - started) / 1000;
    const highWater = Math.max(peak, memoryOf(controller.pid).hwm);
    log(`${key}: converged in ${convergeSeconds.toFixed(1)} s, high-water ${mib(highWater)} MiB`);

    await Promise.all(
      Array.from({ length: groups }, (_, i) => request(() => client.delete(PartitionGroupKind, ns, `g${i}`))),
    );
    await until("the StatefulSets gone", controller, async () => {
      const list = await client.list(builtinKinds.StatefulSet, { namespace: ns });
      return list.items.length === 0;
    }, 600_000);
    await sleep(afterMs);
    const after = memoryOf(controller.pid).rss;
    const afterHeap = await heap(port);
    log(`${key}: ${mib(after)} MiB ${afterMs / 1000} s after deleting them`);

    // Others' ConfigMaps (the cache keeps only the controllers' own: none of these), then as
    // many labelled as its own (owned by nothing), which it caches.
    const others = await withBallast(client, controller, port, ballastNs, "other", undefined);
    log(`${key}: ${mib(others.rss)} MiB with ${ballast} others' ConfigMaps (${others.cached} objects cached)`);
    const own = await withBallast(client, controller, port, ballastNs, "own", "partitions");
    log(`${key}: ${mib(own.rss)} MiB with ${ballast} of its own ConfigMaps (${own.cached} objects cached)`);
    return {
      "Node flags": label,
      "at rest MiB": mib(rest),
      "heap at rest MiB (used / total)": restHeap,
      "high-water MiB": mib(highWater),
      "converge s": convergeSeconds.toFixed(1),
      "after delete MiB": mib(after),
      "heap after MiB (used / total)": afterHeap,
      "after / at rest": (after / rest).toFixed(2),
      [`+ ${ballast / 1000}k others' ConfigMaps MiB`]: mib(others.rss),
      [`+ ${ballast / 1000}k of its own MiB`]: mib(own.rss),
      "objects cached then": own.cached,
    };
  } finally {
    await controller.stop();
    // Gone before the next flag set starts, or its cache at rest would hold them.
    await Promise.all([ballastNs, ns].map((name) => removeNamespace(client, name, namespaceDeleteCapMs)));
  }
}

const given = process.env.BENCH_KUBECONFIG;
const bench = given ? undefined : await startBenchCluster(log);
const kubeconfig = given ?? bench!.cluster.kubeconfig;
const logDir = mkdtempSync(join(tmpdir(), "memory-load-"));
let built: string | undefined;
try {
  await installOurs(given ? "kubectl" : bench!.cluster.binaries.kubectl, kubeconfig);
  log("building the controller as the image does");
  built = await buildOurs();
  const client = KubeClient.load(kubeconfig);
  const rows = [];
  for (const key of chosen) rows.push(await measure(key, client, built, kubeconfig, logDir));
  const name = process.env.BENCH_NAME || "memory-load";
  writeReport({
    name,
    command: `${name === "memory-load" ? "" : `BENCH_NAME=${name} `}${
      process.env.BENCH_FLAGS ? `BENCH_FLAGS=${process.env.BENCH_FLAGS} ` : ""
    }node bench/memory-load.ts`,
    rows,
    notes: [
      `One replica of the controller bundled as the image has it (dev/bundle.ts; leader election off) per flag set, each in a fresh process and namespace.`,
      `At rest: ${
        restMs / 1000
      } s after start, caches synced. Converge: ${groups} PartitionGroups of ${size.partitions} partitions × ${size.replicas} replicas created (32 at a time) until every StatefulSet is ready (kwok pods); high-water is VmHWM over that time.`,
      `After delete: ${afterMs / 1000} s after the last StatefulSet went. Then ${ballast} ConfigMaps that are not ` +
      `its own (no managed-by label: the controller caches only the ConfigMaps, Services, StatefulSets, ` +
      `PodDisruptionBudgets and EndpointSlices its controllers made), then ${ballast} more labelled as made by its ` +
      `partitions controller (owned by nothing), which it caches; each read ${restMs / 1000} s after it saw them.`,
    ],
  });
} finally {
  if (built) rmSync(built, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
  await bench?.stop();
}
