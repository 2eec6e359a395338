// Where the Atomix controller's resident memory goes. Two tables:
//  1. what each part costs to load, each step in a fresh process importing one more part of the
//     compiled controller (and, before, client-node's whole package under the type stripper);
//  2. the controller at rest on a local cluster (the CRDs installed, no objects), as the
//     TypeScript sources, compiled (npm run build), compiled with a small young generation, and
//     as the image runs it (bundled by dev/bundle.ts, with the small young generation), read
//     from /proc/PID/status and the controller's own heap metrics.
//   node bench/memory.ts        (starts a local cluster; BENCH_KUBECONFIG=path reuses one)
import { execFile, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { startControlPlane as startCluster } from "../runtime/control-plane.ts";
import { writeReport } from "./report.ts";
import { buildOurs, compileOurs, installOurs } from "./side-by-side/controllers.ts";

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
/** The same parts as the image loads them: the compiled JavaScript in `out`. */
const compiledSteps = (out: string): Array<[string, string]> => {
  const at = (path: string) => JSON.stringify(join(out, path));
  return [
    ["Node, nothing loaded", ""],
    [
      "+ the REST client: client-node's KubeConfig (with the runtime's stand-ins), node:https and one request",
      `const { KubeClient } = await import(${at("runtime/kube/client.js")});
await KubeClient.load(process.env.KC).request("GET", "/api/v1/namespaces");`,
    ],
    [
      "+ the Atomix functions, with @bufbuild/protobuf and the storage nodes' config schemas",
      `await import(${at("functions/atomix-controller/controllers.js")});`,
    ],
    [
      "+ Connect and the Atomix API services (generated descriptors, handlers)",
      `await import("@connectrpc/connect-node"); await import(${at("functions/atomix-controller/program.js")});`,
    ],
    ["+ prom-client and Hono", `await import("prom-client"); await import("hono"); await import("@hono/node-server");`],
    ["+ the rest of the runtime (manager, cache, server)", `await import(${at("runtime/program/manager.js")});`],
  ];
};

/** VmRSS, and of it the anonymous and the file-backed pages (the node binary's code and data), in bytes. */
interface Resident {
  rss: number;
  anon: number;
  file: number;
}

async function rssAfter(code: string, kubeconfig: string, cwd: string, flags: string[]): Promise<Resident> {
  const script = `${code}
await new Promise((r) => setTimeout(r, 500));
const status = (await import("node:fs")).readFileSync("/proc/self/status", "utf8");
const kib = (field) => parseInt(status.split(String.fromCharCode(10)).find((line) => line.startsWith(field + ":")).slice(field.length + 1)) * 1024;
console.log(JSON.stringify({ rss: kib("VmRSS"), anon: kib("RssAnon"), file: kib("RssFile") }));`;
  const { stdout } = await run(node, [...flags, "--input-type=module", "-e", script], {
    cwd,
    env: { ...process.env, KC: kubeconfig },
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Resident;
}

async function breakdown(list: Array<[string, string]>, kubeconfig: string, cwd = root, flags: string[] = []) {
  const rows: Array<Record<string, string | number>> = [];
  let code = "";
  let previous = 0;
  for (const [label, step] of list) {
    code += step + "\n";
    const samples: Resident[] = [];
    for (let round = 0; round < rounds; round++) samples.push(await rssAfter(code, kubeconfig, cwd, flags));
    const median = samples.sort((a, b) => a.rss - b.rss)[Math.floor(rounds / 2)]!;
    rows.push({
      step: label,
      "RSS MiB": mib(median.rss),
      "added MiB": previous ? mib(median.rss - previous) : mib(median.rss),
      "anonymous MiB": mib(median.anon),
      "file-backed MiB": mib(median.file),
    });
    previous = median.rss;
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
let image: string | undefined;
try {
  await installOurs(given ? "kubectl" : cluster!.binaries.kubectl, kubeconfig);
  out = await compileOurs();
  image = await buildOurs();

  const whole = await breakdown(steps, kubeconfig);
  const compiled = await breakdown(compiledSteps(out), kubeconfig, out, ["--max-semi-space-size=1"]);
  const rest = [
    await atRest("main.ts (TypeScript sources)", [join(root, "main.ts")], kubeconfig, 15790),
    await atRest("main.js (compiled)", [join(out, "main.js")], kubeconfig, 15791),
    await atRest(
      "main.js (compiled), --max-semi-space-size=1",
      ["--max-semi-space-size=1", join(out, "main.js")],
      kubeconfig,
      15792,
    ),
    await atRest(
      "main.js (bundled), --max-semi-space-size=1 (the image)",
      ["--max-semi-space-size=1", join(image, "main.js")],
      kubeconfig,
      15793,
    ),
  ];
  writeReport({
    name: "memory",
    command: "node bench/memory.ts",
    rows: rest,
    notes: [
      `At rest = ${restMs / 1000} s after start, caches synced, no Atomix objects; leader election off.`,
      "What loading each part costs, compiled (npm run build) and run with the image's flags (node --max-semi-space-size=1; median of 3 fresh " +
      "processes per step; anonymous pages are the heaps, file-backed ones the node binary's code and data that the " +
      "process has touched):",
      ...compiled.map((row) =>
        `${row.step}: ${row["RSS MiB"]} MiB (${row["added MiB"]} added; ${row["anonymous MiB"]} anonymous, ${
          row["file-backed MiB"]
        } file-backed)`
      ),
      "Before: client-node's package index loads its whole generated API and an OIDC library:",
      ...whole.map((row) => `${row.step}: ${row["RSS MiB"]} MiB (${row["added MiB"]} added)`),
    ],
  });
} finally {
  for (const dir of [out, image]) if (dir) rmSync(dir, { recursive: true, force: true });
  await cluster?.stop();
}
