// The local control plane for the side-by-side bench: test/cluster's, with the client rate
// limits of kube-controller-manager (20 QPS, burst 30) and kube-scheduler (50 QPS, burst 100)
// lifted as kwokctl's --disable-qps-limits does (5000 QPS, burst 10000). With the defaults the
// StatefulSet controller, which creates every pod, bounds every side alike and the bench would
// measure kube-controller-manager; lifted, what remains is the API server and the controller
// under test. Each of the two components is restarted, by the PID test/cluster recorded, with
// the flags it was started with plus these.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { alive, startCluster, type Cluster } from "../../test/cluster/cluster.ts";

export const liftedQpsFlags = ["--kube-api-qps=5000", "--kube-api-burst=10000"];
const relaunched = ["kube-controller-manager", "kube-scheduler"];
const stopGraceMs = 10_000;
const settleMs = 3_000;

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
      const command = [...args.filter((arg) => !liftedQpsFlags.some((flag) => arg.startsWith(flag.split("=")[0]!))), ...liftedQpsFlags];
      const fd = openSync(cluster.logFile(name), "a");
      // As test/cluster does: the component dies with this process even when that is killed outright.
      const [program, ...rest] = existsSync("/usr/bin/setpriv") ? ["/usr/bin/setpriv", "--pdeathsig", "SIGKILL", ...command] : command;
      const child = spawn(program!, rest, { cwd: cluster.dir, stdio: ["ignore", fd, fd] });
      closeSync(fd);
      children.push({ name, child });
      records.push({ name, args: command });
      log(`[bench] ${name} restarted with ${liftedQpsFlags.join(" ")} (pid ${child.pid})`);
    }
    await sleep(settleMs);
    for (const { name, child } of children) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited after its restart; see ${cluster.logFile(name)}`);
    }
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
