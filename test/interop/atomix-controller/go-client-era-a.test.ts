// The era-a Atomix Go client (github.com/atomix/atomix-go-client, January 2020) against the
// controller running under its ServiceAccount token: partition groups through the client's own
// API, and EnterElection through the generated ControllerService stub with candidates on two
// controller replicas.
import * as assert from "uvu/assert";
import { startAtomixController } from "../../support/atomix.ts";
import { buildGoProgram, runGoProgram, stepOf } from "../../support/goclient.ts";
import { freshNamespace, testKubeConfig } from "../../support/kube.ts";
import type { SampleProcess } from "../../support/sample.ts";
import { suite } from "../../support/suite.ts";

const test = suite("interop: atomix-go-client (era a)");
const replicas: SampleProcess[] = [];
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let binary: string;

const address = (replica: SampleProcess) => `127.0.0.1:${replica.port}`;

test.before(async () => {
  binary = await buildGoProgram("era-a");
  namespace = await freshNamespace(testKubeConfig(), "interop-go-a");
  replicas.push((await startAtomixController("go-a-1")).controller);
  replicas.push((await startAtomixController("go-a-2", "ready")).controller);
});

test.after(async () => {
  await Promise.all(replicas.map((replica) => replica.stop("SIGKILL")));
  await namespace?.remove();
});

test("NewClient, GetGroups, GetGroup, CreateGroup, DeleteGroup", async () => {
  // The follower replica serves it: handlers read the shared cache and write through the API server.
  const run = await runGoProgram(binary, [
    `--addresses=${address(replicas[1]!)}`,
    `--namespace=${namespace.name}`,
    "--scenario=groups",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(stepOf(run, "GetGroups"), { step: "GetGroups", count: 0, error: "" });
  assert.match(String(stepOf(run, "GetGroup-missing").error), "unknown partition group raft");
  const group = { namespace: namespace.name, name: "raft", partitions: 3, partitionSize: 1 };
  assert.equal(stepOf(run, "CreateGroup"), { step: "CreateGroup", error: "", group });
  assert.equal(stepOf(run, "GetGroup"), { step: "GetGroup", error: "", group });
  assert.equal(stepOf(run, "GetGroups-after-create"), {
    step: "GetGroups-after-create",
    count: 1,
    groups: [group],
    error: "",
  });
  assert.equal(stepOf(run, "DeleteGroup"), { step: "DeleteGroup", error: "" });
  assert.match(String(stepOf(run, "GetGroup-after-delete").error), "unknown partition group raft");
});

test("EnterElection through the generated stub, candidates on two replicas", async () => {
  const run = await runGoProgram(binary, [
    `--addresses=${replicas.map(address).join(",")}`,
    `--namespace=${namespace.name}`,
    "--scenario=election",
    "--group=go-election",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const firstTerm = run.steps.filter((step) => step.step === "term-1");
  assert.equal(
    firstTerm.map((step) => step.term),
    [1, 2, 3].map(() => ({ term: 1, primary: "member-1", candidates: ["member-1", "member-2", "member-3"] })),
  );
  const secondTerm = run.steps.filter((step) => step.step === "term-2");
  assert.equal(secondTerm.map((step) => step.member), ["member-2", "member-3"]);
  for (const step of secondTerm) {
    assert.equal(step.term, { term: 2, primary: "member-2", candidates: ["member-2", "member-3"] });
    assert.equal(step.termsSeen, [1, 2], `${step.member} saw each term`);
  }
});

test.run();
