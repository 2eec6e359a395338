// The rss-operator README flow by kubectl against the real control plane, with the
// application's scripts run in kwok's pods through pods/exec (dev/rss emulates the
// application: one state directory per pod). Create, resize up and down, failover after a
// pod deletion, command failures and their recovery, operator restart recovery, bad input,
// and destroy. The operator runs under its ServiceAccount's own token.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectl, kubectlOrThrow } from "../../../support/kubectl.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import { suite } from "../../../support/suite.ts";
import { type Emulation, startEmulation } from "../../../../dev/rss/emulation.ts";
import { installRssOperator, startRssOperator } from "../../../support/rss-operator.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const example = join(root, "deploy", "examples", "rss-cluster.yaml");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: ReplicatedStatefulSet by kubectl, as the rss-operator README does it");
type Json = Record<string, any>;
let operatorKubeconfig: string;
let operator: SampleProcess;
let emulation: Emulation;
let stateRoot: string;

const k = (...args: string[]) => kubectlOrThrow(admin, args);
const json = async (...args: string[]) => JSON.parse(await k(...args, "-o", "json"));
const rss = (name = "example", namespace = "default") => json("get", "rss", name, "-n", namespace);
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
const ready = (set: Json) => set.status?.conditions?.find((c: Json) => c.type === "Ready");
const stateFile = (pod: string, file: string, namespace = "default") => join(emulation.stateDir(namespace, pod), file);
const log = (pod: string, namespace = "default") =>
  readFileSync(stateFile(pod, "log", namespace), "utf8").trim().split("\n");
/** The set, once Ready=True with `replicas` ready members for its current generation. */
const readyWith = (replicas: number, name = "example", namespace = "default", timeoutMs = 60_000) =>
  eventually(`${name} Ready with ${replicas} members`, async () => {
    const set = await rss(name, namespace);
    return ready(set)?.status === "True" && set.status.observedGeneration === set.metadata.generation &&
        set.status.members.ready.length === replicas
      ? set
      : undefined;
  }, { timeoutMs });
/** When this file began: Events from an earlier run on the same cluster (they outlive their object) are left out. */
const began = Date.now() - 1_000;
const events = async (namespace = "default") =>
  (await json("get", "events.events.k8s.io", "-n", namespace)).items.filter((e: Json) =>
    e.regarding?.kind === "ReplicatedStatefulSet" && Date.parse(e.metadata.creationTimestamp) >= began
  ) as Json[];
const withReplicas = (replicas: number) =>
  readFileSync(example, "utf8").replace("replicas: 3", `replicas: ${replicas}`);
const podUid = async (pod: string, namespace = "default") =>
  (await json("get", "pod", pod, "-n", namespace)).metadata.uid as string;

test.before(async () => {
  operatorKubeconfig = await installRssOperator();
  stateRoot = mkdtempSync(join(tmpdir(), "rss-e2e-"));
  emulation = await startEmulation(admin, stateRoot);
  operator = await startRssOperator("rss-operator-e2e", operatorKubeconfig);
});

test.after(async () => {
  await kubectl(admin, ["delete", "--ignore-not-found", "--wait=false", "-f", example]);
  await operator?.stop();
  await emulation?.stop();
  rmSync(stateRoot, { recursive: true, force: true });
});

test("kubectl create -f rss-cluster.yaml: three members, seeded from the highest sequence, all primaries and ready", async () => {
  // rss-example-1 holds the most recent data (5 writes); the others have none.
  mkdirSync(emulation.stateDir("default", "rss-example-1"), { recursive: true });
  writeFileSync(stateFile("rss-example-1", "seq"), "5\n");
  const started = performance.now();
  await k("create", "-f", example);
  const set = await readyWith(3);
  console.log(`   kubectl create -f rss-cluster.yaml to all 3 members ready: ${seconds(started)} s`);
  assert.equal(set.status.members.primary, ["rss-example-0", "rss-example-1", "rss-example-2"]);
  assert.equal(JSON.parse(await k("get", "rss/example", "-o", "jsonpath={.status.members.ready}")), [
    "rss-example-0",
    "rss-example-1",
    "rss-example-2",
  ]);
  assert.equal(JSON.parse(await k("get", "rss/example", "-o", "jsonpath={.status.members.primary}")), [
    "rss-example-0",
    "rss-example-1",
    "rss-example-2",
  ]);
  assert.is(set.status.seed, "rss-example-1", "the member with the highest sequence seeds the set");
  assert.equal(set.status.peers.map((p: Json) => [p.name, p.state, p.sequence]), [
    ["rss-example-0", "Primary", "0"],
    ["rss-example-1", "Primary", "5"],
    ["rss-example-2", "Primary", "0"],
  ]);
  const pods = await json("get", "pods", "-l", "app=example,rss-operator-managed=true");
  assert.equal(pods.items.map((p: Json) => [p.metadata.name, p.status.phase]).sort(), [["rss-example-0", "Running"], [
    "rss-example-1",
    "Running",
  ], ["rss-example-2", "Running"]]);
  for (const pod of ["rss-example-0", "rss-example-2"]) {
    assert.is(readFileSync(stateFile(pod, "seq"), "utf8").trim(), "5", `${pod} caught up from the seed`);
  }
  assert.match(log("rss-example-1").join("\n"), /^seed ?$/m);
  assert.match(log("rss-example-0").join("\n"), "start rss-example-1.example-svc");
  // kubectl exec runs the same script on this machine; kwok returns 8 (running as primary) as exit status 8 in its message.
  const check = await kubectl(admin, ["exec", "rss-example-0", "--", "/check.sh"]);
  assert.match(check.stderr, "exit status 8");
  assert.is((await k("exec", "rss-example-0", "--", "/sequence.sh")).trim(), "5");
  const reasons = (await events()).map((e) => `${e.reason}: ${e.note}`);
  assert.ok(reasons.some((r) => r.startsWith("Seeded: seeded rss-example-1")), reasons.join("\n"));
  assert.equal(reasons.filter((r) => r.startsWith("Promoted")).length, 2);
  const service = await json("get", "service", "example-svc");
  assert.equal([service.spec.clusterIP, service.spec.selector], ["None", {
    app: "example",
    "rss-operator-managed": "true",
  }]);
});

test("kubectl get rss: short name and printer columns replicas, primaries, ready, age", async () => {
  assert.match(await k("get", "rss"), /NAME\s+REPLICAS\s+PRIMARIES\s+READY\s+AGE\nexample\s+3\s+3\s+3\s+/);
  assert.match(await k("get", "replicatedstatefulsets", "-o", "name"), "replicatedstatefulset.clusterlabs.org/example");
});

test("resize: replicas 5 by kubectl apply starts the new members as primaries; back to 3 runs stop on the removed ones before their pods go", async () => {
  const up = await kubectl(admin, ["apply", "-f", "-"], withReplicas(5));
  assert.is(up.code, 0, up.stderr);
  let set = await readyWith(5);
  assert.equal(set.status.members.primary.length, 5);
  for (const pod of ["rss-example-3", "rss-example-4"]) {
    assert.is(readFileSync(stateFile(pod, "seq"), "utf8").trim(), "5", `${pod} replicated from the primaries`);
  }
  const down = await kubectl(admin, ["apply", "-f", "-"], withReplicas(3));
  assert.is(down.code, 0, down.stderr);
  set = await readyWith(3);
  await eventually(
    "pods 3 and 4 gone",
    async () => (await json("get", "pods", "-l", "app=example")).items.length === 3,
  );
  for (const pod of ["rss-example-3", "rss-example-4"]) {
    await eventually(`${pod}'s deletion in its log`, () => log(pod).at(-1)?.startsWith("pod deleted"));
    assert.equal(log(pod).slice(-2), ["stop ", "pod deleted (stopped)"], `${pod}: stop ran, then the pod went`);
  }
  assert.equal(set.status.peers.map((p: Json) => p.name), ["rss-example-0", "rss-example-1", "rss-example-2"]);
  assert.equal((await json("get", "statefulset", "rss-example")).spec.replicas, 3);
});

test("failover: kubectl delete pod rss-example-0 --now; the new pod is brought back in, the others re-evaluated by sequence", async () => {
  const before = await podUid("rss-example-0");
  const sequencesBefore = log("rss-example-1").filter((line) => line.startsWith("sequence")).length;
  const started = performance.now();
  await k("delete", "pod", "rss-example-0", "--now");
  const set = await eventually("rss-example-0 back as a primary", async () => {
    const current = await rss();
    const peer = current.status.peers.find((p: Json) => p.name === "rss-example-0");
    return peer.uid !== before && peer.state === "Primary" && ready(current)?.status === "True" ? current : undefined;
  });
  console.log(`   pod rss-example-0 deleted to all 3 members ready again: ${seconds(started)} s`);
  assert.equal(set.status.members.primary, ["rss-example-0", "rss-example-1", "rss-example-2"]);
  assert.ok(
    log("rss-example-1").filter((line) => line.startsWith("sequence")).length > sequencesBefore,
    "sequence ran again on the remaining members",
  );
  assert.match(log("rss-example-0").at(-1)!, /^start rss-example-1\.example-svc rss-example-2\.example-svc$/);
});

test("a failing status command: Ready=False naming the member, the command and its result; a Warning Event with stderr; recovery once it works", async () => {
  writeFileSync(stateFile("rss-example-2", "fail-check"), "1");
  try {
    const failed = await eventually("CommandFailed", async () => {
      const set = await rss();
      return ready(set)?.reason === "CommandFailed" ? set : undefined;
    });
    assert.match(
      ready(failed).message,
      "status (/check.sh) on rss-example-2: exit code 1: rss-example-2: check failed (injected fault)",
    );
    assert.match(failed.status.peers[2].lastError, "status (/check.sh) on rss-example-2: exit code 1");
    const warning = await eventually(
      "a StatusFailed event",
      async () => (await events()).find((e) => e.reason === "StatusFailed"),
    );
    assert.is(warning.type, "Warning");
    assert.match(
      warning.note,
      "status (/check.sh) on rss-example-2: exit code 1: rss-example-2: check failed (injected fault)",
    );
  } finally {
    rmSync(stateFile("rss-example-2", "fail-check"), { force: true });
  }
  const set = await readyWith(3);
  assert.equal(set.status.members.failed, []);
});

test("operator recovery: with the operator stopped a member pod is deleted; the restarted operator recovers from status and the set is healthy again", async () => {
  const passBefore = (await rss()).status.pass.number;
  assert.is(await operator.stop(), 0);
  const before = await podUid("rss-example-1");
  await k("delete", "pod", "rss-example-1", "--now");
  const after = await eventually("the StatefulSet to recreate rss-example-1", async () => {
    const pod = await json("get", "pod", "rss-example-1").catch(() => undefined);
    return pod && pod.metadata.uid !== before && pod.status.phase === "Running" ? pod.metadata.uid : undefined;
  });
  const stale = await rss();
  assert.is(stale.status.peers[1].uid, before, "nobody updated the status while the operator was down");
  const started = performance.now();
  operator = await startRssOperator("rss-operator-e2e-2", operatorKubeconfig);
  const set = await eventually("rss-example-1 back as a primary", async () => {
    const current = await rss();
    return current.status.peers[1].uid === after && current.status.peers[1].state === "Primary" &&
        ready(current)?.status === "True"
      ? current
      : undefined;
  });
  console.log(`   operator restarted to all 3 members ready: ${seconds(started)} s`);
  assert.ok(set.status.pass.number > passBefore);
  assert.equal(set.status.members.primary, ["rss-example-0", "rss-example-1", "rss-example-2"]);
});

test("bad input: the schema refuses it with messages that name the field", async () => {
  const base = readFileSync(example, "utf8").replace("name: example", "name: bad");
  const refusals: Array<[string, string]> = [
    [base.replace("replicas: 3", "replicas: -1"), "spec.replicas: Invalid value: -1"],
    [base.replace("reconcileInterval: 30s", "reconcileInterval: 30 seconds"), "spec.reconcileInterval"],
    [base.replace('command: ["/stop.sh"]', "command: []"), "spec.pod.commands.stop.command"],
    [
      base.replace('command: ["/check.sh"]', 'command: ["/check.sh"]\n        container: nope'),
      "spec.pod.commands.status.container must name one of spec.pod.containers",
    ],
    [
      base.replace(/      status:\n        timeout: 60s\n        command: \["\/check.sh"\]\n/, ""),
      "spec.pod.commands.status: Required value",
    ],
    [base.replace("timeout: 60s", "timeout: soon"), "spec.pod.commands.status.timeout"],
  ];
  for (const [manifest, message] of refusals) {
    const result = await kubectl(admin, ["create", "--dry-run=server", "-f", "-"], manifest);
    assert.is.not(result.code, 0, message);
    assert.match(result.stderr, message);
  }
});

test("a command whose script the container lacks, and one that times out: conditions naming member, command and result; deleting the set still stops its members", async () => {
  const namespace = await freshNamespace(testKubeConfig(), "rss-broken");
  try {
    const manifest = readFileSync(example, "utf8")
      .replace("name: example", "name: broken")
      .replace("replicas: 3", "replicas: 1")
      .replace('command: ["/sequence.sh"]', 'command: ["/no/such/sequence.sh"]');
    await kubectlOrThrow(admin, ["create", "-n", namespace.name, "-f", "-"], manifest);
    const set = await eventually("SequenceFailed in the condition", async () => {
      const current = await rss("broken", namespace.name);
      return ready(current)?.reason === "CommandFailed" ? current : undefined;
    });
    assert.match(ready(set).message, "sequence (/no/such/sequence.sh) on rss-broken-0:");
    assert.match(ready(set).message, "no such file or directory");
    // A status check that hangs beyond its 1 s timeout.
    // The sequence script fixed, and a status check that hangs beyond a 1 s timeout.
    writeFileSync(stateFile("rss-broken-0", "sleep-check", namespace.name), "5");
    await kubectlOrThrow(admin, [
      "patch",
      "rss",
      "broken",
      "-n",
      namespace.name,
      "--type=json",
      "-p",
      JSON.stringify([
        { op: "replace", path: "/spec/pod/commands/status/timeout", value: "1s" },
        { op: "replace", path: "/spec/pod/commands/sequence/command", value: ["/sequence.sh"] },
      ]),
    ]);
    const slow = await eventually("the timeout in the condition", async () => {
      const current = await rss("broken", namespace.name);
      return /status \(\/check\.sh\) on rss-broken-0: timed out after 1 s/.test(ready(current)?.message ?? "")
        ? current
        : undefined;
    }, { timeoutMs: 90_000 });
    assert.is(ready(slow).status, "False");
    rmSync(stateFile("rss-broken-0", "sleep-check", namespace.name), { force: true });
    await kubectlOrThrow(admin, ["delete", "rss", "broken", "-n", namespace.name, "--timeout=60s"]);
    await eventually(
      "rss-broken-0 gone",
      async () => (await json("get", "pods", "-n", namespace.name)).items.length === 0,
    );
    assert.ok(log("rss-broken-0", namespace.name).includes("stop "), "stop ran on deletion");
  } finally {
    await namespace.remove();
  }
});

test("destroy: kubectl delete -f rss-cluster.yaml stops every member before its pod goes, and leaves nothing", async () => {
  await k("delete", "-f", example, "--timeout=60s");
  await eventually(
    "no pods, StatefulSet or Service",
    async () => (await json("get", "pods,statefulsets,services", "-l", "app=example")).items.length === 0,
  );
  for (const pod of ["rss-example-0", "rss-example-1", "rss-example-2"]) {
    await eventually(`${pod}'s deletion in its log`, () => log(pod).at(-1)?.startsWith("pod deleted"));
    assert.equal(log(pod).slice(-2), ["stop ", "pod deleted (stopped)"], `${pod}: stop, then the pod went`);
  }
  const stopped = (await events()).filter((e) => e.reason === "Stopped" && e.note.includes("the set is being deleted"));
  assert.is(stopped.length, 3);
  assert.is((await kubectl(admin, ["get", "rss", "example"])).code, 1);
});

test.run();
