// Leader kills while the replication operator runs commands in pods: two operator replicas on a
// 4 s Lease, and the Lease holder killed with SIGKILL the moment a resize 3 → 5 starts its first
// new member, the moment a resize back to 3 stops its first removed member, and right after a
// failover begins. Each time a replacement replica starts, and the survivor must finish the job
// with every member started or stopped exactly once (the emulated application's own log of the
// commands it ran says so) and the set Ready with the right members.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { type Emulation, startEmulation } from "../../../../dev/rss/emulation.ts";
import { rssOperatorNamespace } from "../../../../functions/rss-operator/manifest.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectlOrThrow } from "../../../support/kubectl.ts";
import { installRssOperator, startRssOperator } from "../../../support/rss-operator.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import { suite } from "../../../support/suite.ts";
import { shortLease as election } from "../../../support/election.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const example = join(root, "deploy", "examples", "rss-cluster.yaml");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: ReplicatedStatefulSet through leader kills mid-command");
type Json = Record<string, any>;
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let kubeconfig: string;
let emulation: Emulation;
let stateRoot: string;
const replicas = new Map<string, SampleProcess>();
let replacements = 0;

const ns = () => namespace.name;
const k = (...args: string[]) => kubectlOrThrow(admin, args);
const json = async (...args: string[]) => JSON.parse(await k(...args, "-n", ns(), "-o", "json"));
const apply = (count: number) =>
  kubectlOrThrow(
    admin,
    ["apply", "-n", ns(), "-f", "-"],
    readFileSync(example, "utf8").replace("replicas: 3", `replicas: ${count}`),
  );
/** The commands the member's application ran, oldest first (its disk outlives its pods). */
const log = (pod: string): string[] => {
  try {
    return readFileSync(join(emulation.stateDir(ns(), pod), "log"), "utf8").trim().split("\n");
  } catch {
    return [];
  }
};
/** How many times the member was started (as the first primary, a primary or a secondary) or stopped. */
const starts = (pod: string) => log(pod).filter((line) => /^(seed|start|secondary)\b/.test(line)).length;
const stops = (pod: string) => log(pod).filter((line) => /^stop\b/.test(line)).length;
const readyWith = (count: number) =>
  eventually(`the set Ready with ${count} members`, async () => {
    const set = await json("get", "rss", "example");
    const ready = set.status?.conditions?.find((c: Json) => c.type === "Ready");
    return ready?.status === "True" && set.status.observedGeneration === set.metadata.generation &&
        set.status.members.ready.length === count
      ? set
      : undefined;
  }, { timeoutMs: 120_000 });

async function startReplica(identity: string, waitFor: "leader" | "ready"): Promise<void> {
  const replica = waitFor === "leader" ? await startRssOperator(identity, kubeconfig, election) : await (async () => {
    const { startSample } = await import("../../../support/sample.ts");
    const started = await startSample({
      script: join(root, "functions", "rss-operator", "main.ts"),
      identity,
      kubeconfig,
      args: [`--leader-election-namespace=${rssOperatorNamespace}`, ...election],
    });
    await eventually(`${identity} to be ready`, async () => (await started.readyz()).ready);
    return started;
  })();
  replicas.set(identity, replica);
}

/** Kills the Lease holder once `when` holds, starts a replacement, and waits for a live leader. */
async function killLeaderWhen(what: string, when: () => boolean): Promise<string> {
  await eventually(what, when, { intervalMs: 20, timeoutMs: 60_000 });
  let leader: string | undefined;
  for (const [identity, replica] of replicas) if ((await replica.readyz()).leader) leader = identity;
  if (!leader) throw new Error("no replica leads");
  await replicas.get(leader)!.stop("SIGKILL");
  replicas.delete(leader);
  await startReplica(`rss-chaos-${++replacements}`, "ready");
  await eventually("a live replica to lead", async () => {
    for (const replica of replicas.values()) if ((await replica.readyz()).leader) return true;
    return false;
  }, { timeoutMs: 30_000, intervalMs: 100 });
  return leader;
}

test.before(async () => {
  kubeconfig = await installRssOperator();
  namespace = await freshNamespace(testKubeConfig(), "rss-chaos");
  stateRoot = mkdtempSync(join(tmpdir(), "rss-chaos-"));
  emulation = await startEmulation(admin, stateRoot);
  await startReplica("rss-chaos-a", "leader");
  await startReplica("rss-chaos-b", "ready");
  await apply(3);
  await readyWith(3);
});

test.after(async () => {
  for (const replica of replicas.values()) await replica.stop("SIGKILL");
  await namespace?.remove();
  await emulation?.stop();
  rmSync(stateRoot, { recursive: true, force: true });
});

test("killed as a resize to 5 starts its first new member: each new member starts exactly once", async () => {
  const before = ["rss-example-0", "rss-example-1", "rss-example-2"].map(starts);
  await apply(5);
  await killLeaderWhen("the first new member to start", () => starts("rss-example-3") + starts("rss-example-4") > 0);
  const set = await readyWith(5);
  assert.equal(set.status.members.primary.length, 5);
  assert.equal([starts("rss-example-3"), starts("rss-example-4")], [1, 1], "each new member started once");
  assert.equal(["rss-example-0", "rss-example-1", "rss-example-2"].map(starts), before, "the others not again");
});

test("killed as the resize back to 3 stops its first member: each removed member stops exactly once", async () => {
  await apply(3);
  await killLeaderWhen("the first removed member to stop", () => stops("rss-example-3") + stops("rss-example-4") > 0);
  await readyWith(3);
  await eventually(
    "pods 3 and 4 gone",
    async () => (await json("get", "pods", "-l", "app=example")).items.length === 3,
  );
  assert.equal([stops("rss-example-3"), stops("rss-example-4")], [1, 1], "each removed member stopped once");
});

test("killed right after a failover begins: the new pod is started once and the set is whole", async () => {
  const startsBefore = starts("rss-example-0");
  const uid = (await json("get", "pod", "rss-example-0")).metadata.uid;
  await k("delete", "pod", "rss-example-0", "--now", "-n", ns());
  await killLeaderWhen("the new pod of rss-example-0", () => true);
  const set = await eventually("rss-example-0 back as a primary", async () => {
    const current = await json("get", "rss", "example");
    const peer = current.status?.peers?.find((p: Json) => p.name === "rss-example-0");
    const ready = current.status?.conditions?.find((c: Json) => c.type === "Ready");
    return peer?.uid !== uid && peer?.state === "Primary" && ready?.status === "True" ? current : undefined;
  }, { timeoutMs: 120_000 });
  assert.equal(set.status.members.primary, ["rss-example-0", "rss-example-1", "rss-example-2"]);
  assert.is(starts("rss-example-0"), startsBefore + 1, "the new pod was started once");
});

test.run();
