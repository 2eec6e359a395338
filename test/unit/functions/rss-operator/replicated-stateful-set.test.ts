// The ReplicatedStatefulSet functions as data in, data out: the replication algorithm's
// choices (seed by highest sequence, ties, members whose status fails, scale up and down,
// recovery from status after a restart), the objects, and the helpers. A small simulator
// plays the pods' scripts as data so whole flows run without a cluster.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ActionResult, CommandAction } from "../../../../runtime/mod.ts";
import { validateResponse } from "../../../../runtime/testing.ts";
import { compareSequences, parseSequence, stateFromStatus } from "../../../../functions/rss-operator/commands.ts";
import { nextPassDelaySeconds, reconcilePeers } from "../../../../functions/rss-operator/replication.ts";
import {
  finalizeRss,
  replicatedStatefulSets,
  specProblems,
  syncRss,
} from "../../../../functions/rss-operator/replicated-stateful-set.ts";
import {
  desiredCounts,
  durationSeconds,
  ordinalOf,
  type ReplicatedStatefulSet,
  type RssStatus,
} from "../../../../functions/rss-operator/types.ts";
import { rssOperatorManifest, rssOperatorRbacRules } from "../../../../functions/rss-operator/manifest.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

type Json = Record<string, any>;
const exampleSpec = parse(
  readFileSync(join(import.meta.dirname, "..", "..", "..", "..", "deploy", "examples", "rss-cluster.yaml"), "utf8"),
).spec;

function set(spec: Json = {}, status?: RssStatus, generation = 1): ReplicatedStatefulSet {
  return {
    apiVersion: "clusterlabs.org/v1alpha1",
    kind: "ReplicatedStatefulSet",
    metadata: { name: "example", namespace: "default", uid: "rss-uid", generation },
    spec: { ...exampleSpec, ...spec },
    ...(status ? { status } : {}),
  };
}

/** The cluster as the function sees it: the StatefulSet's replicas and its running pods (uid per ordinal). */
function world(replicas: number, pods: Record<number, string | { uid: string; phase?: string; deleting?: boolean }>) {
  const statefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "rss-example", uid: "sts-uid" },
    spec: { replicas },
  };
  const related: Json = {};
  for (const [ordinal, value] of Object.entries(pods)) {
    const pod = typeof value === "string" ? { uid: value } : value;
    related[`default/rss-example-${ordinal}`] = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `rss-example-${ordinal}`,
        namespace: "default",
        uid: pod.uid,
        ownerReferences: [{
          controller: true,
          uid: "sts-uid",
          kind: "StatefulSet",
          name: "rss-example",
          apiVersion: "apps/v1",
        }],
        ...(pod.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
      },
      status: { phase: pod.phase ?? "Running" },
    };
  }
  return {
    children: { "StatefulSet.apps/v1": { "rss-example": statefulSet }, "Service.v1": {} },
    related: { "Pod.v1": related },
  };
}

const result = (
  action: CommandAction,
  exitCode: number | undefined,
  stdout = "",
  extra: Partial<ActionResult> = {},
): ActionResult => ({
  id: action.id,
  pod: action.pod,
  command: action.command,
  phase: exitCode !== undefined && (action.successExitCodes ?? [0]).includes(exitCode) ? "Succeeded" : "Failed",
  attempt: 1,
  ...(exitCode !== undefined ? { exitCode } : {}),
  stdout,
  stderr: exitCode === 0 || exitCode === undefined ? "" : "it broke\n",
  truncated: false,
  timedOut: false,
  ...extra,
});

/** The application on each pod as data: what each script answers. */
interface App {
  running: Record<string, "primary" | "secondary" | undefined>;
  seq: Record<string, number>;
  fail?: Record<string, string>;
  ran: string[];
}

function play(app: App, action: CommandAction): ActionResult {
  const script = action.command[0]!;
  app.ran.push(`${action.pod} ${action.command.join(" ")}`);
  if (app.fail?.[`${action.pod} ${script}`]) return result(action, 1);
  const role = app.running[action.pod];
  switch (script) {
    case "/check.sh":
      return result(action, role === "primary" ? 8 : role === "secondary" ? 0 : 7);
    case "/sequence.sh":
      return result(action, 0, `${app.seq[action.pod] ?? 0}\n`);
    case "/seed.sh":
    case "/start.sh":
      app.running[action.pod] = "primary";
      return result(action, 0);
    case "/secondary.sh":
      app.running[action.pod] = "secondary";
      return result(action, 0);
    case "/stop.sh":
      app.running[action.pod] = undefined;
      return result(action, 0);
  }
  return result(action, 127);
}

/** Syncs until no action is left unanswered (each sync's actions played at once), as the runtime would. */
function converge(rss: ReplicatedStatefulSet, w: ReturnType<typeof world>, app: App, maxSyncs = 40) {
  let status = rss.status;
  let results: Record<string, ActionResult> = {};
  let out!: ReturnType<typeof syncRss>;
  for (let i = 0; i < maxSyncs; i++) {
    out = syncRss({ ...rss, ...(status ? { status } : {}) }, w.children, w.related, results);
    validateResponse(replicatedStatefulSets(), rss, out, false);
    status = out.status as RssStatus;
    const next: Record<string, ActionResult> = {};
    let ranSomething = false;
    for (const action of out.actions) {
      if (results[action.id]) next[action.id] = results[action.id]!;
      else if (action.delaySeconds) next[action.id] = { ...result(action, undefined), phase: "Pending", attempt: 0 };
      else {
        next[action.id] = play(app, action);
        ranSomething = true;
      }
    }
    results = next;
    if (!ranSomething) return { status: status!, out, results };
  }
  throw new Error("did not settle");
}

const ready = (status: RssStatus) => status.conditions?.find((c) => c.type === "Ready") as Json;

test("create: check, sequence, then seed the highest sequence and promote the rest with the primaries' addresses", () => {
  const app: App = { running: {}, seq: { "rss-example-0": 3, "rss-example-1": 9, "rss-example-2": 9 }, ran: [] };
  const { status, out } = converge(set(), world(3, { 0: "a", 1: "b", 2: "c" }), app);
  assert.equal(app.ran, [
    "rss-example-0 /check.sh",
    "rss-example-1 /check.sh",
    "rss-example-2 /check.sh",
    "rss-example-0 /sequence.sh",
    "rss-example-1 /sequence.sh",
    "rss-example-2 /sequence.sh",
    "rss-example-1 /seed.sh",
    "rss-example-2 /start.sh rss-example-1.example-svc",
    "rss-example-0 /start.sh rss-example-1.example-svc rss-example-2.example-svc",
  ], "ties on the highest sequence go to the lowest ordinal; then by sequence");
  assert.is(status.seed, "rss-example-1");
  assert.equal(status.members, {
    ready: ["rss-example-0", "rss-example-1", "rss-example-2"],
    unready: [],
    primary: ["rss-example-0", "rss-example-1", "rss-example-2"],
    secondary: [],
    failed: [],
  });
  assert.equal([ready(status).status, ready(status).reason, ready(status).message], [
    "True",
    "MembersReady",
    "3 of 3 members ready, 3 of 3 primaries",
  ]);
  assert.equal(out.actions.map((a) => [a.id, a.delaySeconds]), [["2.check.rss-example-0", 30], [
    "2.check.rss-example-1",
    30,
  ], ["2.check.rss-example-2", 30]], "the next pass checks after reconcileInterval");
  assert.equal((out.children[0] as Json).spec.replicas, 3);
});

test("seed events, failure reasons and the ids name pass, step and member", () => {
  const first = syncRss(
    set(),
    world(3, { 0: "a", 1: "b", 2: "c" }).children,
    world(3, { 0: "a", 1: "b", 2: "c" }).related,
    {},
  );
  assert.equal(first.actions[0], {
    id: "1.check.rss-example-0",
    pod: "rss-example-0",
    container: "dummy",
    command: ["/check.sh"],
    timeoutSeconds: 60,
    successExitCodes: [0, 7, 8],
    events: { failed: { reason: "StatusFailed", note: "status (/check.sh) on rss-example-0" } },
  });
});

test("no seeding until every member's pod runs; a pending pod holds the pass", () => {
  const app: App = { running: {}, seq: {}, ran: [] };
  const { status } = converge(set(), world(3, { 0: "a", 1: "b", 2: { uid: "c", phase: "Pending" } }), app);
  assert.equal(app.ran, []);
  assert.equal([ready(status).reason, ready(status).message], [
    "Waiting",
    "2 of 3 pods are running (0 of 3 members ready, 0 of 3 primaries)",
  ]);
});

test("a member whose status check fails is stopped, left out of seeding, and named in Ready=False until a clean pass", () => {
  const app: App = {
    running: {},
    seq: { "rss-example-0": 1, "rss-example-1": 1, "rss-example-2": 7 },
    fail: { "rss-example-2 /check.sh": "1" },
    ran: [],
  };
  const { status } = converge(set(), world(3, { 0: "a", 1: "b", 2: "c" }), app);
  assert.ok(app.ran.includes("rss-example-2 /stop.sh"), "recover: stop on the failed member");
  assert.ok(app.ran.includes("rss-example-2 /sequence.sh"), "stopped, it is eligible again");
  assert.is(status.seed, "rss-example-2", "and still seeds: its sequence is the highest");
  assert.equal([ready(status).status, ready(status).reason], ["False", "CommandFailed"]);
  assert.match(ready(status).message, "status (/check.sh) on rss-example-2: exit code 1: it broke");
  assert.is(status.failedPasses, 1);
  assert.is(status.pass!.delaySeconds, 1, "the next pass comes after 1 s, not the interval");
  assert.is(nextPassDelaySeconds(30, 3), 4);
  assert.is(nextPassDelaySeconds(30, 9), 30);
});

test("primaries below replicas: one primary, the others started as its secondaries; fewer primaries later stops the surplus, highest ordinal first", () => {
  const withSecondary = {
    pod: { ...exampleSpec.pod, commands: { ...exampleSpec.pod.commands, secondary: { command: ["/secondary.sh"] } } },
  };
  const app: App = { running: {}, seq: { "rss-example-2": 4 }, ran: [] };
  const three = world(3, { 0: "a", 1: "b", 2: "c" });
  const { status } = converge(set({ ...withSecondary, primaries: 1 }), three, app);
  assert.equal(app.ran.filter((line) => !line.includes("check") && !line.includes("sequence")), [
    "rss-example-2 /seed.sh",
    "rss-example-0 /secondary.sh rss-example-2.example-svc",
    "rss-example-1 /secondary.sh rss-example-2.example-svc",
  ]);
  assert.equal([status.members!.primary, status.members!.secondary, ready(status).status], [["rss-example-2"], [
    "rss-example-0",
    "rss-example-1",
  ], "True"]);

  const all = { running: {}, seq: {}, ran: [] } as App;
  const before = converge(set(withSecondary), three, all).status;
  all.ran.length = 0;
  const after = converge(set({ ...withSecondary, primaries: 1 }, before, 2), three, all).status;
  assert.equal(all.ran.filter((line) => !line.includes("check") && !line.includes("sequence")), [
    "rss-example-2 /stop.sh",
    "rss-example-1 /stop.sh",
    "rss-example-1 /secondary.sh rss-example-0.example-svc",
    "rss-example-2 /secondary.sh rss-example-0.example-svc",
  ]);
  assert.equal([after.members!.primary, after.members!.secondary], [["rss-example-0"], [
    "rss-example-1",
    "rss-example-2",
  ]]);
});

test("a seed that fails: the next candidate by sequence is tried", () => {
  const app: App = {
    running: {},
    seq: { "rss-example-0": 1, "rss-example-1": 5, "rss-example-2": 3 },
    fail: { "rss-example-1 /seed.sh": "1" },
    ran: [],
  };
  const { status } = converge(set(), world(3, { 0: "a", 1: "b", 2: "c" }), app);
  const starts = app.ran.filter((line) => !line.includes("check") && !line.includes("sequence"));
  assert.equal(starts.slice(0, 3), [
    "rss-example-1 /seed.sh",
    "rss-example-2 /seed.sh",
    "rss-example-0 /start.sh rss-example-2.example-svc",
  ]);
  assert.is(status.seed, "rss-example-2");
  assert.equal(status.members!.failed, ["rss-example-1"]);
});

test("scale up: the new members are found stopped, sequences are read and they are promoted one at a time", () => {
  const app: App = { running: {}, seq: {}, ran: [] };
  const three = world(3, { 0: "a", 1: "b", 2: "c" });
  const before = converge(set(), three, app).status;
  app.ran.length = 0;
  const grown = set({ replicas: 5 }, before, 2);
  const waiting = syncRss(grown, three.children, three.related, {});
  assert.is((waiting.children[0] as Json).spec.replicas, 5, "the StatefulSet grows first");
  const { status } = converge(grown, world(5, { 0: "a", 1: "b", 2: "c", 3: "d", 4: "e" }), app);
  assert.equal(app.ran.filter((line) => line.includes("start")), [
    "rss-example-3 /start.sh rss-example-0.example-svc rss-example-1.example-svc rss-example-2.example-svc",
    "rss-example-4 /start.sh rss-example-0.example-svc rss-example-1.example-svc rss-example-2.example-svc rss-example-3.example-svc",
  ]);
  assert.is(status.readyReplicas, 5);
});

test("scale down: stop runs on the removed members, and only then does the StatefulSet shrink", () => {
  const app: App = { running: {}, seq: {}, ran: [] };
  const five = world(5, { 0: "a", 1: "b", 2: "c", 3: "d", 4: "e" });
  const before = converge(set({ replicas: 5 }), five, app).status;
  const shrunk = set({ replicas: 3 }, before, 2);
  const first = syncRss(shrunk, five.children, five.related, {});
  assert.is((first.children[0] as Json).spec.replicas, 5, "held until the stops succeed");
  assert.equal(first.actions.map((a) => [a.id, a.command]), [["remove.rss-example-3.d", ["/stop.sh"]], [
    "remove.rss-example-4.e",
    ["/stop.sh"],
  ]]);
  assert.equal([ready(first.status as RssStatus).reason, ready(first.status as RssStatus).message], [
    "ScalingDown",
    "stopping rss-example-3, rss-example-4 before removing them",
  ]);
  const failedStop = syncRss(shrunk, five.children, five.related, {
    "remove.rss-example-3.d": result(first.actions[0]!, 1),
    "remove.rss-example-4.e": result(first.actions[1]!, 0),
  });
  assert.equal(
    failedStop.actions.map((a) => a.id),
    ["remove.rss-example-3.d"],
    "a failed stop stays answered: the runtime retries it with backoff",
  );
  assert.is((failedStop.children[0] as Json).spec.replicas, 5);
  const done = syncRss({ ...shrunk, status: failedStop.status as RssStatus }, five.children, five.related, {
    "remove.rss-example-3.d": result(first.actions[0]!, 0),
  });
  assert.is((done.children[0] as Json).spec.replicas, 3);
  assert.equal((done.status as RssStatus).peers!.map((p) => p.name), [
    "rss-example-0",
    "rss-example-1",
    "rss-example-2",
  ]);
});

test("scale down across a change of leader: an interrupted stop is checked before it is run again", () => {
  const app: App = { running: {}, seq: {}, ran: [] };
  const five = world(5, { 0: "a", 1: "b", 2: "c", 3: "d", 4: "e" });
  const before = converge(set({ replicas: 5 }), five, app).status;
  const shrunk = set({ replicas: 3 }, before, 2);
  const [stop3, stop4] = syncRss(shrunk, five.children, five.related, {}).actions;
  const interrupted = (action: CommandAction) =>
    result(action, undefined, "", { interrupted: true, error: "interrupted" });
  // Both stops were cut off; member 3 had stopped, member 4 had not.
  app.running["rss-example-3"] = undefined;
  const checks = syncRss(shrunk, five.children, five.related, {
    [stop3!.id]: interrupted(stop3!),
    [stop4!.id]: interrupted(stop4!),
  });
  assert.equal(checks.actions.map((a) => [a.id, a.command]), [
    ["remove.rss-example-3.d.check", ["/check.sh"]],
    ["remove.rss-example-4.e.check", ["/check.sh"]],
  ], "the status command, not stop again");
  assert.is((checks.children[0] as Json).spec.replicas, 5, "held while it is unknown");
  const answers = Object.fromEntries(checks.actions.map((action) => [action.id, play(app, action)]));
  const next = syncRss({ ...shrunk, status: checks.status as RssStatus }, five.children, five.related, answers);
  assert.equal(next.actions.map((a) => a.id), ["remove.rss-example-4.e"], "only the member still running is stopped");
  const done = syncRss({ ...shrunk, status: next.status as RssStatus }, five.children, five.related, {
    [stop4!.id]: play(app, stop4!),
  });
  assert.is((done.children[0] as Json).spec.replicas, 3);
  assert.equal(app.ran.filter((line) => line.endsWith("/stop.sh")).length, 1, "stop ran once here, on member 4");
});

test("recovery from status: a pass whose actions the runtime does not know (a restart) starts over from status checks", () => {
  const app: App = { running: {}, seq: {}, ran: [] };
  const three = world(3, { 0: "a", 1: "b", 2: "c" });
  const { status } = converge(set(), three, app);
  // The operator restarted: the delayed checks of pass 2 are unknown to the new process.
  const restarted = syncRss(set({}, status), three.children, three.related, {});
  assert.equal(restarted.actions.map((a) => [a.id, a.delaySeconds]), [["3.check.rss-example-0", undefined], [
    "3.check.rss-example-1",
    undefined,
  ], ["3.check.rss-example-2", undefined]]);
  // Mid-start: pass 1 was promoting rss-example-0 when the operator died; the new one checks again instead of starting twice.
  const midStart = {
    ...status,
    pass: {
      number: 7,
      step: "start" as const,
      pods: { "rss-example-0": "a", "rss-example-1": "b", "rss-example-2": "c" },
      generation: 1,
      action: "7.promote.rss-example-0",
    },
  };
  assert.equal(syncRss(set({}, midStart), three.children, three.related, {}).actions.map((a) => a.id), [
    "8.check.rss-example-0",
    "8.check.rss-example-1",
    "8.check.rss-example-2",
  ]);
});

test("a change of leader mid-pass: interrupted checks or starts begin a new pass; no member is failed, stopped or started twice", () => {
  const app: App = { running: {}, seq: {}, ran: [] };
  const three = world(3, { 0: "a", 1: "b", 2: "c" });
  const { status } = converge(set(), three, app);
  const interrupted = (action: CommandAction) =>
    result(action, undefined, "", { interrupted: true, error: "interrupted" });
  // The next pass's status checks were cut off: the members are fine, and must not be stopped as failed.
  const delayed = syncRss(set({}, status), three.children, three.related, {});
  const checks = syncRss(
    set({}, delayed.status as RssStatus),
    three.children,
    three.related,
    Object.fromEntries(delayed.actions.map((action) => [action.id, interrupted(action)])),
  );
  const pass = (checks.status as RssStatus).pass!;
  assert.ok(pass.number > (delayed.status as RssStatus).pass!.number, "a new pass");
  assert.equal(checks.actions.map((a) => [a.id, a.command[0]]), [
    [`${pass.number}.check.rss-example-0`, "/check.sh"],
    [`${pass.number}.check.rss-example-1`, "/check.sh"],
    [`${pass.number}.check.rss-example-2`, "/check.sh"],
  ], "checked again, nothing stopped");
  const peers = (checks.status as RssStatus).peers!;
  assert.equal(peers.map((p) => [p.state, p.lastError]), [
    ["Primary", undefined],
    ["Primary", undefined],
    ["Primary", undefined],
  ], "no member failed");

  // A promotion cut off after it ran: the new pass finds the member running and starts nothing.
  const midStart = {
    ...status,
    pass: {
      number: 9,
      step: "start" as const,
      pods: { "rss-example-0": "a", "rss-example-1": "b", "rss-example-2": "c" },
      generation: 1,
      action: "9.promote.rss-example-2",
    },
  };
  const promote: CommandAction = { id: "9.promote.rss-example-2", pod: "rss-example-2", command: ["/start.sh"] };
  const after = syncRss(set({}, midStart), three.children, three.related, { [promote.id]: interrupted(promote) });
  assert.equal(after.actions.map((a) => a.id), [
    "10.check.rss-example-0",
    "10.check.rss-example-1",
    "10.check.rss-example-2",
  ]);
  assert.not.equal(
    (after.status as RssStatus).peers!.find((p) => p.name === "rss-example-2")!.state,
    "Failed",
    "not failed for being cut off",
  );
  app.ran.length = 0;
  converge(set({}, after.status as RssStatus), three, app);
  assert.equal(app.ran.filter((line) => !/check|sequence/.test(line)), [], "nothing started or stopped again");
});

test("failover: a new pod of a primary starts a new pass at once, and is promoted after sequences are read", () => {
  const app: App = { running: {}, seq: {}, ran: [] };
  const before = converge(set(), world(3, { 0: "a", 1: "b", 2: "c" }), app).status;
  app.running["rss-example-0"] = undefined;
  app.ran.length = 0;
  const gone = syncRss(
    set({}, before),
    world(3, { 1: "b", 2: "c" }).children,
    world(3, { 1: "b", 2: "c" }).related,
    {},
  );
  assert.equal(gone.actions, [], "while the pod is missing nothing runs");
  assert.equal((gone.status as RssStatus).peers![0], { name: "rss-example-0", state: "Unknown", failures: 0 });
  const { status } = converge(set({}, gone.status as RssStatus), world(3, { 0: "z", 1: "b", 2: "c" }), app);
  assert.equal(app.ran.filter((line) => !line.includes("check")), [
    "rss-example-0 /sequence.sh",
    "rss-example-1 /sequence.sh",
    "rss-example-2 /sequence.sh",
    "rss-example-0 /start.sh rss-example-1.example-svc rss-example-2.example-svc",
  ]);
  assert.is(status.peers![0]!.uid, "z");
});

test("destroy: stop on every running member, then finalized; a member that keeps failing is let go after 3 attempts", () => {
  const app: App = { running: {}, seq: {}, ran: [] };
  const three = world(3, { 0: "a", 1: "b", 2: "c" });
  const { status } = converge(set(), three, app);
  const first = finalizeRss(set({}, status), three.children, three.related, {});
  assert.equal([first.finalized, first.actions.map((a) => a.id)], [false, [
    "destroy.rss-example-0.a",
    "destroy.rss-example-1.b",
    "destroy.rss-example-2.c",
  ]]);
  assert.equal(first.children.map((c) => c.metadata.name), ["rss-example"], "the StatefulSet stays until then");
  const results = Object.fromEntries(
    first.actions.map((a, i) => [a.id, result(a, i === 2 ? 1 : 0, "", i === 2 ? { attempt: 3 } : {})]),
  );
  const last = finalizeRss(set({}, first.status as RssStatus), three.children, three.related, results);
  assert.equal([last.finalized, last.actions], [true, []]);
});

test("spec problems the schema cannot see, and the defaults", () => {
  assert.equal(specProblems(set()), []);
  assert.equal(specProblems({ ...set(), metadata: { name: "x", labels: { app: "y", "rss-x": "1" } } }), [
    'label "app" is reserved for the operator\'s selector (app, rss*): remove it from metadata.labels',
    'label "rss-x" is reserved for the operator\'s selector (app, rss*): remove it from metadata.labels',
  ]);
  const invalid = syncRss({ ...set(), metadata: { name: "example", labels: { app: "other" } } }, {}, {}, {});
  assert.equal([ready(invalid.status as RssStatus).reason, invalid.children, invalid.actions], ["InvalidSpec", [], []]);
  assert.equal(desiredCounts({}), { replicas: 3, primaries: 3 });
  assert.equal(desiredCounts({ replicas: 5, primaries: 9 }), { replicas: 5, primaries: 5 });
  assert.equal(desiredCounts({ replicas: -2 }), { replicas: 0, primaries: 0 });
  assert.equal(["30s", "1m", "1m30s", "1.5h", "250ms", "30", "30 s", "abc", ""].map(durationSeconds), [
    30,
    60,
    90,
    5400,
    0.25,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  assert.equal([
    ordinalOf("example", "rss-example-12"),
    ordinalOf("example", "rss-example-01"),
    ordinalOf("example", "rss-other-1"),
  ], [12, undefined, undefined]);
});

test("sequences: digits compared by value at any length; anything else reads as 0; status exit codes", () => {
  assert.equal(["42\n", " 007 ", "", "abc", "18446744073709551616"].map(parseSequence), [
    "42",
    "7",
    "0",
    "0",
    "18446744073709551616",
  ]);
  assert.ok(compareSequences("18446744073709551616", "9") > 0);
  assert.ok(compareSequences("10", "9") > 0 && compareSequences("9", "10") < 0 && compareSequences(undefined, "0") < 0);
  assert.equal([
    stateFromStatus(0, false),
    stateFromStatus(0, true),
    stateFromStatus(7, false),
    stateFromStatus(8, true),
    stateFromStatus(1, true),
  ], ["Primary", "Secondary", "Stopped", "Primary", undefined]);
  assert.equal(
    reconcilePeers(
      [{ name: "rss-example-0", uid: "old", state: "Primary", failures: 2 }],
      [{ name: "rss-example-0", ordinal: 0, uid: "new", online: true }],
      2,
      (i) => `rss-example-${i}`,
    ),
    [
      { name: "rss-example-0", uid: "new", state: "Unknown", failures: 0 },
      { name: "rss-example-1", state: "Unknown", failures: 0 },
    ],
  );
});

test("objects: the StatefulSet and Service as the original named them", () => {
  const { children } = syncRss(set(), {}, {}, {});
  const [statefulSet, service] = children as unknown as [Json, Json];
  assert.equal([
    statefulSet.metadata.name,
    statefulSet.spec.serviceName,
    statefulSet.spec.podManagementPolicy,
    statefulSet.spec.updateStrategy.type,
  ], ["rss-example", "example-svc", "Parallel", "OnDelete"]);
  assert.equal(statefulSet.spec.selector.matchLabels, { app: "example", "rss-operator-managed": "true" });
  const container = statefulSet.spec.template.spec.containers[0];
  assert.equal(container.env.map((e: Json) => e.name), ["SERVICE_NAME", "POD_NAME", "POD_NAMESPACE"]);
  assert.equal(
    statefulSet.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]
      .podAffinityTerm.labelSelector.matchLabels,
    { app: "example", "rss-operator-managed": "true" },
  );
  assert.equal([
    service.metadata.name,
    service.spec.clusterIP,
    service.spec.publishNotReadyAddresses,
    service.spec.ports,
  ], ["example-svc", "None", true, [{ name: "dummy", port: 12345, targetPort: "dummy" }]]);
});

test("the replication operator's ClusterRole allows pods/exec, and its Deployment runs the compiled operator", () => {
  assert.ok(
    rssOperatorRbacRules.some((rule) =>
      rule.resources.includes("pods/exec") && rule.verbs.includes("create") && rule.verbs.includes("get")
    ),
  );
  assert.ok(rssOperatorRbacRules.some((rule) => rule.resources.includes("replicatedstatefulsets/status")));
  const deployment = rssOperatorManifest().at(-1) as any;
  assert.equal(deployment.spec.template.spec.containers[0].command, [
    "node",
    "--max-semi-space-size=1",
    "functions/rss-operator/main.js",
  ], "the image runs the compiled entry point");
});

test.run();
