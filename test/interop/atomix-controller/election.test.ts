// EnterElection with candidates on two controller replicas, through a real gRPC (h2c)
// client; the term lives in the Kubernetes API and survives restarting every replica.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { ControllerService, type PartitionElectionResponse } from "../../../gen/atomix/controller/controller_pb.ts";
import { startAtomixController } from "../../support/atomix.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import type { SampleProcess } from "../../support/sample.ts";

const test = suite("interop: EnterElection across replicas");
const replicas: SampleProcess[] = [];
let namespace: Awaited<ReturnType<typeof freshNamespace>>;

const clientOf = (replica: SampleProcess) =>
  createClient(ControllerService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${replica.port}` }));

interface Candidate {
  seen: Array<{ term: number; primary: string; candidates: string[] }>;
  abort: AbortController;
  done: Promise<void>;
}

function enter(replica: SampleProcess, member: string, partition = 1): Candidate {
  const abort = new AbortController();
  const seen: Candidate["seen"] = [];
  const stream = clientOf(replica).enterElection(
    { partitionId: { partition, group: { name: "raft", namespace: namespace.name } }, member },
    { signal: abort.signal },
  );
  const done = (async () => {
    try {
      for await (const response of stream as AsyncIterable<PartitionElectionResponse>) {
        seen.push({
          term: Number(response.term!.term),
          primary: response.term!.primary,
          candidates: response.term!.candidates,
        });
      }
    } catch {
      // aborted
    }
  })();
  return { seen, abort, done };
}

const last = (candidate: Candidate) => candidate.seen.at(-1);

test.before(async () => {
  namespace = await freshNamespace(testKubeConfig(), "interop-election");
  replicas.push((await startAtomixController("election-a")).controller);
  replicas.push((await startAtomixController("election-b", "ready")).controller);
});

test.after(async () => {
  await Promise.all(replicas.map((replica) => replica.stop("SIGKILL")));
  await namespace?.remove();
});

test("three candidates on two replicas: the first is primary at term 1; when it leaves the second is primary at term 2", async () => {
  const [a, b] = replicas as [SampleProcess, SampleProcess];
  const first = enter(a, "member-1");
  await eventually("member-1 to be primary", () => last(first)?.primary === "member-1");
  assert.equal(
    first.seen[0],
    { term: 1, primary: "member-1", candidates: ["member-1"] },
    "a new entrant gets the current term at once",
  );
  const second = enter(b, "member-2");
  await eventually("member-2 to see itself as a candidate", () => last(second)?.candidates.length === 2);
  const third = enter(a, "member-3");
  await eventually(
    "every stream to see three candidates",
    () => [first, second, third].every((c) => last(c)?.candidates.length === 3),
  );
  for (const candidate of [first, second, third]) {
    assert.equal(last(candidate), { term: 1, primary: "member-1", candidates: ["member-1", "member-2", "member-3"] });
  }

  first.abort.abort();
  await first.done;
  await eventually("term 2 on the remaining streams", () => [second, third].every((c) => last(c)?.term === 2));
  for (const candidate of [second, third]) {
    assert.equal(last(candidate), { term: 2, primary: "member-2", candidates: ["member-2", "member-3"] });
    assert.equal([...new Set(candidate.seen.map((t) => t.term))], [1, 2], "each remaining stream saw each term");
    for (let i = 1; i < candidate.seen.length; i++) {
      assert.not.equal(candidate.seen[i], candidate.seen[i - 1], "never the same term twice in a row");
    }
  }
  second.abort.abort();
  third.abort.abort();
  await Promise.all([second.done, third.done]);
});

test("a candidate that reconnects at once stays in the election, on the same replica or the other", async () => {
  const [a, b] = replicas as [SampleProcess, SampleProcess];
  const other = enter(b, "member-y", 3);
  let x = enter(a, "member-x", 3);
  await eventually("both to see two candidates", () => [other, x].every((c) => last(c)?.candidates.length === 2));
  // The old stream's leaving and the new one's entering race: the candidate must stay.
  for (const replica of [a, b]) {
    x.abort.abort();
    x = enter(replica, "member-x", 3);
    await eventually("the new stream to see its member a candidate", () => last(x)?.candidates.includes("member-x"));
    await eventually("the other candidate to see it too, with itself", () => last(other)?.candidates.length === 2);
  }
  assert.equal([...last(x)!.candidates].sort(), ["member-x", "member-y"]);
  x.abort.abort();
  await eventually("member-x to leave once its last stream ends", () => last(other)?.candidates.join() === "member-y");
  other.abort.abort();
});

test("bad requests are refused with INVALID_ARGUMENT naming the field", async () => {
  const client = clientOf(replicas[0]!);
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ member: "m" }, "partition_id is required"],
    [{ partitionId: { partition: 1 }, member: "m" }, "partition_id.group.name is required"],
    [
      { partitionId: { partition: 0, group: { name: "raft" } }, member: "m" },
      "partition_id.partition must be at least 1",
    ],
    [{ partitionId: { partition: 1, group: { name: "raft" } } }, "member is required"],
  ];
  for (const [request, message] of cases) {
    try {
      for await (const _ of client.enterElection(request)) break;
      assert.unreachable(`expected an error for ${JSON.stringify(request)}`);
    } catch (error) {
      assert.match(String((error as Error).message), "invalid_argument");
      assert.match(String((error as Error).message), message);
    }
  }
});

test("the term survives a restart of every controller replica", async () => {
  const before = enter(replicas[0]!, "member-4", 2);
  await eventually("member-4 primary of partition 2", () => last(before)?.primary === "member-4");
  const termBefore = last(before)!.term;
  before.abort.abort();
  await before.done;
  await Promise.all(replicas.splice(0).map((replica) => replica.stop("SIGTERM")));
  replicas.push((await startAtomixController("election-c")).controller);
  const after = enter(replicas[0]!, "member-5", 2);
  await eventually("member-5 primary of partition 2", () => last(after)?.primary === "member-5");
  assert.ok(last(after)!.term > termBefore, `the term continued from ${termBefore} (got ${last(after)!.term})`);
  after.abort.abort();
  await after.done;
});

test.run();
