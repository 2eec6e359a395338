// The action contract as data: what the validator refuses, how an exec Status becomes an
// exit code, output kept within its budget, and the ActionRunner's promises (an id runs
// once at a time, never again after success, again after a backoff after failure while
// still answered; results stay while answered and go once seen and dropped; bounded
// concurrency; delays) with a scripted exec in place of pods/exec.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Action } from "../../../../runtime/controller.ts";
import type { ExecOutcome, ExecRequest } from "../../../../runtime/exec/exec.ts";
import { execPath, exitStatus, OutputTail } from "../../../../runtime/exec/protocol.ts";
import {
  actionBackoffMs,
  type ActionJournal,
  ActionRunner,
  describeFailure,
  type JournalRecord,
} from "../../../../runtime/exec/actions.ts";
import { actionProblems } from "../../../../runtime/reconcile/validate-actions.ts";
import { createLogger } from "../../../../runtime/log.ts";
import { memoryJournal } from "./journal.ts";

const ok: Action = { id: "status/rss-example-0", pod: "rss-example-0", command: ["/check.sh"] };

test("valid actions pass; each problem is named with the action", () => {
  assert.equal(actionProblems(undefined), []);
  assert.equal(
    actionProblems([ok, {
      ...ok,
      id: "b",
      container: "dummy",
      timeoutSeconds: 5,
      delaySeconds: 30,
      successExitCodes: [0, 7, 8],
      events: { succeeded: { reason: "Seeded", note: "n" } },
    }]),
    [],
  );
  const table: Array<[unknown, string]> = [
    [{}, "actions must be an array"],
    [[{ ...ok, id: "" }], "id must be 1-253"],
    [[{ ...ok, id: "-x" }], "id must be 1-253"],
    [[ok, ok], "id repeats"],
    [[{ ...ok, pod: "Not_A_Pod" }], "pod must be a pod name"],
    [[{ ...ok, container: "a b" }], "container must be a container name"],
    [[{ ...ok, command: [] }], "command must be a non-empty list of strings"],
    [[{ ...ok, command: ["/x", 3] }], "command must be a non-empty list of strings"],
    [[{ ...ok, command: [""] }], "the program) is empty"],
    [[{ ...ok, command: ["x".repeat(40_000)] }], "more than 32768"],
    [[{ ...ok, timeoutSeconds: 0 }], "timeoutSeconds must be a number from 1 to 3600"],
    [[{ ...ok, timeoutSeconds: "30s" }], "timeoutSeconds must be a number"],
    [[{ ...ok, delaySeconds: -1 }], "delaySeconds must be a number from 0"],
    [[{ ...ok, successExitCodes: [256] }], "successExitCodes"],
    [[{ ...ok, events: { failed: { reason: "lower", note: "n" } } }], "UpperCamelCase reason"],
    [Array.from({ length: 101 }, (_, i) => ({ ...ok, id: `a${i}` })), "101 actions is more than the limit of 100"],
  ];
  for (const [actions, message] of table) {
    assert.match(actionProblems(actions).join("; "), message, JSON.stringify(actions).slice(0, 80));
  }
});

test("the exec path carries the command as repeated parameters, stdout and stderr, no stdin or tty", () => {
  assert.is(
    execPath({ namespace: "ns", pod: "p-0", container: "c", command: ["sh", "-c", "echo a b"] }),
    "/api/v1/namespaces/ns/pods/p-0/exec?command=sh&command=-c&command=echo+a+b&container=c&stdout=true&stderr=true",
  );
});

test("exit codes from the error channel's Status: Success, a kubelet's NonZeroExitCode, kwok's InternalError", () => {
  const table: Array<[string, ReturnType<typeof exitStatus>]> = [
    ['{"metadata":{},"status":"Success"}', { exitCode: 0 }],
    [
      '{"status":"Failure","reason":"NonZeroExitCode","message":"command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}',
      { exitCode: 7 },
    ],
    [
      '{"status":"Failure","reason":"InternalError","message":"Internal error occurred: Internal error occurred: error executing command in container: cmd wait: sh -c exit 8: exit status 8"}',
      { exitCode: 8 },
    ],
    [
      '{"status":"Failure","reason":"InternalError","message":"error executing command in container: cmd wait: /x.sh exit status 3: exit status 9\\nstderr"}',
      { exitCode: 9 },
    ],
    [
      '{"status":"Failure","reason":"InternalError","message":"error executing command in container: cmd start: /nope.sh : fork/exec /nope.sh: no such file or directory"}',
      {
        error:
          "error executing command in container: cmd start: /nope.sh : fork/exec /nope.sh: no such file or directory",
      },
    ],
    ["not json", { error: "unreadable exec status: not json" }],
  ];
  for (const [text, expected] of table) assert.equal(exitStatus(text), expected, text);
});

test("output keeps its last bytes within the budget, however it arrives", () => {
  const tail = new OutputTail(8);
  tail.write(new TextEncoder().encode("abc"));
  assert.equal([tail.text(), tail.truncated], ["abc", false]);
  tail.write(new TextEncoder().encode("defghij"));
  assert.equal([tail.text(), tail.truncated], ["cdefghij", true]);
  tail.write(new TextEncoder().encode("0123456789XY"));
  assert.equal(tail.text(), "456789XY");
});

test("failures are described with the exit code and trimmed stderr, the timeout or the error", () => {
  assert.is(
    describeFailure({ exitCode: 1, stderr: "  line one\nline two \n", timedOut: false }),
    "exit code 1: line one line two",
  );
  assert.is(describeFailure({ stderr: "", timedOut: true, error: "timed out after 2 s" }), "timed out after 2 s");
  assert.is(describeFailure({ stderr: "", timedOut: false, error: 'pods "x" not found' }), 'pods "x" not found');
  assert.is(
    describeFailure({ exitCode: 2, stderr: "e".repeat(400), timedOut: false }).length,
    "exit code 2: ".length + 300,
  );
  assert.equal([1, 2, 3, 10, 20].map(actionBackoffMs), [1_000, 2_000, 4_000, 300_000, 300_000]);
});

/** A clock for the runner's delays and backoffs: time moves only when a test advances it. */
function fakeClock() {
  let now = 0;
  let pending: Array<{ at: number; run: () => void; handle: number }> = [];
  let next = 0;
  return {
    now: () => new Date(now),
    timers: {
      set: (run: () => void, ms: number) => {
        pending.push({ at: now + ms, run, handle: ++next });
        return next;
      },
      clear: (handle: unknown) => void (pending = pending.filter((timer) => timer.handle !== handle)),
    },
    advance(ms: number) {
      now += ms;
      const due = pending.filter((timer) => timer.at <= now);
      pending = pending.filter((timer) => timer.at > now);
      for (const timer of due) timer.run();
    },
  };
}

/** Lets the runner's promises settle until the condition holds (no wall-clock waiting). */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1_000; turn++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never: ${what}`);
}

/** An ActionRunner whose exec answers from a script, on a fake clock, and what it did. */
function harness(
  answer: (request: ExecRequest, call: number) => Partial<ExecOutcome> | Promise<Partial<ExecOutcome>>,
  concurrency = 8,
) {
  const calls: ExecRequest[] = [];
  const requeued: string[] = [];
  const events: string[] = [];
  const clock = fakeClock();
  let running = 0;
  let maxRunning = 0;
  const parent = { apiVersion: "v1", kind: "X", metadata: { name: "p", namespace: "ns", uid: "u" } };
  const runner = new ActionRunner({
    exec: async (request) => {
      calls.push(request);
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        return { stdout: "", stderr: "", truncated: false, timedOut: false, ...(await answer(request, calls.length)) };
      } finally {
        running--;
      }
    },
    requeue: (key) => requeued.push(key),
    events: { record: (_o, type, reason, _a, note) => events.push(`${type} ${reason}: ${note}`) },
    log: createLogger("error", {}),
    canRun: () => true,
    concurrency,
    now: clock.now,
    timers: clock.timers,
  });
  return { runner, calls, requeued, events, parent, clock, maxRunning: () => maxRunning };
}

test("an id runs once: not again while it runs, nor after it succeeded; its result stays while answered", async () => {
  const h = harness(() => ({ exitCode: 0, stdout: "42\n" }));
  h.runner.submit("ns/p", h.parent, [ok]);
  h.runner.submit("ns/p", h.parent, [ok]);
  await until("the parent requeued", () => h.requeued.length === 1);
  h.runner.submit("ns/p", h.parent, [ok]);
  h.clock.advance(3_600_000);
  await until("nothing more runs", () => h.runner.inFlight === 0);
  assert.is(h.calls.length, 1);
  assert.equal(h.calls[0]!.command, ["/check.sh"]);
  assert.equal(h.requeued, ["ns/p"], "the parent is synced again when it ends");
  const result = h.runner.results("ns/p")[ok.id]!;
  assert.equal([result.phase, result.exitCode, result.stdout, result.attempt], ["Succeeded", 0, "42\n", 1]);
  h.runner.submit("ns/p", h.parent, []);
  assert.equal(h.runner.results("ns/p"), {}, "seen and no longer answered: forgotten");
});

test("a failed id runs again only while answered, after a backoff; success codes decide success; failures make a Warning Event", async () => {
  const h = harness((
    _r,
    call,
  ) => (call === 1 ? { exitCode: 7, stderr: "not running\n" } : { exitCode: 3, stderr: "boom" }));
  const check: Action = { ...ok, successExitCodes: [0, 7, 8] };
  const seed: Action = {
    id: "seed",
    pod: "rss-example-1",
    command: ["/seed.sh"],
    events: { failed: { reason: "SeedFailed", note: "seeding rss-example-1" } },
  };
  h.runner.submit("ns/p", h.parent, [check, seed]);
  await until("both ran", () => h.requeued.length === 2);
  const results = h.runner.results("ns/p");
  assert.equal([results[ok.id]!.phase, results.seed!.phase], ["Succeeded", "Failed"]);
  assert.equal(h.events, ["Warning SeedFailed: seeding rss-example-1: exit code 3: boom"]);
  h.runner.submit("ns/p", h.parent, [check, seed]);
  h.clock.advance(999);
  assert.is(h.calls.length, 2, "the retry waits for its backoff (1 s)");
  h.clock.advance(1);
  await until("the retry", () => h.requeued.length === 3);
  assert.is(h.calls.length, 3);
  assert.is(h.runner.results("ns/p").seed!.attempt, 2);
  h.runner.submit("ns/p", h.parent, [check, seed]);
  h.clock.advance(1_999);
  assert.is(h.calls.length, 3, "the second retry waits twice as long");
  h.runner.submit("ns/p", h.parent, []);
  h.clock.advance(3_600_000);
  await until("idle", () => h.runner.inFlight === 0);
  assert.is(h.calls.length, 3, "not answered: no more retries");
});

test("at most `concurrency` commands at once; delayed actions wait; forget() drops a parent's actions", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const h = harness(async () => {
    await gate;
    return { exitCode: 0 };
  }, 2);
  const many = Array.from({ length: 5 }, (_, i) => ({ ...ok, id: `a${i}` }));
  h.runner.submit("ns/p", h.parent, [...many, { ...ok, id: "later", delaySeconds: 60 }]);
  await until("two running", () => h.calls.length === 2);
  assert.is(h.runner.results("ns/p").later!.phase, "Pending");
  release();
  await until("all five ran", () => h.requeued.length === 5);
  assert.is(h.calls.length, 5);
  assert.is(h.maxRunning(), 2);
  h.clock.advance(60_000);
  await until("the delayed one ran", () => h.calls.length === 6);
  h.runner.forget("ns/p");
  assert.equal(h.runner.results("ns/p"), {});
  h.runner.stop();
});

function journaledRunner(journal: ActionJournal, answer: () => Partial<ExecOutcome> | Promise<Partial<ExecOutcome>>) {
  const calls: ExecRequest[] = [];
  const runner = new ActionRunner({
    exec: async (request) => {
      calls.push(request);
      return { stdout: "", stderr: "", truncated: false, timedOut: false, ...(await answer()) };
    },
    journal,
    requeue: () => undefined,
    events: { record: () => undefined },
    log: createLogger("error", {}),
    canRun: () => true,
    timers: fakeClock().timers,
  });
  return { runner, calls };
}

const parent = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p", namespace: "ns" } };

test("the journal: a start is recorded before the command runs, its end after; the next leader runs nothing twice", async () => {
  const { journal, writes, records } = memoryJournal();
  let release!: () => void;
  const first = journaledRunner(
    journal,
    () => new Promise((resolve) => (release = () => resolve({ exitCode: 0, stdout: "done\n" }))),
  );
  first.runner.submit("ns/p", parent, [ok]);
  await until("the command to run", () => first.calls.length === 1);
  assert.equal(writes, [{ [ok.id]: "Running" }], "Running recorded before the command started");
  release();
  await until("the end to be recorded", () => records()[ok.id]?.phase === "Succeeded");
  assert.is(records()[ok.id]!.stdout, "done\n");

  // A new term: the result comes from the journal, and answering the id again runs nothing.
  const second = journaledRunner(journal, () => ({ exitCode: 0 }));
  assert.equal(second.runner.results("ns/p", parent)[ok.id]?.phase, "Succeeded");
  second.runner.submit("ns/p", parent, [ok]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(second.calls.length, 0, "not run again");
});

test("the journal: a command a previous leader started and never recorded ending is Failed and interrupted", async () => {
  const { journal, records } = memoryJournal();
  const first = journaledRunner(journal, () => new Promise(() => undefined));
  first.runner.submit("ns/p", parent, [ok]);
  await until("the start to be recorded", () => records()[ok.id]?.phase === "Running");
  first.runner.stop(); // the leader goes, its command's end unknown

  const second = journaledRunner(journal, () => ({ exitCode: 0 }));
  const result = second.runner.results("ns/p", parent)[ok.id]!;
  assert.equal([result.phase, result.interrupted, result.attempt], ["Failed", true, 1]);
  assert.match(result.error ?? "", "interrupted");
  // Not answered again: it is dropped, and the journal with it.
  second.runner.submit("ns/p", parent, []);
  await until("the journal to be emptied", () => Object.keys(records()).length === 0);
  assert.is(second.calls.length, 0);
});

test("the journal: writes for one parent go one at a time, so two starts together are both recorded", async () => {
  // Each write lands when it resolves, and the first one is slow: were the two starts written
  // at once, the first (knowing only one command) would land last and lose the other's start.
  let records: Record<string, JournalRecord> = {};
  let writing = 0;
  let overlapped = false;
  const journal: ActionJournal = {
    read: () => structuredClone(records),
    write: async (_key, _parent, next) => {
      overlapped ||= writing > 0;
      writing++;
      await new Promise((resolve) => setTimeout(resolve, Object.keys(next).length === 1 ? 30 : 1));
      records = structuredClone(next);
      writing--;
    },
  };
  const other: Action = { ...ok, id: "status/rss-example-1", pod: "rss-example-1" };
  const { runner, calls } = journaledRunner(journal, () => new Promise(() => undefined));
  runner.submit("ns/p", parent, [ok, other]);
  for (let waited = 0; calls.length < 2 && waited < 5_000; waited += 5) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.is(calls.length, 2, "both commands ran");
  assert.not.ok(overlapped, "no two writes at once");
  assert.equal(Object.keys(records).sort(), [ok.id, other.id].sort(), "both starts recorded");
  assert.equal(Object.values(records).map((record) => record.phase), ["Running", "Running"]);
  runner.stop();
});

test.run();
