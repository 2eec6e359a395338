// Status and failure rules as data: what a sync writes to its parent's status, with and
// without siblings (other controllers of the same parent kind), and the finalizer's steps.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { KubeObject } from "../../../../runtime/kube/objects.ts";
import { finalizerApply, finalizerStep } from "../../../../runtime/reconcile/finalizers.ts";
import { type Condition, stampConditions } from "../../../../runtime/reconcile/conditions.ts";
import { failureMessage, failureStatus, ownFailure, type Writer } from "../../../../runtime/reconcile/failures.ts";
import { nextStatus, statusToWrite } from "../../../../runtime/reconcile/status.ts";

const now = "2026-12-03T10:00:00Z";
const earlier = "2026-12-01T08:00:00Z";
const alone: Writer = { name: "widgets", siblings: [] };
const withSibling: Writer = { name: "widgets", siblings: ["notes"] };
const parentWith = (status: Record<string, unknown> | undefined, generation = 3): KubeObject => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name: "w", namespace: "ns", generation },
  ...(status ? { status } : {}),
});
const ready = (status: "True" | "False", extra: Partial<Condition> = {}): Condition => ({
  type: "Ready",
  status,
  ...extra,
});
const failure = (message: string, reason = "SyncFailed"): Condition =>
  ready("False", { reason, message, lastTransitionTime: earlier });

test("statusToWrite adds observedGeneration and stamps new conditions with now", () => {
  const status = statusToWrite(
    { replicas: 2, conditions: [ready("True", { reason: "Synced" })] },
    parentWith(undefined),
    now,
  );
  assert.equal(status, {
    replicas: 2,
    observedGeneration: 3,
    conditions: [{ type: "Ready", status: "True", reason: "Synced", observedGeneration: 3, lastTransitionTime: now }],
  });
});

const transitions: Array<[string, Condition | undefined, string, string]> = [
  ["no previous condition", undefined, "True", now],
  ["same status keeps its time", ready("True", { lastTransitionTime: earlier }), "True", earlier],
  ["a changed status takes now", ready("False", { lastTransitionTime: earlier }), "True", now],
  ["a previous condition without a time takes now", ready("True"), "True", now],
];
for (const [name, previous, status, expected] of transitions) {
  test(`stampConditions: ${name}`, () => {
    const [stamped] = stampConditions([ready(status as "True")], previous ? [previous] : [], now) as Condition[];
    assert.is(stamped!.lastTransitionTime, expected);
  });
}

test("a condition the function stamped itself is kept as it is", () => {
  const given = ready("True", { lastTransitionTime: "2020-01-01T00:00:00Z" });
  assert.equal(stampConditions([given], [], now), [given]);
});

test("nextStatus: unchanged status is not written", () => {
  const written = statusToWrite({ replicas: 2 }, parentWith(undefined), now);
  assert.equal(nextStatus(parentWith(written), { replicas: 2 }, alone, now), { kind: "none" });
  assert.equal(
    nextStatus(parentWith({ replicas: 1 }), undefined, alone, now),
    { kind: "none" },
    "no status answered: nothing to write",
  );
});

test("nextStatus: a changed status is written", () => {
  const step = nextStatus(parentWith({ replicas: 1, observedGeneration: 3 }), { replicas: 2 }, alone, now);
  assert.equal(step, { kind: "write", status: { replicas: 2, observedGeneration: 3 } });
});

test("nextStatus: a field the function no longer reports is written away; with siblings, their fields stay unwritten", () => {
  const parent = parentWith({ replicas: 2, groups: { a: 1 }, observedGeneration: 3 });
  assert.equal(nextStatus(parent, { replicas: 2 }, alone, now), {
    kind: "write",
    status: { replicas: 2, observedGeneration: 3 },
  });
  assert.equal(nextStatus(parent, { replicas: 2, groups: {} }, alone, now).kind, "write", "a nested field dropped");
  assert.equal(nextStatus(parent, { replicas: 2 }, withSibling, now), { kind: "none" }, "a sibling may own groups");
});

test("nextStatus: the runtime's failure is taken back first, by a patch guarded on its message", () => {
  const parent = parentWith({ conditions: [ready("True", { type: "Other" }), failure("sync threw: boom")] });
  assert.equal(nextStatus(parent, { replicas: 2 }, alone, now), {
    kind: "remove-failure",
    patch: [
      { op: "test", path: "/status/conditions/1/message", value: "sync threw: boom" },
      { op: "remove", path: "/status/conditions/1" },
    ],
  });
});

test("nextStatus: a function that reports the same failure reason itself keeps the condition", () => {
  const parent = parentWith({ conditions: [failure("invalid", "InvalidResponse")] });
  const step = nextStatus(
    parent,
    { conditions: [ready("False", { reason: "InvalidResponse", message: "mine" })] },
    alone,
    now,
  );
  assert.is(step.kind, "write");
});

test("siblings: a sibling's failure is not ours to take back, and stays in what we write", () => {
  const theirs = failure("notes: sync threw: boom");
  const parent = parentWith({ conditions: [theirs] });
  assert.is(ownFailure(parent, withSibling), undefined);
  const step = nextStatus(parent, { conditions: [ready("True", { reason: "Synced" })] }, withSibling, now);
  assert.equal(step, { kind: "write", status: { observedGeneration: 3, conditions: [theirs] } });
});

test("siblings: our own failure, named by our prefix, is ours", () => {
  const ours = failure("widgets: sync threw: boom");
  assert.is(ownFailure(parentWith({ conditions: [ours] }), withSibling), ours);
  assert.is(
    ownFailure(parentWith({ conditions: [ours] }), alone),
    ours,
    "without siblings every runtime failure is ours",
  );
  assert.is(
    ownFailure(parentWith({ conditions: [ready("False", { reason: "NotReady" })] }), alone),
    undefined,
    "a function's own Ready=False is not a runtime failure",
  );
});

test("failureMessage names the controller only when it has siblings, and is bounded", () => {
  assert.is(failureMessage(alone, "boom"), "boom");
  assert.is(failureMessage(withSibling, "boom"), "widgets: boom");
  assert.is(failureMessage(alone, "x".repeat(40_000)).length, 32_768);
});

test("failureStatus records Ready=False with reason, message and generation, keeping other conditions", () => {
  const other = ready("True", { type: "Available" });
  const status = failureStatus(
    parentWith({ replicas: 1, conditions: [other] }),
    "ApplyFailed",
    "applying ConfigMap a: forbidden",
    alone,
    now,
  );
  assert.equal(status, {
    replicas: 1,
    conditions: [other, {
      type: "Ready",
      status: "False",
      reason: "ApplyFailed",
      message: "applying ConfigMap a: forbidden",
      observedGeneration: 3,
      lastTransitionTime: now,
    }],
  });
});

test("failureStatus writes nothing when the same failure is there, or a sibling's failure stands", () => {
  assert.is(failureStatus(parentWith({ conditions: [failure("boom")] }), "SyncFailed", "boom", alone, now), undefined);
  assert.ok(
    failureStatus(parentWith({ conditions: [failure("boom")] }), "SyncFailed", "bang", alone, now),
    "a new message replaces our own",
  );
  const theirs = parentWith({ conditions: [failure("notes: boom")] });
  assert.is(failureStatus(theirs, "SyncFailed", "widgets: bang", withSibling, now), undefined);
});

const finalizer = "example.com/widgets";
const finalizerTable: Array<[string, Partial<KubeObject["metadata"]>, boolean, ReturnType<typeof finalizerStep>]> = [
  ["live parent, no finalize hook", {}, false, { hook: "sync", addFinalizer: false }],
  ["live parent, finalize hook, no finalizer yet", {}, true, { hook: "sync", addFinalizer: true }],
  ["live parent, finalize hook, finalizer set", { finalizers: [finalizer] }, true, {
    hook: "sync",
    addFinalizer: false,
  }],
  ["deleting parent with our finalizer", { deletionTimestamp: now, finalizers: [finalizer] }, true, {
    hook: "finalize",
    addFinalizer: false,
  }],
  ["deleting parent without our finalizer", { deletionTimestamp: now, finalizers: ["other/x"] }, true, {
    hook: undefined,
    addFinalizer: false,
  }],
  ["deleting parent, no finalize hook", { deletionTimestamp: now, finalizers: ["other/x"] }, false, {
    hook: undefined,
    addFinalizer: false,
  }],
];
const unselectedTable: Array<[string, Partial<KubeObject["metadata"]>, ReturnType<typeof finalizerStep>]> = [
  ["no longer picked, holding our finalizer: finalized", { finalizers: [finalizer] }, {
    hook: "finalize",
    addFinalizer: false,
  }],
  ["no longer picked, without our finalizer: left alone", {}, { hook: undefined, addFinalizer: false }],
  ["no longer picked and deleting, holding our finalizer: finalized", {
    deletionTimestamp: now,
    finalizers: [finalizer],
  }, { hook: "finalize", addFinalizer: false }],
];
for (const [name, metadata, expected] of unselectedTable) {
  test(`finalizerStep: ${name}`, () => {
    const parent = { ...parentWith(undefined), metadata: { ...parentWith(undefined).metadata, ...metadata } };
    assert.equal(finalizerStep(parent, finalizer, { finalize: () => ({ finalized: true }) }, false), expected);
  });
}
for (const [name, metadata, hasHook, expected] of finalizerTable) {
  test(`finalizerStep: ${name}`, () => {
    const parent = { ...parentWith(undefined), metadata: { ...parentWith(undefined).metadata, ...metadata } };
    assert.equal(finalizerStep(parent, finalizer, hasHook ? { finalize: () => ({ finalized: true }) } : {}), expected);
  });
}

test("finalizerApply names only this controller's finalizer, or none to remove it", () => {
  assert.equal(finalizerApply(parentWith(undefined), finalizer, true).metadata, {
    name: "w",
    namespace: "ns",
    finalizers: [finalizer],
  });
  assert.equal(finalizerApply(parentWith(undefined), finalizer, false).metadata.finalizers, []);
});

test.run();
