// Faults of the control plane under a running program, and SIGTERM in the states a program can
// be in. Two replicas of the sample controller converge many parents while etcd restarts, while
// kube-apiserver restarts, and across a pause of kube-apiserver (SIGSTOP) past the leader's renew
// deadline: every parent ends with exactly its children, nothing is duplicated, the replica that
// lost the Lease stops writing before another takes it, and neither process needs a restart.
// Then a program gets SIGTERM before its caches sync, while a command runs in a pod, and while a
// remote hook holds its call: each exits 0 within the drain bound. This file starts a control
// plane of its own, since it restarts and pauses its parts.
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { type Cluster, startCluster } from "../../../runtime/control-plane/cluster.ts";
import {
  defaultDrainTimeoutMs,
  defaultRenewDeadlineSeconds,
  defaultRetryPeriodSeconds,
} from "../../../runtime/defaults.ts";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds } from "../../../runtime/kube/kinds.ts";
import type { KubeObject } from "../../../runtime/kube/objects.ts";
import { WidgetKind } from "../../sample/widget.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { kubectlOrThrow } from "../../support/kubectl.ts";
import { installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";
import { suite } from "../../support/suite.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const test = suite("runtime: control plane faults and SIGTERM in every state");
let cluster: Cluster;
let client: KubeClient;
let ns: string;
const replicas: SampleProcess[] = [];
const others: SampleProcess[] = [];
/** A stop must take no longer than the drain bound plus room to write the last status and release the Lease. */
const stopBoundMs = defaultDrainTimeoutMs + 5_000;

const createWidgets = (names: string[], namespace = ns, spec: Record<string, unknown> = { replicas: 2 }) =>
  Promise.all(names.map((name) =>
    client.create(WidgetKind, {
      apiVersion: WidgetKind.apiVersion,
      kind: "Widget",
      metadata: { name, namespace },
      spec,
    })
  ));
const range = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

/** Each widget's ConfigMaps by name; and every ConfigMap whose owner is gone. */
async function childrenByWidget(): Promise<{ byWidget: Map<string, string[]>; orphans: string[] }> {
  const widgets = new Set((await client.list(WidgetKind, { namespace: ns })).items.map((w) => w.metadata.uid));
  const byWidget = new Map<string, string[]>();
  const orphans: string[] = [];
  for (const map of (await client.list(builtinKinds.ConfigMap, { namespace: ns, labelSelector: "widget" })).items) {
    const owner = map.metadata.ownerReferences?.[0];
    if (!owner || !widgets.has(owner.uid)) orphans.push(map.metadata.name);
    else byWidget.set(owner.name, [...(byWidget.get(owner.name) ?? []), map.metadata.name].sort());
  }
  return { byWidget, orphans };
}

/** Waits until every named widget has exactly its two ConfigMaps; returns the milliseconds it took. */
async function converged(names: string[], since: number): Promise<number> {
  await eventually(`${names.length} widgets to have exactly their children`, async () => {
    const { byWidget, orphans } = await childrenByWidget();
    return orphans.length === 0 &&
      names.every((name) => byWidget.get(name)?.join(",") === `${name}-0,${name}-1`);
  }, { timeoutMs: 120_000 });
  return Math.round(performance.now() - since);
}

const alive = () => replicas.every((replica) => replica.process.exitCode === null && !replica.process.signalCode);
const leaderOf = async () => {
  for (const replica of replicas) if ((await replica.readyz()).leader) return replica;
  return undefined;
};

/** The time of the first log line with this message, at or after `after` (ms since the epoch). */
function loggedAt(replica: SampleProcess, message: string, after: number): number | undefined {
  for (const line of replica.logs) {
    try {
      const entry = JSON.parse(line) as { msg?: string; time?: string };
      const at = Date.parse(entry.time ?? "");
      if (entry.msg === message && at >= after) return at;
    } catch {
      // not JSON
    }
  }
  return undefined;
}

/** Sends SIGTERM and resolves with the exit code and how long the process took to go. */
async function timedStop(program: SampleProcess): Promise<{ code: number | string; ms: number }> {
  const started = performance.now();
  const code = await program.stop("SIGTERM");
  return { code, ms: Math.round(performance.now() - started) };
}

test.before(async () => {
  cluster = await startCluster({ log: () => undefined });
  const config = testKubeConfig(cluster.kubeconfig);
  client = new KubeClient(config);
  ns = (await freshNamespace(config, "faults")).name;
  await installWidgetCrd(config);
  for (const identity of ["a", "b"]) {
    replicas.push(await startSample({ namespace: ns, identity, kubeconfig: cluster.kubeconfig }));
  }
  await eventually("one replica to lead", leaderOf);
});

test.after(async () => {
  for (const program of [...replicas, ...others]) await program.stop("SIGKILL");
  await cluster?.stop();
});

test("etcd restarted during convergence: every parent converges once, both replicas keep running", async () => {
  const first = range("etcd", 30);
  const started = performance.now();
  const creating = createWidgets(first);
  await cluster.restart("etcd");
  await creating.catch(() => undefined);
  // Whatever the API server refused while etcd was down is created now.
  const existing = new Set((await client.list(WidgetKind, { namespace: ns })).items.map((w) => w.metadata.name));
  await createWidgets(first.filter((name) => !existing.has(name)));
  const more = range("after-etcd", 10);
  await createWidgets(more);
  const ms = await converged([...first, ...more], started);
  console.error(`[faults] etcd restart: 40 widgets converged in ${ms} ms`);
  assert.ok(alive(), "no replica exited");
});

test("kube-apiserver restarted during convergence: every parent converges once", async () => {
  const names = range("apiserver", 30);
  const started = performance.now();
  await createWidgets(names);
  await cluster.restart("kube-apiserver");
  const more = range("after-apiserver", 10);
  await createWidgets(more);
  const ms = await converged([...names, ...more], started);
  console.error(`[faults] kube-apiserver restart: 40 widgets converged in ${ms} ms`);
  assert.ok(alive(), "no replica exited");
});

test("kube-apiserver paused past the renew deadline: the old leader stops before a new one starts", async () => {
  const before = await eventually("a leader", leaderOf);
  // Pause right after a renewal, so the leader has its whole renew deadline ahead of it.
  const renewTime = async () =>
    ((await client.get(builtinKinds.Lease, ns, "sample-controller")).spec as { renewTime?: string }).renewTime;
  const last = await renewTime();
  await eventually("the leader to renew", async () => (await renewTime()) !== last, { intervalMs: 50 });
  const pid = cluster.pid("kube-apiserver")!;
  const pausedAt = Date.now();
  process.kill(pid, "SIGSTOP");
  try {
    // Past the renew deadline, by the replicas' own clocks: the leader must have stopped writing.
    await eventually(
      "the leader to give up its writes",
      () => loggedAt(before, "lost the lease: could not renew before the deadline", pausedAt),
      {
        timeoutMs: (defaultRenewDeadlineSeconds + 10) * 1000,
      },
    );
  } finally {
    process.kill(pid, "SIGCONT");
  }
  const lostAt = loggedAt(before, "lost the lease: could not renew before the deadline", pausedAt)!;
  // It kept the Lease as long as it could: the deadline runs from its last renewal, at most one
  // retry period (2 s) before the pause.
  assert.ok(
    lostAt - pausedAt >= (defaultRenewDeadlineSeconds - defaultRetryPeriodSeconds - 1) * 1000,
    `the leader stepped down ${lostAt - pausedAt} ms into the pause, before its renew deadline`,
  );
  const resumedAt = Date.now();
  const names = range("after-pause", 10);
  const started = performance.now();
  await createWidgets(names);
  const after = await eventually("a leader after the pause", leaderOf, { timeoutMs: 60_000 });
  const becameAt = replicas.map((replica) => loggedAt(replica, "became the leader", pausedAt)).filter((at) =>
    at !== undefined
  ) as number[];
  for (const at of becameAt) {
    assert.ok(at > lostAt, `a replica led again (${at}) only after the old leader stopped (${lostAt})`);
  }
  const ms = await converged(names, started);
  console.error(
    `[faults] kube-apiserver paused ${resumedAt - pausedAt} ms: leader ${before.identity} stopped ${
      lostAt - pausedAt
    } ms into the pause; ${after.identity} leads; 10 widgets converged ${ms} ms after the resume`,
  );
  assert.ok(alive(), "no replica exited");
  const { byWidget, orphans } = await childrenByWidget();
  assert.equal(orphans, []);
  for (const [name, maps] of byWidget) assert.is(maps.length, 2, `${name} has exactly 2 ConfigMaps`);
});

test("SIGTERM before the caches sync: exits 0 at once", async () => {
  const pid = cluster.pid("kube-apiserver")!;
  process.kill(pid, "SIGSTOP");
  try {
    const program = await startSample({
      namespace: ns,
      identity: "unsynced",
      kubeconfig: cluster.kubeconfig,
      args: ["--leader-elect=false"],
    });
    others.push(program);
    assert.ok(!program.logs.some((line) => line.includes('"caches synced"')), "the caches have not synced");
    const { code, ms } = await timedStop(program);
    console.error(`[faults] SIGTERM before caches synced: exit ${code} in ${ms} ms`);
    assert.is(code, 0);
    assert.ok(ms < stopBoundMs, `stopped in ${ms} ms`);
  } finally {
    process.kill(pid, "SIGCONT");
  }
});

test("every product: SIGTERM before its caches sync exits 0 within the bound", async () => {
  const products = [
    "main.ts",
    "functions/atomix-operator/main.ts",
    "functions/rss-operator/main.ts",
    "functions/metacontroller/main.ts",
  ];
  const pid = cluster.pid("kube-apiserver")!;
  process.kill(pid, "SIGSTOP");
  try {
    for (const script of products) {
      const program = await startSample({
        script: join(root, script),
        identity: `unsynced-${script.split("/").at(-2) ?? "atomix-controller"}`,
        kubeconfig: cluster.kubeconfig,
        args: ["--leader-elect=false"],
      });
      others.push(program);
      const { code, ms } = await timedStop(program);
      console.error(`[faults] ${script}: SIGTERM before caches synced: exit ${code} in ${ms} ms`);
      assert.is(code, 0, script);
      assert.ok(ms < stopBoundMs, `${script} stopped in ${ms} ms`);
    }
  } finally {
    process.kill(pid, "SIGCONT");
  }
});

test("SIGTERM while a command runs in a pod: the command is abandoned and the program exits 0", async () => {
  const config = testKubeConfig(cluster.kubeconfig);
  const namespace = await freshNamespace(config, "faults-exec");
  await kubectlOrThrow(cluster.kubeconfig, [
    "apply",
    "-n",
    namespace.name,
    "-f",
    "-",
  ], `apiVersion: v1\nkind: Pod\nmetadata: {name: target}\nspec:\n  containers:\n  - {name: main, image: busybox}\n`);
  await kubectlOrThrow(cluster.kubeconfig, [
    "wait",
    "-n",
    namespace.name,
    "--for=condition=Ready",
    "pod/target",
    "--timeout=60s",
  ]);
  const program = await startSample({
    script: join(root, "test", "sample", "traced.ts"),
    namespace: namespace.name,
    identity: "exec",
    kubeconfig: cluster.kubeconfig,
  });
  others.push(program);
  await createWidgets(["slow"], namespace.name, { message: "slow", notes: "target" });
  // kwok runs the command on this machine.
  const running = () => {
    try {
      return execFileSync("pgrep", ["-f", "sleep 61.5"], { encoding: "utf8" }).trim();
    } catch {
      return "";
    }
  };
  await eventually("the command to run", running);
  const { code, ms } = await timedStop(program);
  console.error(`[faults] SIGTERM while a command ran in a pod: exit ${code} in ${ms} ms`);
  assert.is(code, 0);
  assert.ok(ms < stopBoundMs, `stopped in ${ms} ms`);
  await namespace.remove();
});

test("SIGTERM while a remote hook holds the call: the program exits 0 within the drain bound", async () => {
  const held: Array<() => void> = [];
  const hook: Server = createServer((request) => {
    held.push(() => request.socket.destroy());
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
  const port = (hook.address() as { port: number }).port;
  const config = testKubeConfig(cluster.kubeconfig);
  const namespace = await freshNamespace(config, "faults-hook");
  try {
    const program = await startSample({
      script: join(root, "test", "sample", "traced.ts"),
      namespace: namespace.name,
      identity: "hook",
      kubeconfig: cluster.kubeconfig,
      env: { SAMPLE_HOOKS_URL: `http://127.0.0.1:${port}/` },
    });
    others.push(program);
    await createWidgets(["held"], namespace.name, { message: "hi" });
    await eventually("the hook to be called", () => held.length > 0);
    const { code, ms } = await timedStop(program);
    console.error(`[faults] SIGTERM while a hook held the call: exit ${code} in ${ms} ms`);
    assert.is(code, 0);
    assert.ok(ms < stopBoundMs, `stopped in ${ms} ms`);
  } finally {
    for (const release of held) release();
    await new Promise((resolve) => hook.close(resolve));
    await namespace.remove();
  }
});

test.run();
