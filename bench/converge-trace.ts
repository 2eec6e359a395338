// Where a converge's sync time goes, per controller: the Atomix controller bundled as the image
// runs it, exporting its spans (test/sample/tracing.ts) to the OpenTelemetry Collector's OTLP
// receiver, while N parents of 3 partitions × 3 replicas are created (16 at a time, as the
// side-by-side does) and converge. For each controller: how many syncs ran, how long the
// oldest watch event behind each waited in the queue, and how each sync's time divides into
// the part before the function's call, the call, the children's writes and the parent's.
//   node bench/converge-trace.ts   (starts a bench cluster; BENCH_KUBECONFIG=path reuses one;
//                                   BENCH_N=100, BENCH_GENERATIONS=partition-groups,databases;
//                                   CONCURRENCY=16 reaches the controller as its --concurrency;
//                                   BENCH_NAME names the results file)
import { builtinKinds, type Kind } from "../runtime/mod.ts";
import type { KubeClient } from "../runtime/run.ts";
import type { ReceivedSpan } from "../test/support/otlp.ts";
import { makeNamespace, namespaceDeleteCapMs, removeNamespace, sleep } from "./side-by-side/control-plane.ts";
import { millis, quantile } from "./side-by-side/stats.ts";
import { Tracker } from "./side-by-side/track.ts";
import { expected, type Generation, pool, shapeOf } from "./side-by-side/workload.ts";
import { writeReport } from "./report.ts";
import { withTracedController } from "./traced.ts";

const n = Number(process.env.BENCH_N ?? 100);
const generations = (process.env.BENCH_GENERATIONS ?? "partition-groups,databases").split(",") as Generation[];
const size = { partitions: 3, replicas: 3 };
const capMs = 300_000;
const log = (line: string) => console.error(`[converge-trace] ${line}`);

/** Spans of the parent's own writes (parent-writes.ts names them "<what> <Kind>"). */
const parentWrite = /^(status|metadata|finalizer) /;
const childWrite = /^(apply|delete|compare) /;

interface SyncSplit {
  controller: string;
  durationMs: number;
  queueMs: number | undefined;
  beforeCallMs: number;
  callMs: number;
  childWritesMs: number;
  parentWritesMs: number;
  parentWrites: number;
  childWrites: number;
  applyMs: number[];
}

function splitSyncs(spans: ReceivedSpan[], from: number, to: number): SyncSplit[] {
  const byTrace = new Map<string, ReceivedSpan[]>();
  for (const span of spans) {
    const list = byTrace.get(span.traceId);
    if (list) list.push(span);
    else byTrace.set(span.traceId, [span]);
  }
  const events = new Map(spans.filter((span) => span.name.startsWith("watch ")).map((span) => [span.spanId, span]));
  const splits: SyncSplit[] = [];
  for (const sync of spans) {
    if (!sync.name.startsWith("sync ") || sync.startMs < from || sync.startMs > to) continue;
    const inside = (byTrace.get(sync.traceId) ?? []).filter((span) => span !== sync);
    const call = inside.find((span) => span.name.startsWith("call "));
    const children = inside.filter((span) => childWrite.test(span.name));
    const parents = inside.filter((span) => parentWrite.test(span.name));
    const linked = sync.links.map((link) => events.get(link.spanId)).filter((e): e is ReceivedSpan => !!e);
    const oldest = linked.length ? Math.min(...linked.map((event) => event.startMs)) : undefined;
    const callEnd = call?.endMs ?? sync.startMs;
    const lastChild = children.length ? Math.max(...children.map((span) => span.endMs)) : callEnd;
    splits.push({
      controller: sync.name.slice("sync ".length),
      durationMs: sync.endMs - sync.startMs,
      queueMs: oldest === undefined ? undefined : Math.max(0, sync.startMs - oldest),
      beforeCallMs: call ? call.startMs - sync.startMs : 0,
      callMs: call ? call.endMs - call.startMs : 0,
      childWritesMs: Math.max(0, lastChild - callEnd),
      parentWritesMs: parents.reduce((sum, span) => sum + (span.endMs - span.startMs), 0),
      parentWrites: parents.length,
      childWrites: children.length,
      applyMs: children.filter((span) => span.name.startsWith("apply ")).map((span) => span.endMs - span.startMs),
    });
  }
  return splits;
}

const mean = (values: number[]) => values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;

async function converge(generation: Generation, client: KubeClient): Promise<{ namespace: string; seconds: number }> {
  const shape = shapeOf(generation, "ours");
  const namespace = `converge-trace-${generation}`;
  await makeNamespace(client, namespace);
  for (const { kind, object } of shape.prerequisites(namespace, size)) await client.create(kind, object);
  const tracker = new Tracker(client, namespace, {
    statefulsets: builtinKinds.StatefulSet,
    services: builtinKinds.Service,
    partitions: shape.partitionKind,
  } as Record<string, Kind>);
  await tracker.start();
  const want = expected(generation, n, size);
  try {
    const t0 = performance.now();
    const create = pool(16);
    await Promise.all(
      Array.from(
        { length: n },
        (_, i) => create(() => client.create(shape.parentKind, shape.parent(`g-${i}`, namespace, size))),
      ),
    );
    const done = await tracker.until(
      () =>
        tracker.count("statefulsets", (_, seen) => seen.ready) >= want.readyStatefulSets &&
        tracker.count("services") >= want.services,
      t0 + capMs,
    );
    if (done === undefined) throw new Error(`${generation}: not converged in ${capMs / 1000} s`);
    return { namespace, seconds: (done - t0) / 1000 };
  } finally {
    await tracker.stop();
  }
}

await withTracedController("converge-trace", log, async ({ client, spans }) => {
  const rows: Array<Record<string, string | number>> = [];
  const notes: string[] = [];
  for (const generation of generations) {
    const from = Date.now();
    log(`${generation}: ${n} parents of ${size.partitions} × ${size.replicas}`);
    const { namespace, seconds } = await converge(generation, client);
    const to = Date.now();
    await sleep(2_000); // the exporter's batches
    const splits = splitSyncs(spans(), from, to);
    notes.push(`${generation}: converged in ${seconds.toFixed(1)} s; ${splits.length} syncs in that time.`);
    log(`${generation}: converged in ${seconds.toFixed(1)} s, ${splits.length} syncs`);
    for (const controllerName of [...new Set(splits.map((split) => split.controller))].sort()) {
      const mine = splits.filter((split) => split.controller === controllerName);
      const queued = mine.map((split) => split.queueMs).filter((q): q is number => q !== undefined);
      const applies = mine.flatMap((split) => split.applyMs);
      rows.push({
        generation,
        controller: controllerName,
        syncs: mine.length,
        "sync ms, mean / p99": `${millis(mean(mine.map((s) => s.durationMs)))} / ${
          millis(quantile(mine.map((s) => s.durationMs), 0.99))
        }`,
        "queued ms, mean / p99": `${millis(mean(queued))} / ${millis(quantile(queued, 0.99))}`,
        "before the call ms": millis(mean(mine.map((s) => s.beforeCallMs))),
        "call ms": millis(mean(mine.map((s) => s.callMs))),
        "children's writes ms": millis(mean(mine.map((s) => s.childWritesMs))),
        "child writes per sync": millis(mean(mine.map((s) => s.childWrites))),
        "apply ms, mean / p99": `${millis(mean(applies))} / ${millis(quantile(applies, 0.99))}`,
        "parent's writes ms": millis(mean(mine.map((s) => s.parentWritesMs))),
        "syncs that wrote the parent": mine.filter((s) => s.parentWrites > 0).length,
      });
    }
    await removeNamespace(client, namespace, namespaceDeleteCapMs);
  }
  writeReport({
    name: process.env.BENCH_NAME || "converge-trace",
    command: `${
      ["BENCH_NAME", "BENCH_N", "BENCH_GENERATIONS", "CONCURRENCY"].filter((name) => process.env[name])
        .map((name) => `${name}=${process.env[name]} `).join("")
    }node bench/converge-trace.ts`,
    rows,
    notes: [
      ...notes,
      `The controller bundled as the image runs it (dev/bundle.ts, node --max-semi-space-size=1, the image's ` +
      `environment), one replica, with test/sample/tracing.ts imported (an OpenTelemetry SDK exporting every span ` +
      `over OTLP/HTTP), which costs it CPU of its own: converge times here are longer than the side-by-side's.`,
      `Per sync (means over the controller's syncs that started during the converge): queued is from the oldest ` +
      `watch event linked to the sync to its start (syncs queued by a resync or a retry have none); before the call ` +
      `is the cache reads and the request's copy; the children's writes run from the call's end to the last child ` +
      `write's (applies, deletes and dry-run compares, 8 in flight); the parent's writes (status, metadata) follow ` +
      `one after another. Span starts are in 1 ms steps (the SDK reads Date.now()), lengths exact.`,
    ],
  });
});
