// Two and three runtime processes against one cluster: only the Lease holder writes;
// SIGTERM hands over in under 2 s; SIGKILL within the lease duration plus the retry period.
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds } from "../../../runtime/kube/kinds.ts";
import {
  defaultLeaseDurationSeconds,
  defaultRenewDeadlineSeconds,
  defaultRetryPeriodSeconds,
} from "../../../runtime/defaults.ts";
import { WidgetKind } from "../../sample/widget.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";

const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite("runtime: leader election");
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
const processes: SampleProcess[] = [];
let leader: SampleProcess;
let follower: SampleProcess;

const ns = () => namespace.name;
const holder = async () =>
  ((await client.get(builtinKinds.Lease, ns(), "sample-controller")).spec as { holderIdentity?: string })
    .holderIdentity;
const createWidget = (name: string) =>
  client.create(WidgetKind, {
    apiVersion: WidgetKind.apiVersion,
    kind: "Widget",
    metadata: { name, namespace: ns() },
    spec: { replicas: 2 },
  });
const childCount = async (name: string) =>
  (await client.list(builtinKinds.ConfigMap, { namespace: ns(), labelSelector: `widget=${name}` })).items.length;

/** Polls readiness until `candidate` leads; returns the milliseconds since `since`. */
async function waitUntilLeads(candidate: SampleProcess, since: number, timeoutMs: number): Promise<number> {
  while (performance.now() - since < timeoutMs) {
    try {
      if ((await candidate.readyz()).leader) return performance.now() - since;
    } catch {
      // not answering yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${candidate.identity} did not take over within ${timeoutMs} ms`);
}

test.before(async () => {
  namespace = await freshNamespace(config, "runtime-election");
  await installWidgetCrd(config);
  const a = await startSample({ namespace: ns(), identity: "replica-a" });
  processes.push(a);
  await eventually("replica-a to lead", async () => (await a.readyz()).leader);
  const b = await startSample({ namespace: ns(), identity: "replica-b" });
  processes.push(b);
  await eventually("replica-b to sync its caches", async () => (await b.readyz()).ready);
  [leader, follower] = [a, b];
});

test.after(async () => {
  await Promise.all(processes.map((p) => p.stop("SIGKILL")));
  await namespace.remove();
});

test("only the Lease holder writes", async () => {
  assert.is(await holder(), "replica-a");
  assert.is((await follower.readyz()).leader, false);
  assert.is((await follower.readyz()).leaderIdentity, "replica-a", "the follower knows who leads");
  await createWidget("one");
  await eventually("the leader to create the children", async () => (await childCount("one")) === 2);
  assert.ok((await leader.metric("rest_client_requests_total", { method: "PATCH" })) > 0, "the leader applied");
  for (const method of ["PATCH", "DELETE", "POST"]) {
    assert.is(await follower.metric("rest_client_requests_total", { method }), 0, `the follower sent no ${method}`);
  }
  assert.is(await follower.metric("leader_election_master_status", { name: "sample-controller" }), 0);
  assert.is(await leader.metric("leader_election_master_status", { name: "sample-controller" }), 1);
});

test("a healthy Lease is renewed quietly: no failed attempt, no lost Lease, over several renewals", async () => {
  const renewTime = async () =>
    ((await client.get(builtinKinds.Lease, ns(), "sample-controller")).spec as { renewTime?: string }).renewTime;
  // Three renewals in a row, each seen in the Lease.
  for (let renewal = 0; renewal < 3; renewal++) {
    const last = await renewTime();
    await eventually("the leader to renew", async () => (await renewTime()) !== last, { intervalMs: 100 });
  }
  for (const replica of [leader, follower]) {
    const troubled = replica.logs.filter((line) => /could not reach the Lease|lost the lease/.test(line));
    assert.equal(troubled, [], `${replica.identity} logged no trouble with a healthy Lease`);
  }
});

test("SIGTERM to the leader hands over in under 2 s", async () => {
  const signalled = performance.now();
  const exit = leader.stop("SIGTERM");
  const handOverMs = await waitUntilLeads(follower, signalled, 10_000);
  console.log(`   SIGTERM hand-over: ${handOverMs.toFixed(0)} ms`);
  assert.ok(handOverMs < 2_000, `hand-over took ${handOverMs.toFixed(0)} ms`);
  assert.is(await exit, 0, "the old leader exits cleanly");
  assert.is(await holder(), "replica-b");
  await createWidget("two");
  await eventually("the new leader to create the children", async () => (await childCount("two")) === 2);
  [leader, follower] = [follower, leader];
});

test("SIGKILL to the leader hands over within the lease duration plus the retry period", async () => {
  const c = await startSample({ namespace: ns(), identity: "replica-c" });
  processes.push(c);
  await eventually("replica-c to sync its caches", async () => (await c.readyz()).ready);
  // Let replica-c watch at least one renewal, as a follower that has been running would have.
  await new Promise((resolve) => setTimeout(resolve, (defaultRetryPeriodSeconds + 0.5) * 1000));
  const killed = performance.now();
  await leader.stop("SIGKILL");
  const bound = (defaultLeaseDurationSeconds + defaultRetryPeriodSeconds) * 1000;
  const handOverMs = await waitUntilLeads(c, killed, bound + 5_000);
  console.log(`   SIGKILL hand-over: ${handOverMs.toFixed(0)} ms`);
  assert.ok(handOverMs <= bound, `hand-over took ${handOverMs.toFixed(0)} ms, more than ${bound} ms`);
  assert.is(await holder(), "replica-c");
  await createWidget("three");
  await eventually("the newest leader to create the children", async () => (await childCount("three")) === 2);
  leader = c;
});

test("a leader paused past its renew deadline catches up on what changed while it was paused", async () => {
  // A long GC pause or a frozen VM: no other replica runs, so the Lease is still this
  // leader's when it wakes. Watch events reach it before its first renewal answers, while
  // it may not write; none of them may be lost.
  await createWidget("before-pause");
  await eventually("children before the pause", async () => (await childCount("before-pause")) === 2);
  leader.process.kill("SIGSTOP");
  try {
    await createWidget("during-pause");
    await client.patch(WidgetKind, ns(), "before-pause", { spec: { replicas: 3 } });
    await new Promise((resolve) => setTimeout(resolve, (defaultRenewDeadlineSeconds + 2) * 1000));
  } finally {
    leader.process.kill("SIGCONT");
  }
  await eventually(
    "children of the parent created during the pause",
    async () => (await childCount("during-pause")) === 2,
  );
  await eventually(
    "the parent changed during the pause to be resynced",
    async () => (await childCount("before-pause")) === 3,
  );
  assert.is(await holder(), leader.identity, "the paused leader still holds the Lease");
});

test.run();
