// The local control plane for the side-by-side bench: the runtime's control plane's, with the client rate
// limits of kube-controller-manager (20 QPS, burst 30) and kube-scheduler (50 QPS, burst 100)
// lifted as kwokctl's --disable-qps-limits does (5000 QPS, burst 10000). With the defaults the
// StatefulSet controller, which creates every pod, bounds every side alike and the bench would
// measure kube-controller-manager; lifted, what remains is the API server and the controller
// under test. Each of the two components is restarted, by the PID the control plane recorded, with
// the flags it was started with plus these.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { isNotFound, KubeClient, loadKubeConfig } from "../../runtime/run.ts";
import { eventually } from "../../runtime/testing.ts";
import { builtinKinds, type KubeObject } from "../../runtime/mod.ts";
import {
  alive,
  type ControlPlane as Cluster,
  fakeNodeName,
  startControlPlane as startCluster,
} from "../../runtime/control-plane.ts";

export const liftedQpsFlags = ["--kube-api-qps=5000", "--kube-api-burst=10000"];
const relaunched = ["kube-controller-manager", "kube-scheduler"];
const stopGraceMs = 10_000;
const settleMs = 3_000;

/**
 * the runtime's control plane's one fake node takes 1000 pods; N=500 groups of 3 × 3 replicas need 4500. The
 * bench adds fake nodes shaped like it (kwok manages every Node annotated kwok.x-k8s.io/node=fake)
 * until this many are there.
 */
export const fakeNodes = 6;

export interface BenchCluster {
  cluster: Cluster;
  /** The components restarted with lifted rate limits, with their command lines. */
  relaunched: Array<{ name: string; args: string[] }>;
  stop(): Promise<void>;
}

export async function startBenchCluster(log: (line: string) => void): Promise<BenchCluster> {
  const cluster = await startCluster({ log });
  const children: Array<{ name: string; child: ChildProcess }> = [];
  const records: BenchCluster["relaunched"] = [];
  const stopChildren = async () => {
    await Promise.all(children.map(({ child }) => stopChild(child)));
  };
  try {
    for (const name of relaunched) {
      const pid = cluster.pid(name);
      if (!pid) throw new Error(`the local cluster runs no ${name}`);
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      process.kill(pid, "SIGTERM");
      const deadline = Date.now() + stopGraceMs;
      while (alive(pid) && Date.now() < deadline) await sleep(100);
      if (alive(pid)) process.kill(pid, "SIGKILL");
      while (alive(pid)) await sleep(50);
      const command = [
        ...args.filter((arg) => !liftedQpsFlags.some((flag) => arg.startsWith(flag.split("=")[0]!))),
        ...liftedQpsFlags,
      ];
      const fd = openSync(cluster.logFile(name), "a");
      // As runtime/control-plane does: the component dies with this process even when that is killed outright.
      const [program, ...rest] = existsSync("/usr/bin/setpriv")
        ? ["/usr/bin/setpriv", "--pdeathsig", "SIGKILL", ...command]
        : command;
      const child = spawn(program!, rest, { cwd: cluster.dir, stdio: ["ignore", fd, fd] });
      closeSync(fd);
      children.push({ name, child });
      records.push({ name, args: command });
      log(`[bench] ${name} restarted with ${liftedQpsFlags.join(" ")} (pid ${child.pid})`);
    }
    await sleep(settleMs);
    for (const { name, child } of children) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${name} exited after its restart; see ${cluster.logFile(name)}`);
      }
    }
    await addFakeNodes(cluster, log);
  } catch (error) {
    await stopChildren();
    await cluster.stop();
    throw error;
  }
  return {
    cluster,
    relaunched: records,
    async stop() {
      await stopChildren();
      await cluster.stop();
    },
  };
}

async function addFakeNodes(cluster: Cluster, log: (line: string) => void): Promise<void> {
  const client = new KubeClient(await loadKubeConfig(cluster.kubeconfig));
  const template = await client.get(builtinKinds.Node, undefined, fakeNodeName);
  const names = Array.from({ length: fakeNodes - 1 }, (_, i) => `kwok-node-${i + 1}`);
  for (const name of names) {
    const node: KubeObject = {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: { ...template.metadata.labels, "kubernetes.io/hostname": name },
      },
      spec: {},
      status: {
        allocatable: (template.status as { allocatable: unknown }).allocatable,
        capacity: (template.status as { capacity: unknown }).capacity,
      },
    };
    await client.create(builtinKinds.Node, node);
  }
  const deadline = Date.now() + 60_000;
  const ready = async () => {
    const nodes = (await client.list(builtinKinds.Node)).items;
    return names.every((name) => {
      const node = nodes.find((n) => n.metadata.name === name);
      const conditions =
        (node?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
      return conditions.some((c) => c.type === "Ready" && c.status === "True") &&
        !((node?.spec as { taints?: unknown[] } | undefined)?.taints ?? []).length;
    });
  };
  while (!(await ready())) {
    if (Date.now() > deadline) {
      throw new Error(`the added fake nodes (${names.join(", ")}) did not become Ready without taints in 60 s`);
    }
    await sleep(250);
  }
  log(
    `[bench] ${fakeNodes} fake nodes of ${
      (template.status as { capacity: { pods: string } }).capacity.pods
    } pods each (added ${names.join(", ")})`,
  );
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), stopGraceMs);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Creates a namespace and waits (up to a minute) for its default ServiceAccount, which pods need. */
export async function makeNamespace(client: KubeClient, name: string): Promise<void> {
  await client.create(builtinKinds.Namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  await eventually(`ServiceAccount default in ${name}`, async () => {
    try {
      await client.get(builtinKinds.ServiceAccount, name, "default");
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }, { timeoutMs: 60_000 });
}

/** How long the benches wait for a namespace they delete to be gone, unless told otherwise. */
export const namespaceDeleteCapMs = 600_000;

/** Deletes a namespace and waits until it is gone (one being emptied keeps the control plane busy). */
export async function removeNamespace(client: KubeClient, name: string, timeoutMs: number): Promise<void> {
  await client.delete(builtinKinds.Namespace, undefined, name).catch((error) => {
    if (!isNotFound(error)) throw error;
  });
  await eventually(`namespace ${name} to be gone`, async () => {
    try {
      await client.get(builtinKinds.Namespace, undefined, name);
      return false;
    } catch (error) {
      if (isNotFound(error)) return true;
      throw error;
    }
  }, { timeoutMs });
}
