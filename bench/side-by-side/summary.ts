// The side-by-side results as one table (each measure: ours, the Go original, the bare-apply
// limit, the ratios, the goal and whether it is met) and notes. Pure.
import type { ResidentSplit } from "./controllers.ts";
import { median, quantile, ratio, verdict } from "./stats.ts";
import type { Generation, Side } from "./workload.ts";

export interface ConvergeRecord {
  side: Side;
  generation: Generation;
  n: number;
  round: number;
  createsMs?: number;
  /** Until every Partition existed. */
  partitionsMs?: number;
  /** Until every StatefulSet was ready and every Service existed (era b: every Partition existed). */
  convergeMs?: number;
  capped: boolean;
  progress?: string;
  estimatedMs?: number;
  deleteMs?: number;
  deleteCapped?: boolean;
  rssConverged?: number;
  cpuSeconds?: number;
  cachedObjects?: number;
  /** Ours only: API requests by method, and per controller its syncs, mean sync and mean queued time. */
  work?: {
    requests: Record<string, number>;
    controllers: Record<string, { syncs: number; meanSyncMs: number; meanQueuedMs: number }>;
  };
}

export interface Level {
  method: string;
  callers: number;
  calls: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

export interface Results {
  converge: ConvergeRecord[];
  e2a: Array<
    {
      side: Side;
      generation: Generation;
      round: number;
      samples: number[];
      timeouts: number;
      paceMs: number;
      ownMetric?: { p50: number; p99: number; count: number };
    }
  >;
  rtt: Array<{ side: Side; generation: Generation; round: number; rtt: number[]; toSeen: number[] }>;
  rpc: Array<{ side: Side; method: string; round: number; levels: Level[] }>;
  memory: Array<{
    side: Side;
    round: number;
    atRest: number;
    startHighWater: number;
    cpuAtStart: number;
    highWater?: number;
    after?: number;
    cpuSeconds?: number;
    withBallast?: number;
    ballastObjects?: number;
    cachedObjects?: number;
    /** A fresh process started once the ballast existed: its RSS and cached objects. */
    freshWithBallast?: number;
    freshCachedObjects?: number;
    /** Ours only: Node's floor (controllers.ts nodeFloor), measured right after ours' at rest. */
    nodeFloor?: { rss: number; split: ResidentSplit };
    /** RSS at each step of the phase. */
    timeline?: Array<{ step: string; rss: number; heapUsed?: number; heapTotal?: number; split?: ResidentSplit }>;
  }>;
  handOff: Array<{ side: Side; kind: string; ms?: number | undefined; note?: string }>;
  errors: Array<{ where: string; message: string }>;
  /** 1-minute load average, every 10 s. */
  load: number[];
}

export interface SummarySettings {
  sizes: number[];
  rounds: number;
  size: { partitions: number; replicas: number };
  createsInFlight: number;
  bareInFlight: number;
  restMs: number;
  afterMs: number;
  e2aSamples: number;
  e2aPaceMs: Record<Side, number>;
  rpcParents: number;
  rpcSeconds: number;
  convergeCapMs: (side: Side, n: number) => number;
  ballastPerKind: number;
  largeRounds: number;
}

type Row = Record<string, string>;
const goOf = (generation: Generation): Side => (generation === "partition-groups" ? "era-a" : "era-b");
const goName = (side: Side) => (side === "era-a" ? "era a" : "era b");
const s = (
  ms: number | undefined,
) => (ms === undefined || !Number.isFinite(ms) ? "n/a" : `${(ms / 1000).toFixed(1)} s`);
const ms1 = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? "n/a" : `${ms.toFixed(1)} ms`);
const mib = (
  bytes: number | undefined,
) => (bytes === undefined || !Number.isFinite(bytes) ? "n/a" : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
const defined = (values: Array<number | undefined>) =>
  values.filter((v): v is number => v !== undefined && Number.isFinite(v));
const med = (values: Array<number | undefined>) => {
  const present = defined(values);
  return present.length ? median(present) : undefined;
};

function row(
  measure: string,
  cells: {
    ours?: string;
    go?: string;
    oursToGo?: string;
    bare?: string;
    oursToBare?: string;
    goal?: string;
    result?: string;
  },
): Row {
  return {
    measure,
    ours: cells.ours ?? "",
    "Go original": cells.go ?? "",
    "ours / Go": cells.oursToGo ?? "",
    "bare apply": cells.bare ?? "",
    "ours / bare": cells.oursToBare ?? "",
    goal: cells.goal ?? "",
    result: cells.result ?? "",
  };
}

/** A converge time over the rounds: the median of the finished runs; for capped runs, the median estimate, marked. */
function convergeTime(
  records: ConvergeRecord[],
  pick: (r: ConvergeRecord) => number | undefined,
): { ms?: number; text: string; estimated: boolean } {
  if (!records.length) return { text: "not run", estimated: false };
  const finished = defined(records.map(pick));
  if (finished.length === records.length) {
    const ms = median(finished);
    return { ms, text: s(ms), estimated: false };
  }
  const estimates = defined(records.map((r) => pick(r) ?? r.estimatedMs));
  const ms = estimates.length ? median(estimates) : undefined;
  const progress = records.map((r) => r.progress).filter(Boolean).join(", ");
  return {
    ...(ms !== undefined ? { ms } : {}),
    text: `stopped at cap (${progress} done); est. ${s(ms)}`,
    estimated: true,
  };
}

export function summarize(
  results: Results,
  settings: SummarySettings,
  context: {
    qpsFlags: string[];
    fakeNodes: number;
    originals: { eraA: string; eraB: string; go: string };
    cores: number;
  },
): { rows: Row[]; notes: string[] } {
  const rows: Row[] = [];
  const notes: string[] = [];
  const largest = Math.max(...settings.sizes);

  // (1, 2) converge and delete
  for (const generation of ["partition-groups", "databases"] as Generation[]) {
    const go = goOf(generation);
    for (const n of settings.sizes) {
      const of = (side: Side) =>
        results.converge.filter((r) => r.side === side && r.generation === generation && r.n === n);
      const what = generation === "partition-groups"
        ? `converge ${n} groups × ${settings.size.partitions} partitions × ${settings.size.replicas} replicas`
        : `${n} Databases → ${n * settings.size.partitions} Partitions`;
      if (generation === "partition-groups") {
        const ours = convergeTime(of("ours"), (r) => r.convergeMs);
        const theirs = convergeTime(of(go), (r) => r.convergeMs);
        const bare = convergeTime(of("bare"), (r) => r.convergeMs);
        const goal = n === largest ? "≤ 0.8× Go and ≤ 1.1× bare" : "";
        const holds = ours.ms !== undefined && theirs.ms !== undefined && bare.ms !== undefined
          ? ours.ms <= 0.8 * theirs.ms && ours.ms <= 1.1 * bare.ms
          : undefined;
        rows.push(
          row(what, {
            ours: ours.text,
            go: `${goName(go)}: ${theirs.text}`,
            oursToGo: ratio(ours.ms, theirs.ms) + (theirs.estimated ? " (vs est.)" : ""),
            bare: bare.text,
            oursToBare: ratio(ours.ms, bare.ms),
            goal,
            result: goal ? verdict(holds) : "",
          }),
        );
      } else {
        // Era b creates Partitions and nothing else (its storage controller is not published): compare that.
        const ours = convergeTime(of("ours"), (r) => r.partitionsMs);
        const theirs = convergeTime(of(go), (r) => r.convergeMs);
        const bare = convergeTime(of("bare"), (r) => r.partitionsMs);
        const goal = n === largest ? "≤ 0.8× Go" : "";
        const holds = ours.ms !== undefined && theirs.ms !== undefined ? ours.ms <= 0.8 * theirs.ms : undefined;
        rows.push(
          row(what, {
            ours: ours.text,
            go: `${goName(go)}: ${theirs.text}`,
            oursToGo: ratio(ours.ms, theirs.ms) + (theirs.estimated ? " (vs est.)" : ""),
            bare: bare.text,
            oursToBare: ratio(ours.ms, bare.ms),
            goal,
            result: goal ? verdict(holds) : "",
          }),
        );
        const oursFull = convergeTime(of("ours"), (r) => r.convergeMs);
        const bareFull = convergeTime(of("bare"), (r) => r.convergeMs);
        const fullGoal = n === largest ? "≤ 1.1× bare" : "";
        rows.push(
          row(`${n} Databases, Raft storage converged (${n * settings.size.partitions} StatefulSets ready)`, {
            ours: oursFull.text,
            go: `${goName(go)}: no storage controller`,
            oursToGo: "n/a",
            bare: bareFull.text,
            oursToBare: ratio(oursFull.ms, bareFull.ms),
            goal: fullGoal,
            result: fullGoal
              ? verdict(
                oursFull.ms !== undefined && bareFull.ms !== undefined ? oursFull.ms <= 1.1 * bareFull.ms : undefined,
              )
              : "",
          }),
        );
      }
      const oursDelete = med(of("ours").map((r) => r.deleteMs));
      const theirsDelete = med(of(go).map((r) => r.deleteMs));
      const bareDelete = med(of("bare").map((r) => r.deleteMs));
      const comparable = !of(go).some((r) => r.capped);
      rows.push(
        row(`delete all of it, until nothing is left (N=${n})`, {
          ours: s(oursDelete),
          go: `${goName(go)}: ${s(theirsDelete)}${comparable ? "" : " (of what it had made by the cap)"}`,
          oursToGo: ratio(oursDelete, theirsDelete),
          bare: s(bareDelete),
          oursToBare: ratio(oursDelete, bareDelete),
          goal: n === largest && comparable ? "no worse than Go" : "",
          result: n === largest && comparable
            ? verdict(
              oursDelete !== undefined && theirsDelete !== undefined ? oursDelete <= theirsDelete * 1.05 : undefined,
            )
            : "",
        }),
      );
      // CPU per converged parent: process CPU (user + system, from /proc) over the converge run,
      // divided by N. Only era a runs the same workload shape (era b makes no storage).
      const cpuPerParent = (side: Side) => {
        const uncapped = of(side).filter((r) => !r.capped && r.cpuSeconds !== undefined);
        const seconds = med(uncapped.map((r) => r.cpuSeconds!));
        return seconds === undefined ? undefined : (seconds * 1000) / n;
      };
      // The writes each side sent until converged (ours: its client's, from its metrics, until
      // 5 s after; bare: its applies). Ours' beyond the bare's (status writes, Events, a child
      // applied again) load the same API server whose pace bounds the bare apply.
      const writes = (side: Side) =>
        med(
          of(side).map((r) =>
            r.work
              ? Object.entries(r.work.requests).filter(([method]) => method !== "GET").reduce(
                (sum, [, c]) => sum + c,
                0,
              )
              : undefined
          ),
        );
      const oursWrites = writes("ours");
      const bareWrites = writes("bare");
      rows.push(
        row(`API writes until converged (N=${n}, ${generation}): ours' client, the bare apply's applies`, {
          ours: oursWrites === undefined ? "n/a" : oursWrites.toFixed(0),
          bare: bareWrites === undefined ? "n/a" : bareWrites.toFixed(0),
          oursToBare: ratio(oursWrites, bareWrites),
        }),
      );
      const oursCpu = cpuPerParent("ours");
      const theirsCpu = cpuPerParent(go);
      const sameShape = generation === "partition-groups";
      const cpuGoal = sameShape ? "≤ 1.5× Go" : "";
      rows.push(
        row(`CPU per converged parent, ms (N=${n}, ${generation})`, {
          ours: oursCpu === undefined ? "n/a" : oursCpu.toFixed(1),
          go: `${goName(go)}: ${theirsCpu === undefined ? "n/a (capped or not run)" : theirsCpu.toFixed(1)}${
            sameShape ? "" : " (Partitions only, no storage)"
          }`,
          oursToGo: ratio(oursCpu, theirsCpu),
          goal: cpuGoal,
          result: cpuGoal
            ? verdict(oursCpu !== undefined && theirsCpu !== undefined ? oursCpu <= 1.5 * theirsCpu : undefined)
            : "",
        }),
      );
    }
  }

  // (3) memory
  const memory = (side: Side) => results.memory.filter((m) => m.side === side);
  const oursRest = med(memory("ours").map((m) => m.atRest));
  const floor = med(memory("ours").map((m) => m.nodeFloor?.rss));
  for (const go of ["era-a", "era-b"] as Side[]) {
    const theirsRest = med(memory(go).map((m) => m.atRest));
    rows.push(
      row(`RSS at rest (vs ${goName(go)})`, {
        ours: mib(oursRest),
        go: `${goName(go)}: ${mib(theirsRest)}`,
        oursToGo: ratio(oursRest, theirsRest),
        ...(go === "era-a"
          ? {
            bare: `Node's floor: ${mib(floor)}`,
            oursToBare: oursRest !== undefined && floor !== undefined ? `+${mib(oursRest - floor)}` : "n/a",
          }
          : {}),
        goal: go === "era-a" ? "≤ 60 MiB" : "",
        result: go === "era-a" ? verdict(oursRest !== undefined ? oursRest <= 60 * 2 ** 20 : undefined) : "",
      }),
    );
  }
  for (const go of ["era-a", "era-b"] as Side[]) {
    const oursHigh = med(memory("ours").map((m) => m.highWater));
    const theirsHigh = med(memory(go).map((m) => m.highWater));
    rows.push(
      row(`RSS high-water during the workloads (vs ${goName(go)}; ours ran both generations)`, {
        ours: mib(oursHigh),
        go: `${goName(go)}: ${mib(theirsHigh)}`,
        oursToGo: ratio(oursHigh, theirsHigh),
        ...(go === "era-a"
          ? {
            goal: "ours ≤ 2× its RSS at rest",
            result: verdict(oursHigh !== undefined && oursRest !== undefined ? oursHigh <= 2 * oursRest : undefined),
          }
          : {}),
      }),
    );
    const oursAfter = med(memory("ours").map((m) => m.after));
    const theirsAfter = med(memory(go).map((m) => m.after));
    rows.push(
      row(`RSS ${settings.afterMs / 1000} s after the workloads (vs ${goName(go)})`, {
        ours: mib(oursAfter),
        go: `${goName(go)}: ${mib(theirsAfter)}`,
        oursToGo: ratio(oursAfter, theirsAfter),
        ...(go === "era-a"
          ? {
            goal: "ours ≤ 1.3× its RSS at rest",
            result: verdict(
              oursAfter !== undefined && oursRest !== undefined ? oursAfter <= 1.3 * oursRest : undefined,
            ),
          }
          : {}),
      }),
    );
  }
  const oursBallast = med(memory("ours").map((m) => m.withBallast));
  const theirsBallast = med(memory("era-a").map((m) => m.withBallast));
  const cached = med(memory("ours").map((m) => m.cachedObjects));
  const oursFresh = med(memory("ours").map((m) => m.freshWithBallast));
  const theirsFresh = med(memory("era-a").map((m) => m.freshWithBallast));
  const freshCached = med(memory("ours").map((m) => m.freshCachedObjects));
  const within = (a: number | undefined, b: number | undefined) =>
    verdict(a !== undefined && b !== undefined ? a <= 1.5 * b : undefined);
  rows.push(
    row(
      `RSS with ${4 * settings.ballastPerKind} more objects of the kinds it watches, not its own, after the workloads${
        cached !== undefined ? ` (ours caching ${cached.toFixed(0)} in all)` : ""
      }`,
      {
        ours: mib(oursBallast),
        go: `era a: ${mib(theirsBallast)}`,
        oursToGo: ratio(oursBallast, theirsBallast),
        goal: "≤ 1.5× Go",
        result: within(oursBallast, theirsBallast),
      },
    ),
  );
  if (oursFresh !== undefined || theirsFresh !== undefined) {
    rows.push(
      row(
        `RSS of a fresh process started with the same objects${
          freshCached !== undefined ? ` (ours caching ${freshCached.toFixed(0)})` : ""
        }`,
        {
          ours: mib(oursFresh),
          go: `era a: ${mib(theirsFresh)}`,
          oursToGo: ratio(oursFresh, theirsFresh),
          goal: "≤ 1.5× Go",
          result: within(oursFresh, theirsFresh),
        },
      ),
    );
  }

  // (4) event to apply
  for (const generation of ["partition-groups", "databases"] as Generation[]) {
    const go = goOf(generation);
    const samples = (side: Side) =>
      results.e2a.filter((e) => e.side === side && e.generation === generation).flatMap((e) => e.samples);
    const bare = results.rtt.filter((r) => r.side === "ours" && r.generation === generation);
    const rtt = bare.flatMap((r) => r.rtt);
    const toSeen = bare.flatMap((r) => r.toSeen);
    const ours = samples("ours");
    const theirs = samples(go);
    // The bare writer's own event to apply: each parent's children all sent as it is created.
    const together = samples("bare");
    const child = generation === "partition-groups" ? "its Service" : "its first Partition";
    for (const [label, q] of [["p50", 0.5], ["p99", 0.99]] as const) {
      const o = ours.length ? quantile(ours, q) : undefined;
      const t = theirs.length ? quantile(theirs, q) : undefined;
      const b = toSeen.length ? quantile(toSeen, q) : undefined;
      const r = rtt.length ? quantile(rtt, q) : undefined;
      const above = o !== undefined && b !== undefined ? o - b : undefined;
      rows.push(
        row(`event to apply at idle, ${label}: parent created → ${child} seen (${generation})`, {
          ours: ms1(o),
          go: `${goName(go)}: ${ms1(t)}`,
          oursToGo: ratio(o, t),
          bare: `apply → seen ${ms1(b)} (round trip ${ms1(r)})`,
          oursToBare: above === undefined ? "n/a" : `${above >= 0 ? "+" : ""}${above.toFixed(1)} ms`,
          goal: label === "p99" ? "≤ bare + 5 ms" : "",
          result: label === "p99" ? verdict(above !== undefined ? above <= 5 : undefined) : "",
        }),
      );
      const w = together.length ? quantile(together, q) : undefined;
      const beyond = o !== undefined && w !== undefined ? o - w : undefined;
      rows.push(
        row(
          `event to apply at idle, ${label}: the same, against the bare writing all of one parent's children at once (${generation})`,
          {
            ours: ms1(o),
            bare: `created → seen ${ms1(w)}`,
            oursToBare: beyond === undefined ? "n/a" : `${beyond >= 0 ? "+" : ""}${beyond.toFixed(1)} ms`,
          },
        ),
      );
    }
  }

  // (5) RPC
  for (const method of ["GetPartitionGroups", "GetDatabases"]) {
    const go: Side = method === "GetPartitionGroups" ? "era-a" : "era-b";
    const levels = (side: Side) =>
      results.rpc.filter((r) => r.side === side && r.method === method).flatMap((r) => r.levels);
    const callerCounts = [...new Set([...levels("ours"), ...levels(go)].map((l) => l.callers))].sort((a, b) => a - b);
    for (const callers of callerCounts) {
      const pick = (side: Side) => levels(side).filter((l) => l.callers === callers);
      const rate = (side: Side) => med(pick(side).map((l) => l.perSecond));
      const p99 = (side: Side) => med(pick(side).map((l) => l.p99Ms));
      const errors = (side: Side) => pick(side).reduce((sum, l) => sum + l.errors, 0);
      const cell = (
        side: Side,
      ) => (rate(side) === undefined
        ? "not run"
        : `${rate(side)!.toFixed(0)}/s, p99 ${ms1(p99(side))}${errors(side) ? `, ${errors(side)} errors` : ""}`);
      const goal = callers >= 8 ? "≥ 1.5× Go" : "";
      const o = rate("ours");
      const t = rate(go);
      rows.push(
        row(`${method} over gRPC h2c, ${callers} caller${callers > 1 ? "s" : ""} (calls/s)`, {
          ours: cell("ours"),
          go: `${goName(go)}: ${cell(go)}`,
          oursToGo: ratio(o, t),
          goal,
          result: goal ? verdict(o !== undefined && t !== undefined ? o >= 1.5 * t : undefined) : "",
        }),
      );
    }
  }

  // (6) hand-off
  for (const entry of results.handOff) {
    if (entry.ms === undefined && entry.note) continue;
    rows.push(
      row(
        `leader hand-off, ${entry.kind}: signal → writes resume`,
        entry.side === "ours" ? { ours: s(entry.ms) } : { go: `${goName(entry.side)}: ${s(entry.ms)}` },
      ),
    );
  }

  // notes
  const load = results.load;
  notes.push(
    `One local control plane (runtime/control-plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok) for the whole run; kube-controller-manager and kube-scheduler restarted with ${
      context.qpsFlags.join(" ")
    } (kwokctl's --disable-qps-limits), so that their default client rate limits (20 and 50 QPS) do not bound every side alike; ${context.fakeNodes} kwok fake nodes of 1000 pods each (the runtime's control plane's one, and ${
      context.fakeNodes - 1
    } the bench adds alike), so that N=500 groups' 4500 pods fit.`,
    `Rounds: ${settings.rounds}, the order of the sides reversed each round; each controller alone, with its own CRDs (ours: deploy/atomix-controller.yaml; era a: its deploy/atomix-controller.yaml CRDs rewritten as apiextensions.k8s.io/v1; era b: its deploy/crds.yaml) installed before its phase. Times are medians over the rounds; every run is in the JSON.`,
    `Ours: bundled as the image has it (dev/bundle.ts), node --max-semi-space-size=1 main.js with the image's environment (deploy/Containerfile's ENV lines, which --ours-env adds to or overrides), leader election off, defaults otherwise (4 workers per controller, log level info). Era a: ${context.originals.eraA}; era b: ${context.originals.eraB}; both built with ${context.originals.go} and run with their defaults (controller-runtime, 1 worker per controller; client rate limit 5 QPS burst 10 for era a, 20 QPS burst 30 for era b), out of cluster (no leader election), logging at info.`,
    `Workload: N parents of ${settings.size.partitions} partitions × ${settings.size.replicas} replicas, created ${settings.createsInFlight} at a time. Converged = every StatefulSet reports all its replicas ready (kwok makes pods Running and Ready) and every Service exists, timed from the first create; delete = every parent deleted (background propagation) until no parent, Partition, StatefulSet, Service, ConfigMap, PodDisruptionBudget, EndpointSlice, Endpoints or Pod is left in the namespace.`,
    `Partition groups: ours writes per group 3 Partitions, a headless Service and an EndpointSlice, per Partition a ConfigMap, a StatefulSet, 2 Services and a PodDisruptionBudget (policy/v1), plus statuses and Events. Era a writes per PartitionSet a Service, an Endpoints and 3 Partitions, per Partition a ConfigMap, a PodDisruptionBudget (policy/v1 through the patched k8s.io/api), a StatefulSet, 2 Services and updates to the set's Endpoints, plus Partition statuses.`,
    `Databases (what is compared): era b's Database controller creates the Database's Partitions (cloud.atomix.io/v1beta3) and nothing else; its Raft storage controller is not published, so nothing makes StatefulSets for it. The compared time is first create → every Partition exists, for both. Ours runs its whole controller (Database v1beta2, ${settings.size.partitions} clusters × 1 partition, on a RaftStorageClass of ${settings.size.replicas} replicas), so while it makes the Partitions it also makes the storage (per cluster a StatefulSet, a headless Service and a ConfigMap, per partition a Service); its time until that storage converged is shown on its own row, against the bare apply of the same objects.`,
    `Bare apply: the bench itself creates the same parents and server-side applies the children our functions answer (syncPartitionGroup/syncPartition, syncDatabase/syncRaftStorage, owner references stamped as the runtime does), ${settings.bareInFlight} requests in flight, waiting requests ordered parents, Partitions, StatefulSets, the rest; no statuses, Events or re-syncs: a lower bound for what any controller needs from this API server.`,
    `A run is stopped at its cap (era a: ${
      settings.sizes.map((n) => `${settings.convergeCapMs("era-a", n) / 1000} s at N=${n}`).join(", ")
    }; the others: max(180 s, N s)) and its time estimated from the rate of its second half; "ours / Go" is then against that estimate. Sizes after the first run in the first ${settings.largeRounds} round(s) only (each such run takes minutes per side on this machine); the memory with more cached objects is measured in round 1.`,
    `Memory, from /proc/PID/status: at rest = VmRSS ${
      settings.restMs / 1000
    } s after the caches synced, before any workload; high-water = VmHWM over the converge runs (reset with clear_refs before them); after = VmRSS ${
      settings.afterMs / 1000
    } s after the last delete finished; with more cached objects = VmRSS ${
      settings.restMs / 1000 + 5
    } s after ${settings.ballastPerKind} each of ConfigMaps, headless Services, StatefulSets (0 replicas) and PodDisruptionBudgets, owned by nothing and without a managed-by label, were created in another namespace (era a caches every object of these kinds; ours caches of them only what its controllers made, which these are not, since its cache selectors (runtime/program/cache-selectors.ts); era b caches none of them, so it has no such row; what caching objects costs ours is in bench/results/memory-load.md), first in the process that ran the workloads, then in a fresh process of the same controller started with them in place (VmRSS ${
      settings.restMs / 1000 + 5
    } s after it was ready). Node's floor (the bare column of RSS at rest): a process of the same Node, flags and environment that loads node:https and node:http2, makes one TLS request to the API server and listens for HTTP/1.1 and HTTP/2 on one port, what every controller of this kind must do, then rests as long; ours minus it is what ours' code and data cost.`,
    `Event to apply: one parent at a time (1 partition of 1 replica), up to ${settings.e2aSamples} samples, one every ${settings.e2aPaceMs.ours} ms for ours and era b and every ${
      settings.e2aPaceMs["era-a"]
    } ms for era a (whose writes for one parent take about that long at 5 QPS, so that each sample finds it idle), capped in time; measured from the create call returning to the bench's watch seeing the controller's first child. The bare column, measured right after in the same phase: server-side applies of the same kind of object (a headless Service; a Partition), apply → seen by the same watch, and the apply round trip alone; "ours / bare" is the difference, what the controller adds to one apply. The rows "against the bare writing all of one parent's children at once" come from the bare side's own phase, with no controller running: the bench creates each parent at ours' pace and at once applies every child our functions answer for it (the group's or the Database's children and its storage, then the Partition's own once its apply answers), timed the same way; ours' difference to that is what its watch, queue, function and plan add, since the writes beside the first child slow the first child's apply on the server too.`,
    `RPC: bench/go/load (grpc-go, the era-a ControllerService and the atomix/api v0.3.3 DatabaseService stubs), one h2c connection shared by the callers, ${settings.rpcSeconds} s per level after 1 s of warm-up, each call listing a namespace of ${settings.rpcParents} parents with their partitions (every answer checked to list ${settings.rpcParents}).`,
  );
  for (const entry of results.handOff.filter((h) => h.note)) {
    notes.push(`Leader election, ${goName(entry.side)}: ${entry.note}`);
  }
  if (results.handOff.some((h) => h.side !== "ours")) {
    notes.push(
      "The originals' leader election (Become, from operator-sdk) locks a ConfigMap named after the replica's own POD_NAME, owned by its Pod, so replicas with different pod names never exclude each other: every replica leads, and a Deployment of two runs two active controllers. There is no hand-off to time; the rows show the time from the signal to writes resuming when a replacement process starts at once (a new pod after SIGTERM, the restarted container in the same pod after kill -9), with no kubelet restart delay.",
    );
  }
  for (const record of results.converge) {
    notes.push(
      `run: ${record.side} ${record.generation} N=${record.n} round ${record.round}: creates ${
        s(record.createsMs)
      }, partitions ${s(record.partitionsMs)}, converged ${
        record.capped ? `capped at ${record.progress}, est. ${s(record.estimatedMs)}` : s(record.convergeMs)
      }, deleted ${record.deleteCapped ? "capped" : s(record.deleteMs)}${
        record.rssConverged ? `, RSS converged ${mib(record.rssConverged)}` : ""
      }${record.cpuSeconds !== undefined ? `, CPU ${record.cpuSeconds.toFixed(1)} s` : ""}${
        record.cachedObjects ? `, ${record.cachedObjects} cached objects` : ""
      }${
        record.work
          ? `; API requests ${Object.entries(record.work.requests).map(([method, n]) => `${method} ${n}`).join(", ")}${
            Object.values(record.work.controllers).some((c) => c.syncs)
              ? `; syncs ${
                Object.entries(record.work.controllers).filter(([, c]) => c.syncs).map(([name, c]) =>
                  `${name} ${c.syncs} (mean ${c.meanSyncMs.toFixed(0)} ms, queued ${c.meanQueuedMs.toFixed(0)} ms)`
                ).join(", ")
              }`
              : ""
          }`
          : ""
      }`,
    );
  }
  const where = (split: ResidentSplit) =>
    ` [V8 pages ${mib(split.v8Pages)}, malloc main arena ${mib(split.mallocMain)}, other anonymous ${
      mib(split.otherAnonymous)
    }, file-backed ${mib(split.fileBacked)}]`;
  for (const m of results.memory) {
    notes.push(
      `memory: ${m.side} round ${m.round}: ${
        (m.timeline ?? []).map((t) =>
          `${t.step} ${mib(t.rss)}${t.heapTotal ? ` (V8 heap ${mib(t.heapUsed)} used of ${mib(t.heapTotal)})` : ""}${
            t.split ? where(t.split) : ""
          }`
        ).join(", ")
      }${
        m.nodeFloor ? `; Node's floor ${mib(m.nodeFloor.rss)}${where(m.nodeFloor.split)}` : ""
      }; high-water over the converge runs ${mib(m.highWater)}${
        m.withBallast ? `; with ${m.ballastObjects} more objects ${mib(m.withBallast)}` : ""
      }${m.freshWithBallast ? `, in a fresh process ${mib(m.freshWithBallast)}` : ""}${
        m.cpuSeconds !== undefined
          ? `; CPU from ready to the end of the converge runs ${m.cpuSeconds.toFixed(1)} s`
          : ""
      }`,
    );
  }
  for (const e of results.e2a) {
    notes.push(
      `event to apply: ${e.side} ${e.generation} round ${e.round}: ${e.samples.length} samples p50 ${
        ms1(quantile(e.samples, 0.5))
      } p99 ${ms1(quantile(e.samples, 0.99))}${e.timeouts ? `, ${e.timeouts} timed out` : ""}${
        e.ownMetric
          ? `; ours' own controller_runtime_event_to_apply_seconds over the same syncs (${e.ownMetric.count} writes): p50 ${
            ms1(e.ownMetric.p50)
          }, p99 ${ms1(e.ownMetric.p99)}`
          : ""
      }`,
    );
  }
  if (load.length) {
    notes.push(
      `Machine load (1-minute average, sampled every 10 s, the bench's own work included): median ${
        median(load).toFixed(1)
      }, max ${Math.max(...load).toFixed(1)} on ${context.cores} cores.`,
    );
  }
  for (const error of results.errors) notes.push(`error: ${error.where}: ${error.message.split("\n")[0]}`);
  return { rows, notes };
}
