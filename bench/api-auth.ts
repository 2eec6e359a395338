// What --api-auth=kubernetes adds to an authorized unary call (DatabaseService.GetDatabases
// over gRPC, one call at a time), against --api-auth=none: with the review cache (the token's
// TokenReview and the call's SubjectAccessReview answered from memory after the first call)
// and without it (--api-auth-cache-ttl=0: both reviews go to the API server on every call).
// The controller runs under its ServiceAccount on the local control plane.
//
//   node bench/api-auth.ts [calls]        (TEST_KUBECONFIG=path reuses a running cluster)
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DatabaseService } from "../gen/atomix/database/database_pb.ts";
import { startControlPlane as startCluster } from "../runtime/control-plane.ts";
import { kubectl, kubectlOrThrow } from "../test/support/kubectl.ts";
import { type SampleProcess, startSample } from "../test/support/sample.ts";
import { serviceAccountKubeconfig } from "../test/support/service-account.ts";
import { writeReport } from "./report.ts";

const calls = Number(process.argv[2] ?? 1000);
const warmup = 50;
const root = join(import.meta.dirname, "..");
const cluster = process.env.TEST_KUBECONFIG ? undefined : await startCluster({ log: (line) => console.error(line) });
const admin = process.env.TEST_KUBECONFIG ?? cluster!.kubeconfig;
process.env.KUBECONFIG_FOR_TESTS = admin;
const namespace = `bench-auth-${Date.now().toString(36)}`;
const k = (...args: string[]) => kubectlOrThrow(admin, args);

const created = await kubectl(admin, ["create", "-f", join(root, "deploy", "atomix-controller.yaml")]);
if (created.code !== 0 && !created.stderr.includes("AlreadyExists")) throw new Error(created.stderr);
await k("create", "namespace", namespace);
await k("create", "serviceaccount", "caller", "-n", namespace);
await k("create", "role", "database-reader", "-n", namespace, "--verb=list", "--resource=databases.cloud.atomix.io");
await k(
  "create",
  "rolebinding",
  "database-reader",
  "-n",
  namespace,
  "--role=database-reader",
  `--serviceaccount=${namespace}:caller`,
);
const token = (await k("create", "token", "caller", "-n", namespace)).trim();
const kubeconfig = await serviceAccountKubeconfig("atomix-controller", "kube-system");

const modes: Array<[string, string[]]> = [
  ["--api-auth=none", ["--api-auth=none"]],
  ["kubernetes, cached reviews", ["--api-auth=kubernetes"]],
  ["kubernetes, uncached (--api-auth-cache-ttl=0)", ["--api-auth=kubernetes", "--api-auth-cache-ttl=0"]],
];

async function measure(controller: SampleProcess): Promise<number[]> {
  const client = createClient(DatabaseService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${controller.port}` }));
  const headers = { authorization: `Bearer ${token}` };
  for (let n = 0; n < warmup; n++) await client.getDatabases({ namespace }, { headers });
  const latencies: number[] = [];
  for (let n = 0; n < calls; n++) {
    const start = performance.now();
    await client.getDatabases({ namespace }, { headers });
    latencies.push(performance.now() - start);
  }
  return latencies.sort((a, b) => a - b);
}

const at = (sorted: number[], quantile: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * quantile))]!;
const rows: Array<Record<string, string | number>> = [];
let baseline: number | undefined;
try {
  for (const [mode, args] of modes) {
    const controller = await startSample({
      script: join(root, "main.ts"),
      identity: "bench-auth",
      kubeconfig,
      args: ["--leader-elect=false", "--log-level=info", ...args],
    });
    try {
      const latencies = await measure(controller);
      const p50 = at(latencies, 0.5);
      baseline ??= p50;
      rows.push({
        mode,
        calls,
        "p50 ms": p50.toFixed(3),
        "p90 ms": at(latencies, 0.9).toFixed(3),
        "p99 ms": at(latencies, 0.99).toFixed(3),
        "mean ms": (latencies.reduce((a, b) => a + b, 0) / latencies.length).toFixed(3),
        "added p50 ms": (p50 - baseline).toFixed(3),
      });
    } finally {
      await controller.stop();
    }
  }
} finally {
  await k("delete", "namespace", namespace, "--wait=false");
  await cluster?.stop();
}

writeReport({
  name: "api-auth",
  command: `node bench/api-auth.ts ${calls}`,
  rows,
  notes: [
    "one gRPC unary call at a time (Connect-ES gRPC transport, one HTTP/2 connection) after a warm-up of 50 calls",
    "the caller is a ServiceAccount whose Role allows list databases in its namespace; the controller runs under its own ServiceAccount",
    "cached: the TokenReview (by token hash) and the SubjectAccessReview (by token hash and request attributes) are kept 10 s; uncached: both are asked of the API server (the local control plane, TLS on loopback) for every call",
  ],
});
