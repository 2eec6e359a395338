// The launcher itself: a second cluster starts beside the shared one, stops by PID and
// leaves nothing behind; a component that cannot start is named with its log and
// everything already started is torn down.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { alive, ComponentError, startCluster } from "../../../../runtime/control-plane/cluster.ts";

const components = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"];

/** PIDs of every process whose command line mentions the directory. */
function processesUsing(dir: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test("a second cluster runs beside the first, and stop() ends every process and removes its directory", async () => {
  const cluster = await startCluster({ log: () => undefined });
  const pids = components.map((name) => cluster.pid(name));
  assert.ok(pids.every((pid) => pid !== undefined && alive(pid)), "every component runs");
  assert.is.not(cluster.kubeconfig, process.env.KUBECONFIG_FOR_TESTS);
  await cluster.stop();
  assert.equal(pids.filter((pid) => alive(pid!)), []);
  assert.not.ok(existsSync(cluster.dir), "the working directory is removed");
  assert.equal(processesUsing(cluster.dir), []);
});

test("a port taken before kube-apiserver binds it fails start-up naming the component and its log, and tears down etcd", async () => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
  const port = (squatter.address() as AddressInfo).port;
  try {
    let failure: unknown;
    try {
      const cluster = await startCluster({ log: () => undefined, apiserverPort: port });
      await cluster.stop();
    } catch (error) {
      failure = error;
    }
    assert.instance(failure, ComponentError);
    const message = (failure as Error).message;
    assert.match(message, /^kube-apiserver exited/);
    assert.match(message, /kube-apiserver\.log/);
    assert.match(message, "address already in use");
    const dir = /its log is (\S+)\/kube-apiserver\.log/.exec(message)?.[1];
    assert.ok(dir, "the message names the log file");
    assert.not.ok(existsSync(dir!), "the working directory is removed");
    assert.equal(processesUsing(dir!), [], "etcd and everything else started is stopped");
  } finally {
    squatter.close();
  }
});

test.run();
