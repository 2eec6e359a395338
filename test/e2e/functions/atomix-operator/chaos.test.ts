// Leader kills while the Atomix operator applies merge patches: two operator replicas on a 4 s
// Lease and five patches in a row, each adding or removing partition groups (or both). The
// Lease holder is killed with SIGKILL the moment its first write for the patch lands (a group's
// StatefulSet added or deleted), and a replacement replica starts. After each kill the survivor
// must converge within the Lease and a few seconds with exactly the objects of the groups the
// cluster now names: each once, each controlled by the cluster, nothing of a removed group left,
// no error logged; and once the cluster is deleted, nothing of it anywhere in the namespace.
import * as assert from "uvu/assert";
import { AtomixClusterKind } from "../../../../functions/atomix-operator/crd.ts";
import { builtinKinds } from "../../../../runtime/mod.ts";
import { KubeClient } from "../../../../runtime/run.ts";
import {
  clusterGone,
  createVolumes,
  installOperator,
  startOperator,
  type Volumes,
} from "../../../support/atomix-operator.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectlOrThrow } from "../../../support/kubectl.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import { suite } from "../../../support/suite.ts";
import { leaseBoundMs, shortLease as election } from "../../../support/election.ts";

const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: AtomixCluster through five leader kills mid-patch");
const C = "chaos";
const disks = "chaos-disks";
type Json = Record<string, any>;
type Groups = Record<string, number>;

/** The primary-backup groups (name → size) after each patch; a raft group on a volume stays throughout. */
const rounds: Groups[] = [
  { "pb-a": 2 },
  { "pb-b": 1 },
  { "pb-a": 1, "pb-b": 1, "pb-c": 2 },
  { "pb-a": 1 },
  { "pb-b": 2, "pb-c": 1 },
];

let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let volumes: Volumes;
let kubeconfig: string;
const replicas = new Map<string, SampleProcess>();
let replacements = 0;
const client = new KubeClient(testKubeConfig());
const k = (...args: string[]) => kubectlOrThrow(admin, args);
const json = async (...args: string[]) => JSON.parse(await k(...args, "-n", namespace.name, "-o", "json"));
const groupSets = () => ({ namespace: namespace.name, labelSelector: `app=${C},type=group` });

const spec = (groups: Groups) => ({
  managementGroup: { storage: { className: disks } },
  partitionGroups: [
    { name: "raft", size: 1, raft: { storage: { className: disks } } },
    ...Object.entries(groups).map(([name, size]) => ({ name, size, partitions: 3, primaryBackup: {} })),
  ],
});

/** What the cluster must own with these groups, as Kind/name. */
function expectedObjects(groups: Groups): string[] {
  const names = ["raft", ...Object.keys(groups)];
  return [
    `ConfigMap/${C}-config`,
    ...names.map((g) => `ConfigMap/${C}-${g}-config`),
    `Service/${C}-service`,
    ...names.map((g) => `Service/${C}-${g}-service`),
    `StatefulSet/${C}`,
    ...names.map((g) => `StatefulSet/${C}-${g}`),
  ].sort();
}

async function leader(): Promise<string | undefined> {
  for (const [identity, replica] of replicas) if ((await replica.readyz()).leader) return identity;
  return undefined;
}

test.before(async () => {
  namespace = await freshNamespace(testKubeConfig(), "e2e-atomix-chaos");
  volumes = await createVolumes(disks, 4);
  kubeconfig = await installOperator();
  replicas.set("chaos-a", await startOperator("chaos-a", kubeconfig, { args: election }));
  replicas.set("chaos-b", await startOperator("chaos-b", kubeconfig, { waitFor: "ready", args: election }));
  await client.create(AtomixClusterKind, {
    apiVersion: AtomixClusterKind.apiVersion,
    kind: AtomixClusterKind.kind,
    metadata: { name: C, namespace: namespace.name },
    spec: spec({}),
  });
  await k("wait", "-n", namespace.name, "--for=condition=Ready", `atomixcluster/${C}`, "--timeout=60s");
});

test.after(async () => {
  await Promise.all([...replicas.values()].map((replica) => replica.stop("SIGKILL")));
  await volumes?.remove();
  await namespace?.remove();
});

for (const [round, groups] of rounds.entries()) {
  test(`patch ${round + 1} (${Object.keys(groups).join(", ") || "raft only"}): the leader killed at its first write`, async () => {
    const before = new Set(
      (await client.list(builtinKinds.StatefulSet, groupSets())).items.map((s) => s.metadata.name),
    );
    const { resourceVersion } = await client.list(builtinKinds.StatefulSet, groupSets());
    const stopWatching = new AbortController();
    // The leader's first write for the patch: a group's StatefulSet added or deleted.
    const firstWrite = (async () => {
      for await (
        const event of client.watch(builtinKinds.StatefulSet, {
          ...groupSets(),
          resourceVersion,
          timeoutSeconds: 60,
          signal: stopWatching.signal,
        })
      ) {
        const name = event.type === "BOOKMARK" ? undefined : event.object.metadata.name;
        if (event.type === "ADDED" && name && !before.has(name)) return;
        if (event.type === "DELETED") return;
      }
      throw new Error("the watch ended before the leader wrote for the patch");
    })();
    const patched = performance.now();
    // A merge patch replaces the list whole: groups left out are removed.
    await client.patch(AtomixClusterKind, namespace.name, C, { spec: spec(groups) }, "merge");
    await firstWrite;
    const killed = await leader();
    if (!killed) throw new Error("no replica leads");
    const victim = replicas.get(killed)!;
    await victim.stop("SIGKILL");
    replicas.delete(killed);
    stopWatching.abort();
    const killedAt = performance.now();
    const identity = `chaos-r${++replacements}`;
    replicas.set(identity, await startOperator(identity, kubeconfig, { waitFor: "ready", args: election }));

    await eventually("a live replica to lead", async () => (await leader()) !== undefined, {
      timeoutMs: leaseBoundMs + 5_000,
      intervalMs: 100,
    });
    const handOff = performance.now() - killedAt;
    const cluster = await eventually("the cluster converged on the patch", async () => {
      const current = await json("get", "atomixcluster", C);
      const ready = current.status?.conditions?.find((c: Json) => c.type === "Ready");
      return ready?.status === "True" && current.status.observedGeneration === current.metadata.generation
        ? current
        : undefined;
    }, { timeoutMs: 90_000 });
    const converged = performance.now() - killedAt;
    console.log(
      `   ${killed} killed ${(killedAt - patched).toFixed(0)} ms after the patch; a new leader in ${
        (handOff / 1000).toFixed(1)
      } s, converged ${(converged / 1000).toFixed(1)} s after the kill`,
    );
    assert.ok(converged < leaseBoundMs + 30_000, "converged within the Lease and 30 s of the kill");
    assert.equal(
      cluster.status.partitionGroups.map((g: Json) => g.name).sort(),
      ["raft", ...Object.keys(groups)].sort(),
    );

    const owned = await json("get", "statefulsets,services,configmaps", "-l", `app=${C}`);
    assert.equal(owned.items.map((o: Json) => `${o.kind}/${o.metadata.name}`).sort(), expectedObjects(groups));
    for (const object of owned.items) {
      assert.equal(
        object.metadata.ownerReferences.map((o: Json) => [o.kind, o.name, o.uid, o.controller]),
        [["AtomixCluster", C, cluster.metadata.uid, true]],
        object.metadata.name,
      );
    }
    const sizes = { raft: 1, ...groups } as Groups;
    for (const [group, size] of Object.entries(sizes)) {
      const set = owned.items.find((o: Json) => o.kind === "StatefulSet" && o.metadata.name === `${C}-${group}`);
      assert.is(set.spec.replicas, size, `${group}'s size`);
    }
    const live = [...replicas.values()];
    for (const replica of live) {
      assert.equal(replica.logs.filter((line) => line.includes('"level":"error"')), [], "no errors logged");
    }
  });
}

test("deleting the cluster leaves nothing of it", async () => {
  await k("delete", "atomixcluster", C, "-n", namespace.name);
  await clusterGone(namespace.name, C);
});

test.run();
