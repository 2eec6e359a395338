// Functions behind HTTP: what a remote sync adds to a sync, and how many requests a hook server
// answers. The hook server runs the Atomix functions (runtime/hook-server/main.ts) in a process of
// its own on loopback; the caller is the runtime's own remote call (runtime/reconcile/call.ts).
//   node bench/hooks.ts [samples] [concurrency,...]
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import type { PartitionGroup } from "../functions/atomix-controller/kinds.ts";
import { partitionGroups } from "../functions/atomix-controller/partition-groups/partition-group.ts";
import { servedAt, type SyncRequest } from "../runtime/mod.ts";
import { callSync } from "../runtime/reconcile/call.ts";
import { writeReport } from "./report.ts";

const samples = Number(process.argv[2] ?? 2000);
const concurrencies = (process.argv[3] ?? "1,8,64").split(",").map(Number);
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

const port = await freePort();
const server = spawn(process.execPath, [
  join(root, "runtime/hook-server/main.ts"),
  "--functions",
  "functions/atomix-controller/partition-groups/partition-group.ts",
  "--host",
  "127.0.0.1",
  "--port",
  String(port),
], { cwd: root, stdio: "ignore" });
try {
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await fetch(`${url}/healthz`).catch(() => undefined))?.ok; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const remoteGroups = servedAt(partitionGroups, url);
  const local = await latencies(() => callSync(partitionGroups, false, structuredClone(request)));
  const remote = await latencies(() => callSync(remoteGroups, false, request));
  const rows: Array<Record<string, string | number>> = [
    {
      what: "in-process sync (PartitionGroup, 3 partitions)",
      "p50 ms": ms(quantile(local, 0.5)),
      "p99 ms": ms(quantile(local, 0.99)),
      "requests/s": "",
    },
    {
      what: "remote sync over loopback HTTP (one caller)",
      "p50 ms": ms(quantile(remote, 0.5)),
      "p99 ms": ms(quantile(remote, 0.99)),
      "requests/s": "",
    },
    {
      what: "added by the remote call",
      "p50 ms": ms(quantile(remote, 0.5) - quantile(local, 0.5)),
      "p99 ms": ms(quantile(remote, 0.99) - quantile(local, 0.99)),
      "requests/s": "",
    },
  ];
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
    rows.push({
      what: `hook server throughput, ${concurrency} concurrent callers`,
      "p50 ms": "",
      "p99 ms": "",
      "requests/s": Math.round(answered / throughputSeconds),
    });
  }
  writeReport({
    name: "hooks",
    command: `node bench/hooks.ts ${samples} ${concurrencies.join(",")}`,
    rows,
    notes: [
      `${samples} sequential samples each after 200 warm-up calls; throughput over ${throughputSeconds} s per row.`,
      "Caller and hook server share the machine's 2 cores; the server is one Node process (runtime/hook-server/main.ts).",
    ],
  });
} finally {
  server.kill("SIGTERM");
}
