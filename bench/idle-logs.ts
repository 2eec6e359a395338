// How much the four programs log on an idle cluster: each product runs at its default log level
// (info) against a local control plane with its manifests installed and no objects, and every
// line it writes after its start-up (the first minute) is counted, by level and message.
//   node bench/idle-logs.ts            (10 idle minutes; IDLE_MINUTES=n to change; BENCH_KUBECONFIG=path reuses a cluster)
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startControlPlane } from "../runtime/control-plane.ts";
import { writeReport } from "./report.ts";
import { kubectlOrThrow } from "../test/support/kubectl.ts";

const root = join(import.meta.dirname, "..");
const idleMinutes = Number(process.env.IDLE_MINUTES ?? 10);
const startupMs = 60_000;

const programs: Array<{ name: string; script: string; manifest: string }> = [
  { name: "Atomix controller", script: "main.ts", manifest: "deploy/atomix-controller.yaml" },
  { name: "Atomix operator", script: "functions/atomix-operator/main.ts", manifest: "deploy/atomix-operator.yaml" },
  { name: "replication operator", script: "functions/rss-operator/main.ts", manifest: "deploy/rss-operator.yaml" },
  {
    name: "Metacontroller runtime",
    script: "functions/metacontroller/main.ts",
    manifest: "deploy/metacontroller.yaml",
  },
];

const cluster = process.env.BENCH_KUBECONFIG ? undefined : await startControlPlane({ log: () => undefined });
const kubeconfig = process.env.BENCH_KUBECONFIG ?? cluster!.kubeconfig;
try {
  for (const { manifest } of programs) {
    // The Deployments in the manifests would start images this machine has not got; their
    // pods stay Pending on the fake node and log nothing here. What is measured runs below.
    await kubectlOrThrow(kubeconfig, ["apply", "--server-side", "-f", join(root, manifest)]);
  }
  const started = performance.now();
  const runs = programs.map((program) => {
    const child = spawn(process.execPath, [
      join(root, program.script),
      `--kubeconfig=${kubeconfig}`,
      "--port=0",
      "--leader-election-namespace=default",
      `--identity=idle-${program.name.replaceAll(" ", "-").toLowerCase()}`,
    ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    const lines: Array<{ at: number; level: string; msg: string }> = [];
    let pending = "";
    const take = (chunk: Buffer) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        let level = "text";
        let msg = line.slice(0, 80);
        try {
          const entry = JSON.parse(line) as { level?: string; msg?: string };
          level = entry.level ?? "text";
          msg = entry.msg ?? msg;
        } catch {
          // not JSON: counted as text
        }
        lines.push({ at: performance.now() - started, level, msg });
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    return { program, child, lines };
  });
  console.error(`[idle-logs] ${programs.length} programs started; counting for ${idleMinutes} idle minutes`);
  await new Promise((resolve) => setTimeout(resolve, startupMs + idleMinutes * 60_000));
  for (const { child } of runs) child.kill("SIGTERM");
  await Promise.all(runs.map(({ child }) => new Promise((resolve) => child.once("close", resolve))));

  const rows = runs.map(({ program, lines }) => {
    const startup = lines.filter((line) => line.at < startupMs);
    const idle = lines.filter((line) => line.at >= startupMs && line.at < startupMs + idleMinutes * 60_000);
    const byMessage = new Map<string, number>();
    for (const line of idle) {
      byMessage.set(`${line.level}: ${line.msg}`, (byMessage.get(`${line.level}: ${line.msg}`) ?? 0) + 1);
    }
    return {
      program: program.name,
      "start-up lines (first minute)": startup.length,
      "idle lines": idle.length,
      "idle lines per hour": Math.round((idle.length * 60) / idleMinutes),
      "warn or error while idle": idle.filter((line) => line.level === "warn" || line.level === "error").length,
      "idle messages": [...byMessage].map(([message, count]) => `${message} ×${count}`).join("; ") || "none",
    };
  });
  writeReport({
    name: "idle-logs",
    command: `IDLE_MINUTES=${idleMinutes} node bench/idle-logs.ts`,
    rows,
    notes: [
      "Each program runs as `node <main> --kubeconfig=<admin> --port=0` at the default level (info), leading its own Lease, with its CRDs and RBAC applied and no objects of its kinds.",
      "Idle lines are those written after the first minute, over the idle minutes; per hour is that count scaled to 60 minutes.",
    ],
  });
} finally {
  await cluster?.stop();
}
