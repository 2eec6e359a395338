// Our Atomix controller side by side with the Go controllers it succeeds, on one local control
// plane, each controller alone with its CRDs and the same workload, alternating the order
// over the rounds, and the same writes issued directly ("bare apply") as the limit.
//   node bench/side-by-side.ts [--sizes=100,500] [--rounds=2] [--large-rounds=1] [--sides=ours,era-a,era-b,bare]
//                              [--steps=e2a,rpc,converge,ballast] [--samples=200] [--no-hand-off] [--quick]
//                              [--name=side-by-side]
// Builds the Go originals first when their cache is cold (bench/originals.ts). Writes
// bench/results/<name>.json (every run) and .md (the table; its notes say what each number is);
// a run of some steps only is best given its own --name, beside the full run's.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { isNotFound, KubeClient, KubeError, loadKubeConfig } from "../../runtime/run.ts";
import { builtinKinds, type Kind, kind, type KubeObject } from "../../runtime/mod.ts";
import { eventually } from "../../runtime/testing.ts";
import {
  type Database,
  DatabasePartitionKind,
  type PartitionGroup,
  PartitionKind,
} from "../../functions/atomix-controller/kinds.ts";
import { fakeNodeName } from "../../runtime/control-plane.ts";
import { elapsed } from "../../runtime/control-plane/go.ts";
import { ensureOriginals, type Originals } from "../originals.ts";
import { writeReport } from "../report.ts";
import {
  type BenchCluster,
  fakeNodes,
  liftedQpsFlags,
  makeNamespace,
  namespaceDeleteCapMs,
  removeNamespace as removeNamespaceOf,
  sleep,
  startBenchCluster,
} from "./control-plane.ts";
import {
  buildOurs,
  type Controller,
  cpuSecondsOf,
  freePort,
  goGrpcPort,
  goMetricsPort,
  listening,
  memoryOf,
  nodeFloor,
  readyz,
  resetHighWater,
  residentSplit,
  startGo,
  startOurs,
  tailOf,
} from "./controllers.ts";
import { extrapolate, quantile } from "./stats.ts";
import { Tracker } from "./track.ts";
import {
  bareDatabase,
  barePartitionGroup,
  barePriority,
  EndpointsKind,
  EraBPartitionKind,
  expected,
  type Generation,
  pool,
  raftClass,
  registerKinds,
  type Shape,
  shapeOf,
  type Side,
  type Size,
} from "./workload.ts";
import { type Results, summarize } from "./summary.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");

// ---- settings (flags override) ----
const parseFlags = (args: readonly string[]) =>
  Object.fromEntries(
    // Split at the first "=" only: --ours-node-flags=--max-semi-space-size=1 keeps its value whole.
    args.map((arg) => {
      const flag = arg.replace(/^--/, "");
      const at = flag.indexOf("=");
      return (at < 0 ? [flag, undefined] : [flag.slice(0, at), flag.slice(at + 1)]) as [string, string?];
    }),
  );
/**
 * --from=<a results JSON>: summarize that run again, under this file's goals, without running
 * anything; its settings come from the command recorded in it (which has no spaces in values).
 */
const given = parseFlags(process.argv.slice(2));
const saved = given.from
  ? JSON.parse(readFileSync(given.from, "utf8")) as { command: string; runs: Results; date: string; name: string }
  : undefined;
const flags = saved ? { ...parseFlags(saved.command.split(" ").slice(2)), name: given.name ?? saved.name } : given;
const quick = "quick" in flags;
const settings = {
  sizes: (flags.sizes ?? (quick ? "5" : "100,500")).split(",").map(Number),
  rounds: Number(flags.rounds ?? (quick ? 1 : 2)),
  sides: (flags.sides ?? "ours,era-a,era-b,bare").split(",") as Side[],
  /** Partitions per parent and replicas per partition. */
  size: { partitions: 3, replicas: 3 } as Size,
  /** Parents created at once by the bench for a controller. */
  createsInFlight: 16,
  /** Requests in flight for the bare apply (16, 32 and 64 measured alike here; 32 is kept). */
  bareInFlight: Number(flags["bare-in-flight"] ?? 32),
  restMs: quick ? 5_000 : 15_000,
  afterMs: quick ? 5_000 : 30_000,
  e2aSamples: Number(flags.samples ?? (quick ? 20 : 200)),
  /** Time between event-to-apply samples; the originals are paced to their client rate limit. */
  e2aPaceMs: { ours: 250, "era-a": 2_500, "era-b": 250, bare: 0 } as Record<Side, number>,
  e2aCapMs: quick ? 30_000 : 120_000,
  rpcParents: 10,
  rpcCallers: "1,8,64",
  rpcSeconds: quick ? 2 : 5,
  /** A converge run is stopped here and its time estimated from its progress. */
  convergeCapMs: (
    side: Side,
    n: number,
  ) => (quick ? 120_000 : side === "era-a" ? (n <= 100 ? 200_000 : 120_000) : Math.max(180_000, n * 1_000)),
  /** Rounds that run the sizes after the first (a run of 500 takes minutes per side; the first size runs every round). */
  largeRounds: Number(flags["large-rounds"] ?? 1),
  deleteCapMs: quick ? 120_000 : namespaceDeleteCapMs,
  ballastPerKind: quick ? 100 : 2_500,
  handOff: !("no-hand-off" in flags),
  /** Node flags for ours; the image's by default. */
  oursNodeFlags: flags["ours-node-flags"] !== undefined
    ? flags["ours-node-flags"].split(" ").filter(Boolean)
    : ["--max-semi-space-size=1"],
  /** More environment variables for ours only, space-separated NAME=value (an allocator to preload, say). */
  oursEnv: Object.fromEntries(
    (flags["ours-env"] ?? "").split(" ").filter(Boolean).map((pair: string) => {
      const at = pair.indexOf("=");
      if (at < 1) throw new Error(`--ours-env takes NAME=value pairs, got ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  ) as Record<string, string>,
  /** Which measurements to take (all by default), for trying the harness on a part. */
  steps: new Set((flags.steps ?? "e2a,rpc,converge,ballast").split(",")),
  /** The results' file name in bench/results/. */
  name: flags.name ?? "side-by-side",
};

const started = Date.now();
const log = (line: string) => console.error(`[bench ${elapsed(started)}] ${line}`);

const trackedKinds = (shape: Shape): Record<string, Kind> => ({
  parents: shape.parentKind,
  partitions: shape.partitionKind,
  statefulsets: builtinKinds.StatefulSet,
  services: builtinKinds.Service,
  configmaps: builtinKinds.ConfigMap,
  pdbs: builtinKinds.PodDisruptionBudget,
  endpointslices: builtinKinds.EndpointSlice,
  endpoints: EndpointsKind,
  pods: builtinKinds.Pod,
});

registerKinds([
  PartitionKind,
  DatabasePartitionKind,
  builtinKinds.Service,
  builtinKinds.EndpointSlice,
  builtinKinds.ConfigMap,
  builtinKinds.StatefulSet,
  builtinKinds.PodDisruptionBudget,
]);

const atomixGroups = ["k8s.atomix.io", "cloud.atomix.io", "storage.cloud.atomix.io"];

// Set up by main().
const results: Results = { converge: [], e2a: [], rtt: [], rpc: [], memory: [], handOff: [], errors: [], load: [] };
let originals: Originals;
let built: string;
let bench: BenchCluster;
let kubeconfig: string;
let client: KubeClient;
let logDir: string;
const kubectl = (args: string[]) =>
  run(bench.cluster.binaries.kubectl, ["--kubeconfig", kubeconfig, ...args], { maxBuffer: 64 << 20 });
const NamespaceKind = builtinKinds.Namespace;
const ServiceAccountKind = builtinKinds.ServiceAccount;

// ---- one controller's phase ----
async function phase(side: Side, round: number): Promise<void> {
  const generations: Generation[] = side === "era-a"
    ? ["partition-groups"]
    : side === "era-b"
    ? ["databases"]
    : ["partition-groups", "databases"];
  await installCrds(side);
  let controller: Controller | undefined;
  try {
    if (side !== "bare") {
      controller = await start(side);
      const cpuAtStart = cpuSecondsOf(controller.pid);
      await sleep(settings.restMs);
      const atRest = memoryOf(controller.pid);
      log(`${side} round ${round}: at rest ${mib(atRest.rss)} MiB RSS (high-water ${mib(atRest.hwm)} MiB)`);
      const memory: Results["memory"][number] = {
        side,
        round,
        atRest: atRest.rss,
        startHighWater: atRest.hwm,
        cpuAtStart,
      };
      results.memory.push(memory);
      if (side === "ours") {
        const server = (await loadKubeConfig(kubeconfig)).getCurrentCluster()?.server;
        if (server) {
          memory.nodeFloor = await nodeFloor({
            nodeFlags: settings.oursNodeFlags,
            server,
            restMs: settings.restMs,
            logDir,
          });
          log(`Node's floor: ${mib(memory.nodeFloor.rss)} MiB RSS at rest`);
        }
      }
      const mark = async (step: string) => {
        const entry: NonNullable<Results["memory"][number]["timeline"]>[number] = {
          step,
          rss: memoryOf(controller!.pid).rss,
        };
        if (side === "ours") {
          entry.heapUsed = await metricValue(controller!, "nodejs_heap_size_used_bytes");
          entry.heapTotal = await metricValue(controller!, "nodejs_heap_size_total_bytes");
          entry.split = residentSplit(controller!.pid);
        }
        (memory.timeline ??= []).push(entry);
      };
      await mark("at rest");
      if (settings.steps.has("e2a")) {
        for (const generation of generations) await eventToApply(side, generation, round, controller);
      }
      await mark("after event-to-apply");
      if (settings.steps.has("rpc")) {
        for (const generation of generations) await rpc(side, generation, round, controller);
      }
      await mark("after the RPC load");
      resetHighWater(controller.pid);
      if (settings.steps.has("converge")) {
        for (const n of sizesFor(round)) {
          for (const generation of generations) await converge(side, generation, n, round, controller);
        }
      }
      memory.highWater = memoryOf(controller.pid).hwm;
      log(
        `${side} round ${round}: high-water during the workloads ${mib(memory.highWater)} MiB; resting ${
          settings.afterMs / 1000
        } s`,
      );
      await sleep(settings.afterMs);
      memory.after = memoryOf(controller.pid).rss;
      await mark(`${settings.afterMs / 1000} s after the converge runs`);
      memory.cpuSeconds = cpuSecondsOf(controller.pid) - cpuAtStart;
      log(`${side} round ${round}: ${mib(memory.after)} MiB RSS ${settings.afterMs / 1000} s after`);
      if (side !== "era-b" && round === 1 && settings.steps.has("ballast")) {
        await ballast(side, round, controller, memory);
      }
    } else {
      if (settings.steps.has("e2a")) { for (const generation of generations) await rttOnly(generation, round); }
      if (settings.steps.has("converge")) {
        for (const n of sizesFor(round)) {
          for (const generation of generations) await converge(side, generation, n, round, undefined);
        }
      }
    }
  } finally {
    await controller?.stop();
  }
}

const sizesFor = (round: number): number[] =>
  settings.sizes.filter((_: number, i: number) => i === 0 || round <= settings.largeRounds);

async function start(side: Side, name?: string): Promise<Controller> {
  if (side === "ours") {
    return startOurs({
      built,
      kubeconfig,
      port: await freePort(),
      logDir,
      nodeFlags: settings.oursNodeFlags,
      env: settings.oursEnv,
      ...(name ? { name } : {}),
    });
  }
  for (const port of [goGrpcPort, goMetricsPort]) {
    if (await listening(port)) {
      throw new Error(
        `port ${port} is taken on this machine; the Go originals always listen on :${goGrpcPort} (gRPC) and :${goMetricsPort} (metrics)`,
      );
    }
  }
  return startGo({
    side: side as "era-a" | "era-b",
    binary: side === "era-a" ? originals.eraA : originals.eraB,
    kubeconfig,
    logDir,
    ...(name ? { name } : {}),
  });
}

// ---- CRDs ----
/** kube-controller-manager's garbage collector rediscovers resources this often (plus a margin). */
const gcDiscoveryPeriodMs = 35_000;
let crdsInstalledAt = 0;

async function installCrds(side: Side): Promise<void> {
  const crds = await client.list(builtinKinds.CustomResourceDefinition);
  const ours = crds.items.filter((crd) => atomixGroups.includes((crd.spec as { group: string }).group));
  await Promise.all(
    ours.map((crd) =>
      client.delete(builtinKinds.CustomResourceDefinition, undefined, crd.metadata.name).catch(ignoreNotFound)
    ),
  );
  await eventually(
    "the Atomix CRDs to be gone",
    async () =>
      (await client.list(builtinKinds.CustomResourceDefinition)).items.every((crd) =>
        !atomixGroups.includes((crd.spec as { group: string }).group)
      ),
    { timeoutMs: 120_000 },
  );
  const file = side === "era-a"
    ? originals.eraACrds
    : side === "era-b"
    ? originals.eraBCrds
    : join(root, "deploy", "atomix-controller.yaml");
  const documents = parseAllDocuments(readFileSync(file, "utf8"))
    .map((doc) => doc.toJS() as KubeObject)
    .filter((doc) => doc?.kind === "CustomResourceDefinition");
  // Era b's CRDs carry unknown schema fields (maximim, min): the API server drops them with a
  // warning, as kubectl --validate=false has it do.
  for (const crd of documents) await client.create(builtinKinds.CustomResourceDefinition, crd);
  await eventually(`${side}'s CRDs to be established`, async () => {
    const listed = await client.list(builtinKinds.CustomResourceDefinition);
    return documents.every((doc) => {
      const found = listed.items.find((crd) => crd.metadata.name === doc.metadata.name);
      return ((found?.status as { conditions?: Array<{ type: string; status: string }> })?.conditions ?? []).some((c) =>
        c.type === "Established" && c.status === "True"
      );
    });
  }, { timeoutMs: 60_000 });
  crdsInstalledAt = Date.now();
  log(
    `${side}: CRDs installed from ${file.startsWith(root) ? file.slice(root.length + 1) : file} (${
      documents.map((d) => d.metadata.name).join(", ")
    })`,
  );
}

// ---- namespaces ----
let namespaceCounter = 0;
async function freshNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${++namespaceCounter}`;
  await makeNamespace(client, name);
  return name;
}

const removeNamespace = (name: string) => removeNamespaceOf(client, name, settings.deleteCapMs);

async function createAll(shape: Shape, namespace: string, size: Size): Promise<void> {
  for (const { kind: k, object } of shape.prerequisites(namespace, size)) await client.create(k, object);
}

// ---- (4) event to apply ----
/**
 * Creates parents one at a time at `pace` until the samples or the time cap run out, and times
 * each from its create answered to its first child seen by the tracker. `then` runs right
 * after each create (the bare writer's writes); the next parent waits for it.
 */
async function firstChildTimes(
  shape: Shape,
  namespace: string,
  tracker: Tracker,
  size: Size,
  pace: number,
  then?: (parent: KubeObject) => Promise<void>,
): Promise<{ samples: number[]; timeouts: number }> {
  const deadline = performance.now() + settings.e2aCapMs;
  const samples: number[] = [];
  let timeouts = 0;
  for (let i = 0; i < settings.e2aSamples && performance.now() < deadline; i++) {
    const begin = performance.now();
    const name = `e-${i}`;
    const parent = await client.create(shape.parentKind, shape.parent(name, namespace, size));
    const created = performance.now();
    const writes = then?.(parent);
    const child = shape.firstChild.name(name);
    const seen = await tracker.until(() => tracker.objects(shape.firstChild.tracked).has(child), created + 10_000);
    await writes;
    if (seen === undefined) timeouts++;
    else samples.push(tracker.objects(shape.firstChild.tracked).get(child)!.at - created);
    await sleep(Math.max(0, begin + pace - performance.now()));
  }
  return { samples, timeouts };
}

const quantiles = (samples: number[], timeouts: number) =>
  `p50 ${quantile(samples, 0.5).toFixed(1)} ms, p99 ${
    quantile(samples, 0.99).toFixed(1)
  } ms (${samples.length} samples${timeouts ? `, ${timeouts} timed out` : ""})`;

async function eventToApply(side: Side, generation: Generation, round: number, controller: Controller): Promise<void> {
  const shape = shapeOf(generation, side);
  const namespace = await freshNamespace(`e2a-${side}`);
  const tracker = new Tracker(client, namespace, { services: builtinKinds.Service, partitions: shape.partitionKind });
  await tracker.start();
  const size = { partitions: 1, replicas: 1 };
  try {
    await createAll(shape, namespace, size);
    const metricBefore = side === "ours" ? await histogram(controller) : undefined;
    const pace = settings.e2aPaceMs[side];
    const { samples, timeouts } = await firstChildTimes(shape, namespace, tracker, size, pace);
    const own = metricBefore ? histogramQuantiles(metricBefore, await histogram(controller)) : undefined;
    results.e2a.push({ side, generation, round, samples, timeouts, paceMs: pace, ...(own ? { ownMetric: own } : {}) });
    log(`${side} ${generation} round ${round}: event to first child ${quantiles(samples, timeouts)}`);
    await roundTrips(side, generation, round, namespace, tracker, shape);
  } finally {
    await tracker.stop();
    await removeNamespace(namespace);
  }
}

/** The bare round trip measured beside each event-to-apply run: server-side applies of the same kind of object the controller writes first. */
async function roundTrips(
  side: Side,
  generation: Generation,
  round: number,
  namespace: string,
  tracker: Tracker,
  shape: Shape,
): Promise<void> {
  const rtt: number[] = [];
  const toSeen: number[] = [];
  for (let i = 0; i < settings.e2aSamples; i++) {
    const name = `rtt-${i}`;
    const object = generation === "partition-groups"
      ? referenceService(name, namespace)
      : referencePartition(shape, name, namespace);
    const k = generation === "partition-groups" ? builtinKinds.Service : shape.partitionKind;
    const begin = performance.now();
    await client.apply(k, object, { fieldManager: "bench-bare-apply" });
    const done = performance.now();
    const tracked = generation === "partition-groups" ? "services" : "partitions";
    const seen = await tracker.until(() => tracker.objects(tracked).has(name), done + 10_000);
    rtt.push(done - begin);
    if (seen !== undefined) toSeen.push(tracker.objects(tracked).get(name)!.at - begin);
  }
  results.rtt.push({ side, generation, round, rtt, toSeen });
  log(
    `${side} ${generation} round ${round}: bare apply round trip p50 ${quantile(rtt, 0.5).toFixed(1)} ms, p99 ${
      quantile(rtt, 0.99).toFixed(1)
    } ms; apply to watch event p99 ${quantile(toSeen, 0.99).toFixed(1)} ms`,
  );
}

async function rttOnly(generation: Generation, round: number): Promise<void> {
  const shape = shapeOf(generation, "bare");
  const namespace = await freshNamespace("rtt-bare");
  const tracker = new Tracker(client, namespace, { services: builtinKinds.Service, partitions: shape.partitionKind });
  await tracker.start();
  try {
    await bareEventToApply(shape, round, namespace, tracker);
    await roundTrips("bare", generation, round, namespace, tracker, shape);
  } finally {
    await tracker.stop();
    await removeNamespace(namespace);
  }
}

/**
 * The bare writer's event to apply, timed as ours is (create answered → first child seen) at
 * ours' pace: each parent created, then every write our functions answer for it sent at once,
 * with no watch, queue or function between (the Partition's own children once its apply
 * answers, as the partitions controller would). What any controller that makes these children
 * for one parent needs from this API server; ours minus this is what its watch, queue, function
 * and plan add, where the single apply's round trip leaves out the writes beside the first.
 */
async function bareEventToApply(shape: Shape, round: number, namespace: string, tracker: Tracker): Promise<void> {
  const generation = shape.generation;
  const size = { partitions: 1, replicas: 1 };
  await createAll(shape, namespace, size);
  const storageClass = raftClass(namespace, size);
  const apply = (k: Kind, object: KubeObject) =>
    client.apply<KubeObject>(k, object, { fieldManager: "atomix-controller", force: true });
  const pace = settings.e2aPaceMs.ours;
  const { samples, timeouts } = await firstChildTimes(
    shape,
    namespace,
    tracker,
    size,
    pace,
    (parent) =>
      generation === "partition-groups"
        ? barePartitionGroup(parent as PartitionGroup, apply)
        : bareDatabase(parent as Database, { ...storageClass, metadata: { ...storageClass.metadata } }, apply),
  );
  results.e2a.push({ side: "bare", generation, round, samples, timeouts, paceMs: pace });
  log(
    `bare ${generation} round ${round}: one parent's writes at once, created to first child ${
      quantiles(samples, timeouts)
    }`,
  );
}

const referenceService = (name: string, namespace: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace, labels: { app: "atomix", type: "group", group: name } },
  spec: { clusterIP: "None", ports: [{ name: "api", port: 5678, protocol: "TCP" }] },
});

function referencePartition(shape: Shape, name: string, namespace: string): KubeObject {
  const spec = shape.partitionKind === EraBPartitionKind
    ? { partitionId: 1, serviceName: name }
    : { database: name, cluster: 1, partitionId: 1, serviceName: name };
  return {
    apiVersion: shape.partitionKind.apiVersion,
    kind: shape.partitionKind.kind,
    metadata: { name, namespace, labels: { app: "atomix", database: name } },
    spec,
  };
}

type Buckets = Array<[number, number]>;
async function histogram(controller: Controller): Promise<Buckets> {
  const text = await (await fetch(`http://127.0.0.1:${controller.httpPort}/metrics`)).text();
  const sums = new Map<number, number>();
  for (
    const match of text.matchAll(/^controller_runtime_event_to_apply_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\S+)/gm)
  ) {
    const bound = match[1] === "+Inf" ? Infinity : Number(match[1]);
    sums.set(bound, (sums.get(bound) ?? 0) + Number(match[2]));
  }
  return [...sums].sort((a, b) => a[0] - b[0]);
}

/** p50 and p99 (ms) of the observations between two readings of a cumulative histogram, interpolated within buckets as Prometheus does. */
function histogramQuantiles(before: Buckets, after: Buckets): { p50: number; p99: number; count: number } {
  const delta: Buckets = after.map(([bound, value]) => [bound, value - (before.find(([b]) => b === bound)?.[1] ?? 0)]);
  const total = delta.at(-1)?.[1] ?? 0;
  const q = (fraction: number) => {
    const rank = fraction * total;
    let previousBound = 0;
    let previousCount = 0;
    for (const [bound, value] of delta) {
      if (value >= rank) {
        if (!Number.isFinite(bound)) return previousBound * 1000;
        return (previousBound +
          ((bound - previousBound) * (rank - previousCount)) / Math.max(value - previousCount, 1)) * 1000;
      }
      previousBound = bound;
      previousCount = value;
    }
    return previousBound * 1000;
  };
  return { p50: q(0.5), p99: q(0.99), count: total };
}

// ---- (5) RPC ----
async function rpc(side: Side, generation: Generation, round: number, controller: Controller): Promise<void> {
  const shape = shapeOf(generation, side);
  const namespace = await freshNamespace(`rpc-${side}`);
  const tracker = new Tracker(client, namespace, trackedKinds(shape));
  await tracker.start();
  try {
    await createAll(shape, namespace, settings.size);
    for (let i = 0; i < settings.rpcParents; i++) {
      await client.create(shape.parentKind, shape.parent(`r-${i}`, namespace, settings.size));
    }
    const want = expected(generation, settings.rpcParents, settings.size);
    // The answers list each parent's partitions, so wait for them.
    await tracker.until(() => tracker.count("partitions") >= want.partitions, performance.now() + 180_000);
    const method = generation === "partition-groups" ? "GetPartitionGroups" : "GetDatabases";
    const { stdout } = await run(
      originals.load,
      [
        `--address=${controller.grpc}`,
        `--method=${method}`,
        `--namespace=${namespace}`,
        `--callers=${settings.rpcCallers}`,
        `--seconds=${settings.rpcSeconds}`,
        `--expect=${settings.rpcParents}`,
      ],
      { timeout: 600_000 },
    );
    const levels = stdout.trim().split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
    results.rpc.push({ side, method, round, levels });
    log(
      `${side} ${method} round ${round}: ${
        levels.map((l: { callers: number; perSecond: number; p99Ms: number; errors: number }) =>
          `${l.callers} callers ${l.perSecond.toFixed(0)}/s p99 ${l.p99Ms} ms${l.errors ? ` (${l.errors} errors)` : ""}`
        ).join("; ")
      }`,
    );
  } finally {
    await tracker.stop();
    await removeNamespace(namespace);
  }
}

// ---- (1, 2) converge and delete ----
async function converge(
  side: Side,
  generation: Generation,
  n: number,
  round: number,
  controller: Controller | undefined,
): Promise<void> {
  const shape = shapeOf(generation, side);
  const namespace = await freshNamespace(`c-${side}-${n}`);
  const tracker = new Tracker(client, namespace, trackedKinds(shape));
  await tracker.start();
  const want = expected(generation, n, settings.size);
  const label = `${side} ${generation} N=${n} round ${round}`;
  const record: Results["converge"][number] = { side, generation, n, round, capped: false };
  results.converge.push(record);
  const progressSamples: Array<{ ms: number; done: number }> = [];
  const total = generation === "partition-groups" || side !== "era-b"
    ? want.readyStatefulSets + want.services
    : want.partitions;
  const done = () =>
    generation === "partition-groups" || side !== "era-b"
      ? Math.min(tracker.count("statefulsets", (_, seen) => seen.ready), want.readyStatefulSets) +
        Math.min(tracker.count("services"), want.services)
      : tracker.count("partitions");
  try {
    await createAll(shape, namespace, settings.size);
    const cpuBefore = controller ? cpuSecondsOf(controller.pid) : 0;
    const metricsBefore = side === "ours" && controller ? await metricSeries(controller) : undefined;
    const t0 = performance.now();
    const sampler = setInterval(() => progressSamples.push({ ms: performance.now() - t0, done: done() }), 1_000);
    const partitionsDone = tracker.until(
      () => tracker.count("partitions") >= want.partitions,
      t0 + settings.convergeCapMs(side, n),
    );
    if (side === "bare") {
      record.work = { requests: { PATCH: await bareWrites(shape, namespace, n) }, controllers: {} };
    } else {
      const create = pool(settings.createsInFlight);
      await Promise.all(
        Array.from(
          { length: n },
          (_, i) => create(() => client.create(shape.parentKind, shape.parent(`g-${i}`, namespace, settings.size))),
        ),
      );
    }
    record.createsMs = performance.now() - t0;
    const full = () =>
      generation === "databases" && side === "era-b"
        ? tracker.count("partitions") >= want.partitions
        : tracker.count("statefulsets", (_, seen) => seen.ready) >= want.readyStatefulSets &&
          tracker.count("services") >= want.services;
    const convergedAt = await tracker.until(
      full,
      t0 + settings.convergeCapMs(side, n),
      () =>
        log(
          `${label}: ${tracker.count("partitions")}/${want.partitions} partitions, ${
            tracker.count("statefulsets", (_, s) => s.ready)
          }/${want.readyStatefulSets} StatefulSets ready, ${tracker.count("services")}/${want.services} Services, ${
            tracker.count("pods")
          } pods (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
        ),
    );
    clearInterval(sampler);
    const partitionsAt = await partitionsDone;
    if (partitionsAt !== undefined) record.partitionsMs = partitionsAt - t0;
    if (convergedAt !== undefined) {
      record.convergeMs = convergedAt - t0;
      log(
        `${label}: converged in ${(record.convergeMs / 1000).toFixed(1)} s (creates done at ${
          (record.createsMs / 1000).toFixed(1)
        } s${record.partitionsMs ? `, partitions at ${(record.partitionsMs / 1000).toFixed(1)} s` : ""})`,
      );
    } else {
      record.capped = true;
      const now = { ms: performance.now() - t0, done: done() };
      const earlier = progressSamples.find((s) => s.ms >= now.ms / 2) ?? progressSamples[0] ?? { ms: 0, done: 0 };
      record.progress = `${now.done}/${total}`;
      const estimate = extrapolate(now, earlier, total);
      if (estimate !== undefined) record.estimatedMs = estimate;
      log(
        `${label}: stopped at the ${
          (settings.convergeCapMs(side, n) / 1000).toFixed(0)
        } s cap with ${record.progress} done; at its recent rate it would take ~${
          estimate ? (estimate / 1000).toFixed(0) : "?"
        } s`,
      );
    }
    if (controller) {
      await sleep(5_000);
      record.rssConverged = memoryOf(controller.pid).rss;
      record.cpuSeconds = cpuSecondsOf(controller.pid) - cpuBefore;
      if (side === "ours") record.cachedObjects = await metricValue(controller, "informer_cached_objects");
      if (metricsBefore) record.work = workDelta(metricsBefore, await metricSeries(controller));
    }
    // Delete every parent; the garbage collector (and, for ours, nothing else) removes the rest.
    // It rediscovers resources every 30 s: a CRD installed more recently may not be watched by
    // it yet, which would delay the deletion of its objects' dependents by up to that much.
    await sleep(Math.max(0, crdsInstalledAt + gcDiscoveryPeriodMs - Date.now()));
    const d0 = performance.now();
    const remove = pool(settings.createsInFlight);
    const parents = [...tracker.objects("parents").keys()];
    await Promise.all(
      parents.map((name) => remove(() => client.delete(shape.parentKind, namespace, name).catch(ignoreNotFound))),
    );
    const nothingLeft = () =>
      Object.keys(trackedKinds(shape)).every((key) =>
        tracker.count(key, (name) => !(key === "configmaps" && name === "kube-root-ca.crt")) === 0
      );
    const goneAt = await tracker.until(
      nothingLeft,
      d0 + settings.deleteCapMs,
      () =>
        log(
          `${label}: deleting; ${
            Object.keys(trackedKinds(shape)).map((key) =>
              `${key} ${tracker.count(key, (name) => name !== "kube-root-ca.crt")}`
            ).join(", ")
          }`,
        ),
    );
    if (goneAt !== undefined) record.deleteMs = goneAt - d0;
    else record.deleteCapped = true;
    log(
      `${label}: ${
        goneAt !== undefined
          ? `everything deleted in ${((goneAt - d0) / 1000).toFixed(1)} s`
          : "not everything was gone at the delete cap"
      }`,
    );
  } finally {
    await tracker.stop();
    await removeNamespace(namespace);
  }
}

/**
 * The bare apply: the parents created, then our functions' children applied server-side,
 * `bareInFlight` requests at a time. Returns how many applies it sent.
 */
async function bareWrites(shape: Shape, namespace: string, n: number): Promise<number> {
  const request = pool(settings.bareInFlight);
  let applies = 0;
  const apply = (k: Kind, object: KubeObject) =>
    request(
      () => {
        applies++;
        return client.apply<KubeObject>(k, object, { fieldManager: "atomix-controller", force: true });
      },
      barePriority(k.kind),
    );
  const storageClass = raftClass(namespace, settings.size);
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const parent = await request(
        () => client.create(shape.parentKind, shape.parent(`g-${i}`, namespace, settings.size)),
        barePriority(shape.parentKind.kind),
      );
      if (shape.generation === "partition-groups") await barePartitionGroup(parent as PartitionGroup, apply);
      else await bareDatabase(parent as Database, { ...storageClass, metadata: { ...storageClass.metadata } }, apply);
    }),
  );
  return applies;
}

// ---- (3) memory with 10k cached objects ----
async function ballast(
  side: Side,
  round: number,
  controller: Controller,
  memory: Results["memory"][number],
): Promise<void> {
  const namespace = await freshNamespace(`ballast-${side}`);
  try {
    const request = pool(settings.bareInFlight);
    const n = settings.ballastPerKind;
    const labels = { app: "ballast" };
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < n; i++) {
      const name = `b-${i}`;
      const metadata = { name, namespace, labels };
      writes.push(
        request(() =>
          client.create(builtinKinds.ConfigMap, {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata,
            data: { "partition.json": JSON.stringify({ partition: i, replicas: ["a", "b", "c"] }) },
          })
        ),
      );
      writes.push(
        request(() =>
          client.create(builtinKinds.Service, {
            apiVersion: "v1",
            kind: "Service",
            metadata,
            spec: { clusterIP: "None", ports: [{ name: "api", port: 5678 }] },
          })
        ),
      );
      writes.push(
        request(() =>
          client.create(builtinKinds.StatefulSet, {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata,
            spec: {
              replicas: 0,
              serviceName: name,
              selector: { matchLabels: { ballast: name } },
              template: {
                metadata: { labels: { ballast: name } },
                spec: { containers: [{ name: "c", image: "atomix/raft-replica:latest" }] },
              },
            },
          })
        ),
      );
      writes.push(
        request(() =>
          client.create(builtinKinds.PodDisruptionBudget, {
            apiVersion: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata,
            spec: { minAvailable: 2, selector: { matchLabels: { ballast: name } } },
          })
        ),
      );
    }
    await Promise.all(writes);
    await sleep(settings.restMs + 5_000);
    memory.ballastObjects = 4 * n;
    memory.withBallast = memoryOf(controller.pid).rss;
    if (side === "ours") memory.cachedObjects = await metricValue(controller, "informer_cached_objects");
    log(
      `${side} round ${round}: ${mib(memory.withBallast)} MiB RSS with ${4 * n} more objects of kinds it caches${
        memory.cachedObjects ? ` (${memory.cachedObjects} cached in all)` : ""
      }`,
    );
    // The same objects cached by a process that did nothing else: what caching them costs,
    // without the heap the workloads before left behind. (The Go originals listen on fixed
    // ports, so the first process stops before the second starts.)
    await controller.stop();
    const fresh = await start(side, `${side}-fresh`);
    try {
      await sleep(settings.restMs + 5_000);
      memory.freshWithBallast = memoryOf(fresh.pid).rss;
      if (side === "ours") memory.freshCachedObjects = await metricValue(fresh, "informer_cached_objects");
      log(
        `${side} round ${round}: a fresh process caching them: ${mib(memory.freshWithBallast)} MiB RSS${
          memory.freshCachedObjects ? ` (${memory.freshCachedObjects} cached)` : ""
        }`,
      );
    } finally {
      await fresh.stop();
    }
  } finally {
    await removeNamespace(namespace);
  }
}

// ---- (6) leader hand-off ----
async function handOff(side: Side): Promise<void> {
  const generation: Generation = side === "era-b" ? "databases" : "partition-groups";
  const shape = shapeOf(generation, side);
  await installCrds(side);
  const namespace = await freshNamespace(`handoff-${side}`);
  const tracker = new Tracker(client, namespace, { services: builtinKinds.Service, partitions: shape.partitionKind });
  await tracker.start();
  const size = { partitions: 1, replicas: 1 };
  const stopLater: Controller[] = [];
  /** Creates a parent at the moment of the signal and waits for its first child: the time writes resumed. */
  const resumed = async (name: string, signalled: number, capMs: number) => {
    await client.create(shape.parentKind, shape.parent(name, namespace, size));
    const child = shape.firstChild.name(name);
    const at = await tracker.until(() => tracker.objects(shape.firstChild.tracked).has(child), signalled + capMs);
    return at === undefined ? undefined : tracker.objects(shape.firstChild.tracked).get(child)!.at - signalled;
  };
  try {
    await createAll(shape, namespace, size);
    if (side === "ours") {
      const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
      const port = (i: number) => ports[i]!;
      const a = await startOurs({
        built,
        kubeconfig,
        port: port(1),
        logDir,
        name: "ours-handoff-a",
        election: { identity: "a" },
      });
      stopLater.push(a);
      await eventually("replica a to lead", async () => (await readyz(port(1)))?.leader === true, {
        timeoutMs: 60_000,
      });
      const b = await startOurs({
        built,
        kubeconfig,
        port: port(2),
        logDir,
        name: "ours-handoff-b",
        election: { identity: "b" },
      });
      stopLater.push(b);
      let signalled = performance.now();
      await a.stop("SIGTERM");
      const graceful = await resumed("h-graceful", signalled, 60_000);
      results.handOff.push({ side, kind: "graceful (SIGTERM; the Lease is released)", ms: graceful });
      log(`ours hand-off, SIGTERM: writes resumed after ${graceful?.toFixed(0)} ms`);
      const c = await startOurs({
        built,
        kubeconfig,
        port: port(3),
        logDir,
        name: "ours-handoff-c",
        election: { identity: "c" },
      });
      stopLater.push(c);
      await eventually("replica b to lead", async () => (await readyz(port(2)))?.leader === true, {
        timeoutMs: 60_000,
      });
      signalled = performance.now();
      await b.stop("SIGKILL");
      const killed = await resumed("h-killed", signalled, 60_000);
      results.handOff.push({ side, kind: "kill -9 (the Lease expires: 15 s lease duration)", ms: killed });
      log(`ours hand-off, kill -9: writes resumed after ${killed?.toFixed(0)} ms`);
      return;
    }
    // The originals elect through Become(): a ConfigMap named after POD_NAME, owned by the Pod.
    await goElectionSetup();
    const pod = async (name: string) => {
      await client.create(builtinKinds.Pod, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: electionNamespace },
        spec: { nodeName: fakeNodeName, containers: [{ name: "controller", image: `atomix/${side}:bench` }] },
      });
    };
    const election = (podName: string) => ({
      podName,
      podNamespace: electionNamespace,
      serviceAccountDir: saDir!,
      apiserverHost: "127.0.0.1",
      apiserverPort: new URL(bench.cluster.server).port,
    });
    const binary = side === "era-a" ? originals.eraA : originals.eraB;
    const goSide = side as "era-a" | "era-b";
    await pod(`${side}-0`);
    await pod(`${side}-1`);
    const first = await startGo({
      side: goSide,
      binary,
      kubeconfig,
      logDir,
      name: `${side}-election-0`,
      election: election(`${side}-0`),
    });
    stopLater.push(first);
    const firstLed = first.log().includes("Became the leader.");
    const second = await startGo({
      side: goSide,
      binary,
      kubeconfig,
      logDir,
      name: `${side}-election-1`,
      election: election(`${side}-1`),
      waitReady: false,
    });
    stopLater.push(second);
    await eventually(
      `${side}'s second replica to decide`,
      async () => /Became the leader\.|Not the leader\. Waiting\./.test(second.log()) || second.exited(),
      { timeoutMs: 30_000 },
    ).catch(() => undefined);
    await sleep(2_000);
    const secondLed = second.log().includes("Became the leader.");
    const exitReason = second.exited() ? lastError(second.log()) : undefined;
    const locks = (await client.list(builtinKinds.ConfigMap, { namespace: electionNamespace })).items.map((cm) =>
      cm.metadata.name
    ).filter((name) => name.startsWith(side));
    results.handOff.push({
      side,
      kind: "second replica",
      note:
        `replica 1 (POD_NAME ${side}-0) ${
          firstLed ? "became the leader" : "did not report leading"
        }; replica 2 (POD_NAME ${side}-1) ${secondLed ? "became the leader as well" : "waited"}` +
        ` (lock ConfigMaps: ${locks.join(", ") || "none"})${
          exitReason ? `; on this one machine replica 2 then exited: ${exitReason}` : ""
        }`,
    });
    log(
      `${side} election: replica 2 ${secondLed ? "became the leader too" : "waited"}; lock ConfigMaps ${
        locks.join(", ")
      }`,
    );
    await second.stop("SIGKILL");
    // A replacement replica: after SIGTERM, a new pod (new POD_NAME, as a rolling update
    // makes); after kill -9, the container restarted in the same pod (same POD_NAME).
    for (
      const [kind, signal, podName] of [
        ["graceful (SIGTERM; a new pod starts at once)", "SIGTERM", `${side}-2`],
        ["kill -9 (the container restarts at once in the same pod)", "SIGKILL", `${side}-2`],
      ] as const
    ) {
      const current = stopLater.find((c) => !c.exited() && c.name.startsWith(`${side}-election`))!;
      if (signal === "SIGTERM") await pod(podName);
      const signalled = performance.now();
      await current.stop(signal);
      const replacement = await startGo({
        side: goSide,
        binary,
        kubeconfig,
        logDir,
        name: `${side}-election-${signal}`,
        election: election(podName),
        waitReady: false,
      });
      stopLater.push(replacement);
      const ms = await resumed(`h-${signal.toLowerCase()}`, signalled, 120_000);
      results.handOff.push({ side, kind, ms });
      log(`${side} ${kind}: writes resumed after ${ms?.toFixed(0)} ms`);
    }
  } finally {
    for (const c of stopLater) await c.stop("SIGKILL");
    await tracker.stop();
    await removeNamespace(namespace);
  }
}

const electionNamespace = "atomix-bench-election";
let saDir: string | undefined;
async function goElectionSetup(): Promise<void> {
  if (saDir) return;
  await client.create(NamespaceKind, { apiVersion: "v1", kind: "Namespace", metadata: { name: electionNamespace } })
    .catch(ignoreConflict);
  await client.create(ServiceAccountKind, {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "atomix-bench", namespace: electionNamespace },
  }).catch(ignoreConflict);
  const binding = kind("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", false);
  await client
    .create(binding, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "atomix-bench-election" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: "atomix-bench", namespace: electionNamespace }],
    })
    .catch(ignoreConflict);
  const { stdout: token } = await kubectl([
    "create",
    "token",
    "atomix-bench",
    "-n",
    electionNamespace,
    "--duration=2h",
  ]);
  saDir = mkdtempSync(join(tmpdir(), "atomix-bench-sa-"));
  writeFileSync(join(saDir, "token"), token.trim());
  writeFileSync(join(saDir, "ca.crt"), readFileSync(join(bench.cluster.dir, "ca.crt")));
}

// ---- helpers ----
/** Every series of ours' /metrics, keyed by name and labels as exposed. */
async function metricSeries(controller: Controller): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${controller.httpPort}/metrics`)).text();
  const series = new Map<string, number>();
  for (const match of text.matchAll(/^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)/gm)) {
    series.set(match[1]!, Number(match[2]));
  }
  return series;
}

/** API requests by method, and per controller: syncs, mean sync time and mean time queued, over a run. */
function workDelta(
  before: Map<string, number>,
  after: Map<string, number>,
): NonNullable<Results["converge"][number]["work"]> {
  const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  const label = (key: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(key)?.[1] ?? "";
  const requests: Record<string, number> = {};
  const controllers: Record<string, { syncs: number; meanSyncMs: number; meanQueuedMs: number }> = {};
  for (const key of after.keys()) {
    if (key.startsWith("rest_client_requests_total")) {
      requests[label(key, "method")] = (requests[label(key, "method")] ?? 0) + delta(key);
    }
    if (key.startsWith("controller_runtime_reconcile_time_seconds_count")) {
      const name = label(key, "controller");
      const count = delta(key);
      const queuedCount = delta(`workqueue_queue_duration_seconds_count{name="${name}"}`);
      controllers[name] = {
        syncs: count,
        meanSyncMs: count ? (delta(key.replace("_count", "_sum")) / count) * 1000 : 0,
        meanQueuedMs: queuedCount
          ? (delta(`workqueue_queue_duration_seconds_sum{name="${name}"}`) / queuedCount) * 1000
          : 0,
      };
    }
  }
  return { requests, controllers };
}

/** The last error a controller-runtime program logged: its message and error. */
function lastError(text: string): string | undefined {
  const errors = text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => {
      try {
        return JSON.parse(line) as { level?: string; msg?: string; error?: string };
      } catch {
        return {};
      }
    })
    .filter((entry) => entry.level === "error");
  const last = errors.at(-1);
  return last ? `${last.msg}${last.error ? `: ${last.error}` : ""}` : tailOf(text, 1);
}

/** One metric summed over its labels. */
async function metricValue(controller: Controller, name: string): Promise<number> {
  let sum = 0;
  for (const [key, value] of await metricSeries(controller)) {
    if (key === name || key.startsWith(`${name}{`)) sum += value;
  }
  return sum;
}

function ignoreNotFound(error: unknown): void {
  if (!isNotFound(error)) throw error;
}
function ignoreConflict(error: unknown): void {
  if (!(error instanceof KubeError && error.status === 409)) throw error;
}
const mib = (bytes: number | undefined) => (bytes === undefined ? "?" : (bytes / 2 ** 20).toFixed(0));

// ---- the run ----
/** Writes the summary of a saved run again (--from), dated as the run was. */
async function summarizeSaved(from: NonNullable<typeof saved>): Promise<void> {
  originals = await ensureOriginals(log);
  const summary = summarize(from.runs, settings, {
    qpsFlags: liftedQpsFlags,
    fakeNodes,
    originals: originals.versions,
    cores: cpus().length,
  });
  const report = {
    name: settings.name,
    command: `${from.command} (summarized again on ${
      new Date().toISOString().slice(0, 10)
    } by node bench/side-by-side/main.ts --from=${given.from}${given.name ? ` --name=${given.name}` : ""})`,
    rows: summary.rows,
    notes: summary.notes,
    runs: from.runs,
    date: from.date,
  };
  writeReport(report);
}

async function main(): Promise<void> {
  if (saved) return await summarizeSaved(saved);
  originals = await ensureOriginals(log);
  log("bundling our controller as the image does (dev/bundle.ts)");
  built = await buildOurs();
  try {
    await measureAndReport();
  } finally {
    // The bundle is the bench's own scratch; the controllers' logs (logDir) stay for reading.
    rmSync(built, { recursive: true, force: true });
  }
}

async function measureAndReport(): Promise<void> {
  bench = await startBenchCluster(log);
  kubeconfig = bench.cluster.kubeconfig;
  client = new KubeClient(await loadKubeConfig(kubeconfig));
  logDir = mkdtempSync(join(tmpdir(), "atomix-side-by-side-"));
  log(`controller logs in ${logDir}`);
  const loadSampler = setInterval(() => results.load.push(loadavg()[0]!), 10_000);

  try {
    for (let round = 1; round <= settings.rounds; round++) {
      const order = round % 2 === 1 ? settings.sides : [...settings.sides].reverse();
      log(`round ${round}/${settings.rounds}: ${order.join(", ")}`);
      for (const side of order) {
        try {
          await phase(side, round);
        } catch (error) {
          const message = (error as Error).message;
          log(`${side} round ${round} failed: ${message}`);
          results.errors.push({ where: `${side} round ${round}`, message });
        }
      }
    }
    if (settings.handOff) {
      for (const side of settings.sides.filter((s) => s !== "bare")) {
        try {
          await handOff(side);
        } catch (error) {
          const message = (error as Error).message;
          log(`hand-off ${side} failed: ${message}`);
          results.errors.push({ where: `hand-off ${side}`, message });
        }
      }
    }
  } finally {
    clearInterval(loadSampler);
    await bench.stop();
  }

  const summary = summarize(results, settings, {
    qpsFlags: liftedQpsFlags,
    fakeNodes,
    originals: originals.versions,
    cores: cpus().length,
  });
  writeFileSync(join(logDir, "results.json"), JSON.stringify(results, null, 2));
  const report = {
    name: settings.name,
    command: `node bench/side-by-side/main.ts${
      process.argv.slice(2).length ? " " + process.argv.slice(2).join(" ") : ""
    }`,
    rows: summary.rows,
    notes: summary.notes,
    // Every measurement of every round, beside the summary table (JSON only).
    runs: results,
  };
  writeReport(report);
  log(`done in ${elapsed(started)}`);
}

await main();
