// Functions behind HTTP: what a remote sync adds to a sync, and how many requests a hook server
// answers, on each runtime a hook server runs on, side by side in one run: Node
// (runtime/hook-server/main.ts), Bun (the same file), Deno (`deno serve` of hook-server/deno.ts)
// and workerd (hook-server/workerd.ts's bundle), and beside them a Go net/http hook server
// answering the same sync (bench/go/hooks, the function ported to Go; its answer is checked to
// equal the function's). Each serves the PartitionGroup function in a process of its own on
// loopback; the caller is the runtime's own remote call (runtime/reconcile/call.ts), on Node.
// RSS at rest is the serving process's, read from /proc after start-up and one call.
//   node bench/hooks.ts [samples] [concurrency,...] [runtime,...] [rounds]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWorker, workerdBinary, workerdConfig } from "../runtime/hook-server/workerd.ts";
import type { PartitionGroup } from "../functions/atomix-controller/kinds.ts";
import { partitionGroups } from "../functions/atomix-controller/partition-groups/partition-group.ts";
import { servedAt, type SyncRequest } from "../runtime/mod.ts";
import { callSync } from "../runtime/reconcile/call.ts";
import { runGo } from "../runtime/control-plane/go.ts";
import { writeReport } from "./report.ts";

const samples = Number(process.argv[2] ?? 2000);
const concurrencies = (process.argv[3] ?? "1,8,64").split(",").map(Number);
const runtimes = (process.argv[4] ?? "node,bun,deno,workerd,go").split(",") as Runtime[];
const rounds = Number(process.argv[5] ?? 3);
type Runtime = "node" | "bun" | "deno" | "workerd" | "go";
const throughputSeconds = 5;
const root = join(import.meta.dirname, "..");

const request: SyncRequest<PartitionGroup> = {
  parent: {
    apiVersion: "k8s.atomix.io/v1alpha1",
    kind: "PartitionGroup",
    metadata: { name: "raft", namespace: "bench", uid: "u", generation: 1 },
    spec: { partitions: 3, partitionSize: 3, raft: {} },
  },
  children: {},
  related: {},
  finalizing: false,
};

const log = (line: string) => console.error(line);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const ms = (value: number) => Number(value.toFixed(3));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function latencies(call: () => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < 200; i++) await call(); // warm up
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

const functions = "functions/atomix-controller/partition-groups/partition-group.ts";

/** Starts a hook server of the PartitionGroup function on a runtime; resolves once it answers. */
async function startServer(runtime: Runtime): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const scratch = runtime === "workerd" || runtime === "go"
    ? await mkdtemp(join(tmpdir(), `bench-${runtime}-`))
    : undefined;
  let command: string;
  let args: string[];
  if (runtime === "go") {
    await runGo(
      join(root, "bench", "go", "hooks"),
      ["build", "-o", join(scratch!, "hooks"), "."],
      log,
      "[hooks]",
      "the Go hook server",
    );
    [command, args] = [join(scratch!, "hooks"), ["-addr", `127.0.0.1:${port}`]];
  } else if (runtime === "workerd") {
    await bundleWorker([functions], scratch!, { cwd: root });
    await writeFile(join(scratch!, "config.capnp"), workerdConfig("127.0.0.1", port));
    [command, args] = [workerdBinary(root), ["serve", join(scratch!, "config.capnp")]];
  } else if (runtime === "deno") {
    [command, args] = [join(root, "node_modules", ".bin", "deno"), [
      "serve",
      "--allow-all",
      "--quiet",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "runtime/hook-server/deno.ts",
    ]];
  } else {
    command = runtime === "bun" ? join(root, "node_modules", "bun", "bin", "bun.exe") : process.execPath;
    args = ["runtime/hook-server/main.ts", "--functions", functions, "--host", "127.0.0.1", "--port", String(port)];
  }
  const child = spawn(command, args, {
    cwd: scratch ?? root,
    stdio: "ignore",
    env: { ...process.env, HOOK_FUNCTIONS: functions },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300 && !(await fetch(`${url}/healthz`).catch(() => undefined))?.ok; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await fetch(`${url}/healthz`).catch(() => undefined))?.ok) {
    throw new Error(`the ${runtime} hook server did not start`);
  }
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    url,
    child,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      if (scratch) await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** JSON with every object's keys sorted, to compare answers whatever order their keys came in. */
function canonical(json: string): string {
  const sort = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sort)
      : value && typeof value === "object"
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sort(v)]))
      : value;
  return JSON.stringify(sort(JSON.parse(json)));
}

/** A process's resident set in MiB, from /proc. */
async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

const rows: Array<Record<string, string | number>> = [];
const local = await latencies(() => callSync(partitionGroups, false, structuredClone(request)));
rows.push({
  runtime: "in-process (Node)",
  "p50 ms": ms(quantile(local, 0.5)),
  "p99 ms": ms(quantile(local, 0.99)),
  ...Object.fromEntries(concurrencies.map((c) => [`req/s × ${c}`, ""])),
  "RSS at rest MiB": "",
});
/** One runtime's row of one round. */
async function measureRuntime(runtime: Runtime): Promise<Record<string, string | number>> {
  const server = await startServer(runtime);
  try {
    const remoteGroups = servedAt(partitionGroups, server.url);
    // Every server answers what the function answers in-process (the Go port included).
    const expected = JSON.stringify(await callSync(partitionGroups, false, structuredClone(request)));
    const got = JSON.stringify(await callSync(remoteGroups, false, request));
    if (canonical(got) !== canonical(expected)) {
      throw new Error(`the ${runtime} hook server answered ${got}, not what the function answers: ${expected}`);
    }
    const rss = await rssMiB(server.child.pid!);
    const remote = await latencies(() => callSync(remoteGroups, false, request));
    const row: Record<string, string | number> = {
      runtime,
      "p50 ms": ms(quantile(remote, 0.5)),
      "p99 ms": ms(quantile(remote, 0.99)),
    };
    for (const concurrency of concurrencies) {
      let answered = 0;
      const deadline = performance.now() + throughputSeconds * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < deadline) {
            await callSync(remoteGroups, false, request);
            answered++;
          }
        }),
      );
      row[`req/s × ${concurrency}`] = Math.round(answered / throughputSeconds);
    }
    row["RSS at rest MiB"] = rss;
    return row;
  } finally {
    await server.stop();
  }
}

// Rounds, the order of the runtimes reversed each round, so that a slow spell of this shared
// machine does not fall on one runtime alone; each figure is the median over the rounds.
const byRuntime = new Map<Runtime, Array<Record<string, string | number>>>(runtimes.map((r) => [r, []]));
for (let round = 0; round < rounds; round++) {
  for (const runtime of round % 2 ? [...runtimes].reverse() : runtimes) {
    log(`[hooks] round ${round + 1}: ${runtime}`);
    byRuntime.get(runtime)!.push(await measureRuntime(runtime));
  }
}
for (const [runtime, measured] of byRuntime) {
  const median = (key: string) => {
    const values = measured.map((row) => Number(row[key])).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  rows.push(
    Object.fromEntries(Object.keys(measured[0]!).map((key) => [key, key === "runtime" ? runtime : median(key)])),
  );
}
writeReport({
  name: "hooks",
  command: `node bench/hooks.ts ${samples} ${concurrencies.join(",")} ${runtimes.join(",")} ${rounds}`,
  rows,
  notes: [
    `A remote sync of the PartitionGroup function (3 partitions): ${samples} sequential samples after 200 warm-up calls; ` +
    `throughput over ${throughputSeconds} s with 1, 8 and 64 concurrent callers (req/s × N). ${rounds} rounds, ` +
    "the runtimes' order reversed each round, a fresh server each time; every figure is the median over the rounds " +
    "(single runs on this shared 2-core machine differ by up to a third).",
    "Caller (Node) and hook server share the machine's 2 cores. node and bun run runtime/hook-server/main.ts, " +
    "deno `deno serve` of runtime/hook-server/deno.ts, workerd the bundle of runtime/hook-server/workerd.ts " +
    "(no /metrics there, so no metric updates per request); go is bench/go/hooks (net/http and encoding/json, " +
    "the function ported, no answer checks and no metrics), built with the go on PATH.",
    "RSS at rest: the serving process after start-up and one call.",
  ],
});
