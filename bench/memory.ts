// Where the Atomix controller's resident memory goes. Two tables:
//  1. what each part costs to load, each step in a fresh process importing one more part;
//  2. the controller at rest on a local cluster (the CRDs installed, no objects), as the
//     TypeScript sources, compiled (npm run build), and compiled with a small young generation,
//     read from /proc/PID/status and the controller's own heap metrics.
//   node bench/memory.ts        (starts a local cluster; BENCH_KUBECONFIG=path reuses one)
import { execFile, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { startControlPlane as startCluster } from "../runtime/control-plane.ts";
import { writeReport } from "./report.ts";
import { buildOurs, installOurs } from "./side-by-side/controllers.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const node = process.execPath;
const restMs = 20_000;
const rounds = 3;
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** Steps of the breakdown: a label and the code a fresh process runs before measuring. */
const steps: Array<[string, string]> = [
  ["Node, nothing loaded", ""],
  [
    "+ a TypeScript file (Node's type stripper)",
    `await import(${JSON.stringify(join(root, "runtime/kube/kinds.ts"))});`,
  ],
  ["+ @kubernetes/client-node, whole package", `await import("@kubernetes/client-node");`],
];
const slimSteps: Array<[string, string]> = [
  ["Node, nothing loaded", ""],
  [
    "+ a TypeScript file (Node's type stripper)",
    `await import(${JSON.stringify(join(root, "runtime/kube/kinds.ts"))});`,
  ],
  [
    "+ the REST client: client-node's KubeConfig as loaded here and one request (runtime/kube/client.ts)",
    `const { KubeClient } = await import(${JSON.stringify(join(root, "runtime/kube/client.ts"))});
await KubeClient.load(process.env.KC).request("GET", "/api/v1/namespaces");`,
  ],
  [
    "+ @bufbuild/protobuf, Connect and the generated Atomix API",
    `await import("@connectrpc/connect-node"); await import(${
      JSON.stringify(join(root, "functions/atomix-controller/api/protocol-any.ts"))
    });`,
  ],
  ["+ prom-client and Hono", `await import("prom-client"); await import("hono"); await import("@hono/node-server");`],
  [
    "+ the rest of the controller (runtime, functions)",
    `await import(${JSON.stringify(join(root, "functions/atomix-controller/program.ts"))}); await import(${
      JSON.stringify(join(root, "runtime/program/manager.ts"))
    });`,
  ],
];

async function rssAfter(code: string, kubeconfig: string): Promise<number> {
  const script = `${code}\nawait new Promise((r) => setTimeout(r, 500));\nconsole.log(process.memoryUsage.rss());`;
  const { stdout } = await run(node, ["--input-type=module", "-e", script], {
    cwd: root,
    env: { ...process.env, KC: kubeconfig },
  });
  return Number(stdout.trim().split("\n").at(-1));
}

async function breakdown(list: Array<[string, string]>, kubeconfig: string) {
  const rows: Array<Record<string, string | number>> = [];
  let code = "";
  let previous = 0;
  for (const [label, step] of list) {
    code += step + "\n";
    const samples = [];
    for (let round = 0; round < rounds; round++) samples.push(await rssAfter(code, kubeconfig));
    const rss = samples.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
    rows.push({ step: label, "RSS MiB": mib(rss), "added MiB": previous ? mib(rss - previous) : mib(rss) });
    previous = rss;
  }
  return rows;
}

function status(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? NaN);
}

async function atRest(
  label: string,
  args: string[],
  kubeconfig: string,
  port: number,
): Promise<Record<string, string | number>> {
  const child = spawn(node, [
    ...args,
    `--kubeconfig=${kubeconfig}`,
    `--port=${port}`,
    "--leader-elect=false",
    "--log-level=error",
  ], { cwd: root, stdio: "ignore" });
  try {
    await new Promise((resolve) => setTimeout(resolve, restMs));
    return {
      controller: label,
      "RSS at rest MiB": mib(status(child.pid!, "VmRSS")),
      "high-water MiB": mib(status(child.pid!, "VmHWM")),
      "V8 heap used MiB": mib(await metric(port, "nodejs_heap_size_used_bytes")),
      "V8 heap total MiB": mib(await metric(port, "nodejs_heap_size_total_bytes")),
    };
  } finally {
    child.kill("SIGTERM");
  }
}

const given = process.env.BENCH_KUBECONFIG;
const cluster = given ? undefined : await startCluster({ log: (line) => console.error(line) });
const kubeconfig = given ?? cluster!.kubeconfig;
let out: string | undefined;
try {
  await installOurs(given ? "kubectl" : cluster!.binaries.kubectl, kubeconfig);
  out = await buildOurs();

  const whole = await breakdown(steps, kubeconfig);
  const slim = await breakdown(slimSteps, kubeconfig);
  const rest = [
    await atRest("main.ts (TypeScript sources)", [join(root, "main.ts")], kubeconfig, 15790),
    await atRest("main.js (compiled)", [join(out, "main.js")], kubeconfig, 15791),
    await atRest(
      "main.js (compiled), --max-semi-space-size=1 (the image)",
      ["--max-semi-space-size=1", join(out, "main.js")],
      kubeconfig,
      15792,
    ),
  ];
  writeReport({
    name: "memory",
    command: "node bench/memory.ts",
    rows: rest,
    notes: [
      `At rest = ${restMs / 1000} s after start, caches synced, no Atomix objects; leader election off.`,
      "What loading each part costs (median of 3 fresh processes per step):",
      ...slim.map((row) => `${row.step}: ${row["RSS MiB"]} MiB (${row["added MiB"]} added)`),
      "Before: client-node's package index loads its whole generated API and an OIDC library:",
      ...whole.map((row) => `${row.step}: ${row["RSS MiB"]} MiB (${row["added MiB"]} added)`),
    ],
  });
} finally {
  if (out) rmSync(out, { recursive: true, force: true });
  await cluster?.stop();
}
