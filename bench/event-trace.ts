// Where event-to-apply time goes, at idle: the Atomix controller bundled as the image runs it,
// exporting its spans (test/sample/tracing.ts) to the OpenTelemetry Collector's OTLP receiver
// (test/interop/go/otlp). Parents are created one at a time, as the side-by-side's
// event-to-apply step does (1 partition × 1 replica, 250 ms apart), and each one's time from
// the bench's create answered to its first child seen by the bench's watch is split by the
// controller's own spans: the watch event reaching the controller, the wait in the queue, the
// sync up to the function's call, the call, the planning up to the first child's apply, the
// apply's round trip, and the child's watch event reaching the bench.
//   node bench/event-trace.ts   (starts a bench cluster; BENCH_KUBECONFIG=path reuses one; BENCH_SAMPLES=100)
import { builtinKinds, type Kind } from "../runtime/mod.ts";
import type { KubeClient } from "../runtime/run.ts";
import type { ReceivedSpan } from "../test/support/otlp.ts";
import { makeNamespace, namespaceDeleteCapMs, removeNamespace, sleep } from "./side-by-side/control-plane.ts";
import { quantile } from "./side-by-side/stats.ts";
import { Tracker } from "./side-by-side/track.ts";
import { type Generation, shapeOf } from "./side-by-side/workload.ts";
import { writeReport } from "./report.ts";
import { withTracedController } from "./traced.ts";

const samples = Number(process.env.BENCH_SAMPLES ?? 100);
const paceMs = 250;
const size = { partitions: 1, replicas: 1 };
const log = (line: string) => console.error(`[event-trace] ${line}`);
/** The controller that writes each generation's first child, and that child's kind. */
const writers: Record<Generation, { sync: string; apply: string }> = {
  "partition-groups": { sync: "sync partition-groups", apply: "apply Service" },
  databases: { sync: "sync databases", apply: "apply Partition" },
};

interface Sample {
  /** Epoch ms: the bench's create answered, the controller's watch event, its sync, its call, the first child's apply, the bench seeing the child. */
  created: number;
  observed: number;
  syncStart: number;
  callStart: number;
  callEnd: number;
  applyStart: number;
  applyEnd: number;
  seen: number;
}

const epoch = (performanceMs: number) => performance.timeOrigin + performanceMs;

async function run(
  generation: Generation,
  client: KubeClient,
  spans: () => ReceivedSpan[],
  namespace: string,
): Promise<Array<Sample | string>> {
  const shape = shapeOf(generation, "ours");
  for (const { kind, object } of shape.prerequisites(namespace, size)) await client.create(kind, object);
  const tracker = new Tracker(client, namespace, {
    services: builtinKinds.Service,
    partitions: shape.partitionKind,
  } as Record<string, Kind>);
  await tracker.start();
  const created = new Map<string, { created: number; seen?: number }>();
  try {
    for (let i = 0; i < samples; i++) {
      const begin = performance.now();
      const name = `t-${i}`;
      await client.create(shape.parentKind, shape.parent(name, namespace, size));
      const at = epoch(performance.now());
      const child = shape.firstChild.name(name);
      const seen = await tracker.until(
        () => tracker.objects(shape.firstChild.tracked).has(child),
        performance.now() + 10_000,
      );
      created.set(name, {
        created: at,
        seen: seen === undefined ? undefined : epoch(tracker.objects(shape.firstChild.tracked).get(child)!.at),
      });
      await sleep(Math.max(0, begin + paceMs - performance.now()));
    }
  } finally {
    await tracker.stop();
  }
  await sleep(2_000); // the exporter's batches
  const all = spans();
  const { sync, apply } = writers[generation];
  const results: Array<Sample | string> = [];
  for (const [name, { created: at, seen }] of created) {
    if (seen === undefined) {
      results.push(`${name}: its first child was not seen in 10 s`);
      continue;
    }
    const event = all.find((span) =>
      span.name === `watch added ${shape.parentKind.kind}` && span.attributes["kubefn.object.name"] === name &&
      span.attributes["k8s.namespace.name"] === namespace
    );
    // The first sync whose links include that watch event.
    const syncSpan = event &&
      all.filter((span) => span.name === sync && span.links.some((link) => link.spanId === event.spanId))
        .sort((a, b) => a.startMs - b.startMs)[0];
    const inSync = syncSpan ? all.filter((span) => span.traceId === syncSpan.traceId) : [];
    const call = inSync.find((span) => span.name.startsWith("call "));
    const applySpan = inSync.find((span) => span.name === apply);
    if (!event || !syncSpan || !call || !applySpan) {
      results.push(
        `${name}: spans missing (event ${!!event}, sync ${!!syncSpan}, call ${!!call}, apply ${!!applySpan})`,
      );
      continue;
    }
    results.push({
      created: at,
      observed: event.startMs,
      syncStart: syncSpan.startMs,
      callStart: call.startMs,
      callEnd: call.endMs,
      applyStart: applySpan.startMs,
      applyEnd: applySpan.endMs,
      seen,
    });
  }
  return results;
}

const steps: Array<[string, (s: Sample) => number]> = [
  ["create answered → the controller's watch event (negative: the event came first)", (s) => s.observed - s.created],
  ["watch event → sync starts (queue)", (s) => s.syncStart - s.observed],
  ["sync starts → function called (cache reads, request copy)", (s) => s.callStart - s.syncStart],
  ["the function's call", (s) => s.callEnd - s.callStart],
  ["function answered → first child's apply sent (checks, plan)", (s) => s.applyStart - s.callEnd],
  ["the apply's round trip", (s) => s.applyEnd - s.applyStart],
  ["apply answered → the bench sees the child", (s) => s.seen - s.applyEnd],
  ["total: create answered → child seen", (s) => s.seen - s.created],
];

await withTracedController("event-trace", log, async ({ client, spans }) => {
  const rows: Array<Record<string, string | number>> = [];
  const problems: string[] = [];
  for (const generation of ["partition-groups", "databases"] as Generation[]) {
    const namespace = `trace-${generation}`;
    await makeNamespace(client, namespace);
    log(`${generation}: ${samples} parents, one every ${paceMs} ms`);
    const results = await run(generation, client, spans, namespace);
    const good = results.filter((r): r is Sample => typeof r !== "string");
    problems.push(...results.filter((r): r is string => typeof r === "string").map((p) => `${generation}: ${p}`));
    for (const [step, of] of steps) {
      const values = good.map(of);
      rows.push({
        generation,
        step,
        "p50 ms": quantile(values, 0.5).toFixed(1),
        "p90 ms": quantile(values, 0.9).toFixed(1),
        "p99 ms": quantile(values, 0.99).toFixed(1),
        samples: values.length,
      });
    }
    log(`${generation}: ${good.length} samples split`);
    await removeNamespace(client, namespace, namespaceDeleteCapMs);
  }
  writeReport({
    name: "event-trace",
    command: "node bench/event-trace.ts",
    rows,
    notes: [
      `The controller bundled as the image runs it (dev/bundle.ts, node --max-semi-space-size=1), one replica, with ` +
      `test/sample/tracing.ts imported (an OpenTelemetry SDK exporting every span over OTLP/HTTP); the spans ` +
      `cost it some CPU of their own.`,
      `${samples} parents per generation, ${size.partitions} partition × ${size.replicas} replica, created ${paceMs} ms ` +
      `apart; the first child is the group's Service (partition groups) or the first Partition (databases).`,
      `Times are one machine's clock read by two processes (the bench's and the controller's); the SDK starts ` +
      `a span at Date.now() (1 ms steps) and times its length with performance.now(), so the steps between ` +
      `two spans' starts are within ±1 ms and the call's and the apply's lengths are exact. Each step's ` +
      `quantiles are taken on their own, so they do not add up to the total's.`,
      ...problems,
    ],
  });
});
