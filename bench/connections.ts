// What a burst of requests to the API server leaves in a process, by how many connections the
// client's requests may share (runtime/kube/transport.ts, --kube-api-connections). Each setting
// runs in a fresh Node process with the image's flags and environment: one request, then
// rounds of `burst` requests at once (lists of kube-system's ConfigMaps), then every connection
// idle past its close; RSS, malloc's main arena and sockets open after each step, with V8's
// garbage collected first so that what stays is what malloc keeps.
//
//   node bench/connections.ts [burst]        (TEST_KUBECONFIG=path reuses a running cluster)
import { execFile } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { promisify } from "node:util";
import { startControlPlane as startCluster } from "../runtime/control-plane.ts";
import { KubeClient, loadKubeConfig } from "../runtime/run.ts";
import { imageEnv, residentSplit } from "./side-by-side/controllers.ts";
import { writeReport } from "./report.ts";

const isChild = process.argv[2] === "--child";
const burst = Number((isChild ? process.argv[4] : process.argv[2]) ?? 150);
const rounds = 3;
const idleMs = 2_000;

interface Step {
  step: string;
  rss: number;
  malloc: number;
  sockets: number;
}

/** RSS and malloc's main arena ([heap]) in bytes, and the sockets this process has open. */
function reading(step: string): Step {
  const malloc = residentSplit(process.pid).mallocMain;
  const sockets = readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:");
    } catch {
      return false;
    }
  }).length;
  return { step, rss: process.memoryUsage().rss, malloc, sockets };
}

async function settle(): Promise<void> {
  for (let n = 0; n < 3; n++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One setting, in this (child) process: prints its steps as JSON. */
async function child(maxConnections: number): Promise<void> {
  const client = new KubeClient(loadKubeConfig(), undefined, { maxConnections, idleMs });
  const list = () => client.request("GET", "/api/v1/namespaces/kube-system/configmaps");
  const steps: Step[] = [];
  await list();
  await settle();
  steps.push(reading("after one request"));
  for (let round = 1; round <= rounds; round++) {
    await Promise.all(Array.from({ length: burst }, list));
    await settle();
    steps.push(reading(`after burst ${round}`));
  }
  await new Promise((resolve) => setTimeout(resolve, idleMs + 1_000));
  await settle();
  steps.push(reading(`${(idleMs + 1_000) / 1000} s idle`));
  console.log(JSON.stringify(steps));
}

const settings: Array<[string, number]> = [
  ["as before: no limit", 100_000],
  ["32 (the default)", 32],
  ["8", 8],
];

if (isChild) {
  await child(Number(process.argv[3]));
} else {
  const cluster = process.env.TEST_KUBECONFIG ? undefined : await startCluster({ log: (line) => console.error(line) });
  const kubeconfig = process.env.TEST_KUBECONFIG ?? cluster!.kubeconfig;
  const rows: Array<Record<string, string | number>> = [];
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  try {
    for (const [label, maxConnections] of settings) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          "--max-semi-space-size=1",
          "--expose-gc",
          import.meta.filename,
          "--child",
          String(maxConnections),
          String(burst),
        ],
        { env: { ...process.env, ...imageEnv, KUBECONFIG: kubeconfig }, maxBuffer: 1 << 20 },
      );
      const steps = JSON.parse(stdout.trim().split("\n").at(-1)!) as Step[];
      const first = steps[0]!;
      for (const step of steps) {
        rows.push({
          connections: label,
          step: step.step,
          "sockets open": step.sockets,
          "RSS MiB": mib(step.rss),
          "malloc main arena MiB": mib(step.malloc),
          "malloc grown MiB": mib(step.malloc - first.malloc),
        });
      }
      console.error(`[connections] ${label}: done`);
    }
  } finally {
    await cluster?.stop();
  }
  writeReport({
    name: "connections",
    command: `node bench/connections.ts ${burst}`,
    rows,
    notes: [
      `each setting in a fresh process: node --max-semi-space-size=1 --expose-gc with the image's environment (${
        Object.entries(imageEnv).map(([name, value]) => `${name}=${value}`).join(" ")
      }), the runtime's KubeClient with maxConnections as given and idleMs ${idleMs}`,
      `${rounds} rounds of ${burst} lists of kube-system's ConfigMaps at once over TLS to the local control plane; V8's garbage collected before each reading`,
      "malloc main arena = the Rss of the [heap] mapping in /proc/self/smaps; sockets open = the process's socket file descriptors",
    ],
  });
}
