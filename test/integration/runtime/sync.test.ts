// The runtime with the sample controller, as a process against the real control plane:
// children, pruning, status, failures, requeue, finalizers, related objects and filters.
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds } from "../../../runtime/kube/kinds.ts";
import type { KubeObject } from "../../../runtime/kube/objects.ts";
import { type Widget, WidgetKind } from "../../sample/widget.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";

const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite("runtime: sync");
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let sample: SampleProcess;

type Condition = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string };
type Status = { observedGeneration?: number; configMaps?: number; message?: string; conditions?: Condition[] };

const ns = () => namespace.name;
const widget = (name: string) => client.get<Widget & { status?: Status }>(WidgetKind, ns(), name);
const create = (name: string, spec: Record<string, unknown>) =>
  client.create<Widget>(WidgetKind, {
    apiVersion: WidgetKind.apiVersion,
    kind: "Widget",
    metadata: { name, namespace: ns() },
    spec,
  });
const patch = (name: string, spec: Record<string, unknown>) => client.patch(WidgetKind, ns(), name, { spec });
const configMaps = async (name: string) =>
  (await client.list(builtinKinds.ConfigMap, { namespace: ns(), labelSelector: `widget=${name}` })).items.sort((a, b) =>
    a.metadata.name.localeCompare(b.metadata.name)
  );
const ready = (status: Status | undefined) => status?.conditions?.find((c) => c.type === "Ready");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** After 1 s to settle, the syncs these controllers run in the next 3 s. */
async function settledSyncs(controllers: string[]): Promise<number> {
  const total = async () => {
    let sum = 0;
    for (const controller of controllers) {
      sum += await sample.metric("controller_runtime_reconcile_total", { controller });
    }
    return sum;
  };
  await sleep(1_000);
  const before = await total();
  await sleep(3_000);
  return (await total()) - before;
}

test.before(async () => {
  namespace = await freshNamespace(config, "runtime-sync");
  await installWidgetCrd(config);
  sample = await startSample({ namespace: ns(), identity: "sample-sync" });
  await eventually("the sample to lead", async () => (await sample.readyz()).leader);
});

test.after(async () => {
  await sample?.stop();
  await namespace.remove();
});

test("each controller runs the workers it declares, the others the program's --concurrency", async () => {
  const workers = (controller: string) => sample.metric("controller_runtime_max_concurrent_reconciles", { controller });
  assert.is(await workers("widget-notes"), 2, "declared concurrency: 2");
  assert.is(await workers("widgets"), 4, "the default --concurrency");
  const started = sample.logs.filter((line) => line.includes('"msg":"controller started"'));
  assert.ok(started.some((line) => line.includes('"controller":"widget-notes"') && line.includes('"workers":2')));
});

test("children are created with the controller owner reference, and status carries observedGeneration", async () => {
  const parent = await create("alpha", { replicas: 3, message: "one" });
  const children = await eventually("3 ConfigMaps", async () => {
    const found = await configMaps("alpha");
    return found.length === 3 ? found : undefined;
  });
  assert.equal(children.map((c) => c.metadata.name), ["alpha-0", "alpha-1", "alpha-2"]);
  for (const child of children) {
    assert.equal(child.metadata.ownerReferences, [
      {
        apiVersion: WidgetKind.apiVersion,
        kind: "Widget",
        name: "alpha",
        uid: parent.metadata.uid!,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.is(child.metadata.labels?.["app.kubernetes.io/managed-by"], "widgets");
    assert.is((child.data as Record<string, string>).message, "one");
    const managers = (child.metadata.managedFields as Array<{ manager: string; operation: string }>).map((m) =>
      `${m.manager}/${m.operation}`
    );
    assert.ok(
      managers.includes("sample-controller/Apply"),
      `written by server-side apply as sample-controller (got ${managers})`,
    );
  }
  const status = await eventually("status with 3 config maps", async () => {
    const current = await widget("alpha");
    return current.status?.configMaps === 3 ? current : undefined;
  });
  assert.is(status.status?.observedGeneration, status.metadata.generation);
  assert.is(ready(status.status)?.status, "True");
  assert.ok(ready(status.status)?.lastTransitionTime, "the runtime stamps lastTransitionTime");
});

test("children are updated when the parent changes, and pruned when no longer desired", async () => {
  await patch("alpha", { message: "two" });
  await eventually("every ConfigMap to carry the new message", async () => {
    const found = await configMaps("alpha");
    return found.length === 3 && found.every((c) => (c.data as Record<string, string>).message === "two");
  });
  await patch("alpha", { replicas: 1 });
  const left = await eventually("the extra ConfigMaps to be deleted", async () => {
    const found = await configMaps("alpha");
    return found.length === 1 ? found : undefined;
  });
  assert.is(left[0]!.metadata.name, "alpha-0");
  const current = await eventually("observedGeneration to follow", async () => {
    const w = await widget("alpha");
    return w.status?.observedGeneration === w.metadata.generation && w.status?.configMaps === 1 ? w : undefined;
  });
  assert.is(current.status?.message, "two");
});

test("a throwing function gets Ready=False, a Warning Event and backoff, and recovers when fixed", async () => {
  const retriesBefore = await sample.metric("workqueue_retries_total", { name: "widgets" });
  await create("broken", { replicas: 1, fail: true });
  const failed = await eventually("Ready=False with reason SyncFailed", async () => {
    const w = await widget("broken");
    const condition = ready(w.status);
    return condition?.status === "False" && condition.reason === "SyncFailed" ? condition : undefined;
  });
  assert.match(failed.message ?? "", "spec.fail is set; clear it to recover");
  const events = await eventually("a Warning Event about the failure", async () => {
    const list = await client.list(builtinKinds.Event, { namespace: ns() });
    const found = list.items.filter((e) =>
      (e.regarding as { name: string }).name === "broken" && e.reason === "SyncFailed"
    );
    return found.length ? found : undefined;
  });
  assert.is(events[0]!.type, "Warning");
  assert.is(events[0]!.reportingController, "sample-controller");
  await eventually(
    "retries with backoff",
    async () => (await sample.metric("workqueue_retries_total", { name: "widgets" })) >= retriesBefore + 3,
  );
  assert.equal(await configMaps("broken"), [], "nothing is written while the function fails");

  await patch("broken", { fail: false });
  const recovered = await eventually("Ready=True after the fix", async () => {
    const w = await widget("broken");
    return ready(w.status)?.status === "True" ? w : undefined;
  });
  assert.is(ready(recovered.status)?.reason, "Synced");
  assert.is((await configMaps("broken")).length, 1);
});

test("an invalid response is refused with a condition that says what is wrong", async () => {
  await create("invalid", { invalid: true });
  const condition = await eventually("Ready=False with reason InvalidResponse", async () => {
    const c = ready((await widget("invalid")).status);
    return c?.reason === "InvalidResponse" ? c : undefined;
  });
  assert.match(condition.message ?? "", "Secret.v1, which controller widgets does not declare as a child");
  assert.is(condition.status, "False");
});

test("a child name held by another controller's object is reported, not taken, and the parent converges once it is gone", async () => {
  const owner = await client.create<KubeObject>(builtinKinds.ConfigMap, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "holder", namespace: ns() },
  });
  await client.create(builtinKinds.ConfigMap, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "taken-0",
      namespace: ns(),
      ownerReferences: [{
        apiVersion: "v1",
        kind: "ConfigMap",
        name: "holder",
        uid: owner.metadata.uid!,
        controller: true,
      }],
    },
    data: { mine: "yes" },
  });
  await create("taken", { replicas: 1 });
  const failed = await eventually("Ready=False naming the owner", async () => {
    const condition = ready((await widget("taken")).status);
    return condition?.status === "False" ? condition : undefined;
  });
  assert.is(failed.reason, "ApplyFailed");
  assert.match(failed.message ?? "", "ConfigMap taken-0 already exists and is controlled by ConfigMap holder");
  const untouched = await client.get(builtinKinds.ConfigMap, ns(), "taken-0");
  assert.equal(untouched.data, { mine: "yes" }, "the other controller's object is left as it was");
  assert.is(untouched.metadata.ownerReferences?.length, 1);

  // Retries back off from 5 ms, doubling: 5.5 s after the first failure the next retry is
  // due at about 10.2 s. Converging well before then shows the deletion itself woke the parent.
  await new Promise((resolve) => setTimeout(resolve, 5_500));
  await client.delete(builtinKinds.ConfigMap, ns(), "taken-0");
  const deleted = performance.now();
  await eventually("the parent to converge", async () => ready((await widget("taken")).status)?.status === "True", {
    timeoutMs: 20_000,
  });
  const waitedMs = performance.now() - deleted;
  assert.ok(
    waitedMs < 3_000,
    `converged ${waitedMs.toFixed(0)} ms after the deletion, as if by backoff rather than by the deletion`,
  );
  const child = await client.get(builtinKinds.ConfigMap, ns(), "taken-0");
  assert.is(child.metadata.ownerReferences?.[0]?.kind, "Widget", "the name now belongs to the Widget");
});

test("resyncAfterSeconds runs sync again with no change", async () => {
  await create("ticking", { resyncAfterSeconds: 1 });
  await eventually("the first sync", async () => (await widget("ticking")).status?.configMaps !== undefined);
  const before = await sample.metric("controller_runtime_reconcile_total", {
    controller: "widgets",
    result: "requeue_after",
  });
  await new Promise((resolve) => setTimeout(resolve, 4_500));
  const after = await sample.metric("controller_runtime_reconcile_total", {
    controller: "widgets",
    result: "requeue_after",
  });
  assert.ok(after - before >= 3, `expected at least 3 timed resyncs in 4.5 s, saw ${after - before}`);
  assert.ok(after - before <= 6, `expected no more than one resync a second, saw ${after - before}`);
  await patch("ticking", { resyncAfterSeconds: null });
});

test("finalize runs on delete: children go first, and the parent stays until finalized", async () => {
  await create("final", { replicas: 2, holdFinalizer: true });
  await eventually("2 ConfigMaps and the finalizer", async () => {
    const w = await widget("final");
    return (await configMaps("final")).length === 2 && w.metadata.finalizers?.includes("sample.runtime.test/widgets");
  });
  await client.delete(WidgetKind, ns(), "final");
  await eventually("finalize to delete the children", async () => (await configMaps("final")).length === 0);
  const held = await widget("final");
  assert.ok(held.metadata.deletionTimestamp, "the parent is being deleted");
  assert.ok(held.metadata.finalizers?.includes("sample.runtime.test/widgets"), "and is held by the finalizer");
  await patch("final", { holdFinalizer: false });
  await eventually("the parent to be gone", async () => {
    try {
      await widget("final");
      return false;
    } catch (error) {
      return (error as { status?: number }).status === 404;
    }
  });
});

test("a related object feeds sync, and its changes resync the parents that use it", async () => {
  const settings = (message: string): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings", namespace: ns() },
    data: { message },
  });
  await client.create(builtinKinds.ConfigMap, settings("from settings"));
  await create("related", { replicas: 2, settings: "settings", message: "unused" });
  await eventually("children built from the related ConfigMap", async () => {
    const found = await configMaps("related");
    return found.length === 2 && found.every((c) => (c.data as Record<string, string>).message === "from settings");
  });
  await client.patch(builtinKinds.ConfigMap, ns(), "settings", { data: { message: "changed settings" } });
  await eventually("children to follow the related change", async () => {
    const found = await configMaps("related");
    return found.length === 2 && found.every((c) => (c.data as Record<string, string>).message === "changed settings");
  });
});

test("a parent the filter rejects is left alone", async () => {
  await create("ignored", { replicas: 2, ignored: true });
  await create("control", { replicas: 1 });
  await eventually("the control widget to be synced", async () => (await configMaps("control")).length === 1);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(await configMaps("ignored"), []);
  assert.is((await widget("ignored")).status, undefined);
});

test("a parent the filter stops picking is finalized and let go; picked again, it is synced again", async () => {
  const finalizer = "sample.runtime.test/widgets";
  await create("opting", { replicas: 2 });
  await eventually(
    "children and the finalizer",
    async () =>
      (await configMaps("opting")).length === 2 && (await widget("opting")).metadata.finalizers?.includes(finalizer),
  );
  // Opt out: finalize runs (it answers no children), then the finalizer goes.
  await patch("opting", { replicas: 2, ignored: true });
  await eventually(
    "the children gone and the finalizer removed",
    async () =>
      (await configMaps("opting")).length === 0 &&
      !(await widget("opting")).metadata.finalizers?.includes(finalizer),
  );
  assert.is((await widget("opting")).metadata.deletionTimestamp, undefined, "the parent itself stays");
  // Opt in again.
  await patch("opting", { replicas: 2, ignored: false });
  await eventually(
    "children and the finalizer again",
    async () =>
      (await configMaps("opting")).length === 2 && (await widget("opting")).metadata.finalizers?.includes(finalizer),
  );
  // A parent deleted while the filter rejects it is not held by a finalizer nobody removes.
  await patch("opting", { replicas: 2, ignored: true });
  await client.delete(WidgetKind, ns(), "opting");
  await eventually(
    "the rejected parent to be gone",
    async () =>
      client.get(WidgetKind, ns(), "opting").then(
        () => false,
        (error) => (error as { status?: number }).status === 404,
      ),
  );
});

test("two controllers of one parent kind each own, see and prune only their own children", async () => {
  await create("shared", { replicas: 3, notes: "remember" });
  await eventually("3 widget ConfigMaps and the notes ConfigMap", async () => {
    const notes = await client.list(builtinKinds.ConfigMap, { namespace: ns(), labelSelector: "widget-notes=shared" });
    return (await configMaps("shared")).length === 3 && notes.items.length === 1;
  });
  const status = await eventually("both controllers' status fields", async () => {
    const w = await widget("shared");
    const s = w.status as Status & { notes?: string; noteMaps?: number };
    return s?.configMaps === 3 && s.noteMaps === 1 ? s : undefined;
  });
  assert.is(status.notes, "remember", "status fields of both controllers coexist");
  assert.is(ready(status)?.status, "True");
  await patch("shared", { replicas: 1 });
  await eventually("the widgets controller to prune its own", async () => (await configMaps("shared")).length === 1);
  const notes = await client.get(builtinKinds.ConfigMap, ns(), "shared-notes");
  assert.is(notes.metadata.labels?.["app.kubernetes.io/managed-by"], "widget-notes");
  assert.is((await widget("shared")).status && ((await widget("shared")).status as { noteMaps?: number }).noteMaps, 1);
});

test("a child's changes close together sync its parent once, after the controller's batch period", async () => {
  // widget-notes declares batchPeriodSeconds: 1; its child's five changes within 0.6 s make one sync.
  await create("batched", { replicas: 1, notes: "once" });
  await eventually("the notes ConfigMap counted in status", async () => {
    const s = (await widget("batched")).status as { noteMaps?: number } | undefined;
    return s?.noteMaps === 1;
  });
  const syncs = () => sample.metric("controller_runtime_reconcile_total", { controller: "widget-notes" });
  assert.is(await settledSyncs(["widget-notes"]), 0, "nothing else syncs widget-notes meanwhile");
  const before = await syncs();
  for (let touch = 1; touch <= 5; touch++) {
    await client.patch(builtinKinds.ConfigMap, ns(), "batched-notes", {
      metadata: { labels: { touch: String(touch) } },
    });
    await sleep(150);
  }
  await eventually("the batched sync", async () => (await syncs()) > before);
  // Longer than the batch period: a second batch, had the changes made one, would have synced by now.
  await sleep(1_500);
  assert.is((await syncs()) - before, 1, "one sync for five changes");
  const notes = await client.get(builtinKinds.ConfigMap, ns(), "batched-notes");
  assert.is(notes.metadata.labels?.touch, "5", "the changes themselves stand");
});

test("when one of two controllers of a parent fails, its Ready=False stands, the other does not fight it, and it clears on recovery", async () => {
  await create("split", { replicas: 1, notes: "fail" });
  const failed = await eventually("Ready=False from widget-notes", async () => {
    const condition = ready((await widget("split")).status);
    return condition?.status === "False" ? condition : undefined;
  });
  assert.is(failed.reason, "SyncFailed");
  assert.match(failed.message ?? "", /^widget-notes: sync threw: spec.notes is "fail"/);
  await eventually("the widgets controller's own work done", async () => (await configMaps("split")).length === 1);

  // No tug of war over the condition: with both controllers settled, the widgets controller
  // syncs this parent a bounded number of times (widget-notes keeps failing, backing off).
  const during = await settledSyncs(["widgets"]);
  assert.ok(during <= 5, `the widgets controller ran ${during} syncs in 3 s while its sibling was failing`);
  const still = ready((await widget("split")).status);
  assert.is(still?.status, "False", "the failure still shows");
  assert.match(still?.message ?? "", /^widget-notes: /);

  // The healthy controller writes its status meanwhile, carrying the sibling's failure along.
  await patch("split", { replicas: 2 });
  const carried = await eventually("the widgets controller's new status", async () => {
    const w = await widget("split");
    return (w.status as Status | undefined)?.configMaps === 2 ? w : undefined;
  });
  assert.match(ready(carried.status)?.message ?? "", /^widget-notes: /, "the failure was kept in that write");

  await patch("split", { notes: "fixed" });
  const recovered = await eventually("Ready=True once widget-notes succeeds", async () => {
    const w = await widget("split");
    return ready(w.status)?.status === "True" && (w.status as { notes?: string }).notes === "fixed" ? w : undefined;
  });
  assert.is(ready(recovered.status)?.reason, "Synced", "the widgets controller's condition is back");
});

test("a controller that stops handling a parent (its filter now rejects it) takes its failure back", async () => {
  await create("dropped", { replicas: 1, notes: "fail" });
  await eventually(
    "Ready=False from widget-notes",
    async () => ready((await widget("dropped")).status)?.message?.startsWith("widget-notes: "),
  );
  const failure = ready((await widget("dropped")).status)!;
  await client.patch(WidgetKind, ns(), "dropped", { spec: { notes: null } });
  const condition = await eventually("Ready=True", async () => {
    const c = ready((await widget("dropped")).status);
    return c?.status === "True" ? c : undefined;
  });
  assert.is(condition.reason, "Synced");
  // A sibling's status write that raced the removal can carry the failure back: the controller
  // that recorded it, though it no longer handles the parent, takes it back again.
  const current = await widget("dropped");
  const conditions = (current.status?.conditions ?? []).filter((c) => c.type !== "Ready");
  await client.patch(
    WidgetKind,
    ns(),
    "dropped",
    { status: { conditions: [...conditions, failure] } },
    "merge",
    "status",
  );
  const again = await eventually("Ready=True once more", async () => {
    const c = ready((await widget("dropped")).status);
    return c?.status === "True" ? c : undefined;
  });
  assert.is(again.reason, "Synced");
});

test("two failing controllers of one parent do not take turns rewriting Ready", async () => {
  await create("both", { replicas: 1, notes: "fail", fail: true });
  const first = await eventually("Ready=False", async () => {
    const c = ready((await widget("both")).status);
    return c?.status === "False" ? c : undefined;
  });
  const during = await settledSyncs(["widgets", "widget-notes"]);
  assert.ok(during <= 8, `${during} syncs in 3 s by two controllers that are both failing and backing off`);
  const later = ready((await widget("both")).status);
  assert.is(later?.message, first.message, "the first failure recorded still stands");
  await patch("both", { fail: false, notes: "ok" });
  await eventually("Ready=True once both recover", async () => ready((await widget("both")).status)?.status === "True");
});

test("health, readiness and metrics are served; dropped connections do not hurt", async () => {
  assert.is(await (await sample.get("/healthz")).text(), "ok");
  const readiness = await sample.readyz();
  assert.equal({ ready: readiness.ready, leader: readiness.leader, leaderIdentity: readiness.leaderIdentity }, {
    ready: true,
    leader: true,
    leaderIdentity: "sample-sync",
  });
  const metrics = await (await sample.get("/metrics")).text();
  for (
    const name of [
      "controller_runtime_reconcile_total",
      "controller_runtime_reconcile_errors_total",
      "controller_runtime_reconcile_time_seconds",
      "controller_runtime_active_workers",
      "workqueue_depth",
      "workqueue_adds_total",
      "workqueue_queue_duration_seconds",
      "workqueue_work_duration_seconds",
      "workqueue_retries_total",
      "leader_election_master_status",
      "controller_runtime_event_to_apply_seconds",
    ]
  ) {
    assert.ok(metrics.includes(`# TYPE ${name} `), `metric ${name} is exported`);
  }
  assert.ok((await sample.metric("controller_runtime_event_to_apply_seconds_count", { controller: "widgets" })) > 0);
  assert.is(await sample.metric("leader_election_master_status", { name: "sample-controller" }), 1);
  // The cache follows the API server (a Widget deleted by an earlier test may still be on its way out).
  const cached = await eventually("the cache to hold every Widget", async () => {
    const widgets = (await client.list(WidgetKind, { namespace: ns() })).items.length;
    const cached = await sample.metric("informer_cached_objects", { kind: "Widget", group: "sample.runtime.test" });
    return cached === widgets ? cached : undefined;
  });
  assert.ok(cached > 0);
  assert.ok((await sample.metric("process_resident_memory_bytes")) > 10 * 2 ** 20, "resident memory is reported");
  assert.ok((await sample.metric("nodejs_heap_size_used_bytes")) > 0, "heap use is reported");
  assert.ok((await sample.metric("process_cpu_seconds_total")) > 0, "CPU time is reported");

  const { connect } = await import("node:net");
  for (const payload of ["PRI * HTTP/2.0\r\n", "GET /healthz HTTP/1.1\r\nHost: x\r\n", "\x00\x01garbage"]) {
    await new Promise<void>((resolve) => {
      const socket = connect(sample.port, "127.0.0.1", () => {
        socket.write(payload);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 20);
      });
      socket.on("error", () => resolve());
    });
  }
  assert.is(await (await sample.get("/healthz")).text(), "ok", "still serving after dropped connections");
  assert.is(sample.process.exitCode, null, "the process is alive");
});

test.run();
