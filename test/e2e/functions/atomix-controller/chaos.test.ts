// Leader kills during convergence: two replicas of the Atomix controller on a short Lease, many
// PartitionGroups created at once, and the Lease holder killed with SIGKILL at random moments
// (then started again) while they converge. Afterwards every group must own exactly what a
// group converged without faults owns (Partitions, StatefulSets, Services, ConfigMaps, PDBs,
// EndpointSlices, by name pattern and owner), nothing may be owned by an object that is gone,
// and deleting the groups must leave nothing. CI runs a small round; the full one is
//   CHAOS_GROUPS=200 CHAOS_KILLS=20 node test/run.ts atomix-controller/chaos
import * as assert from "uvu/assert";
import { PartitionGroupKind, PartitionKind } from "../../../../functions/atomix-controller/kinds.ts";
import { builtinKinds, type Kind, type KubeObject } from "../../../../runtime/mod.ts";
import { KubeClient } from "../../../../runtime/run.ts";
import { startAtomixController } from "../../../support/atomix.ts";
import { seededRandom } from "../../../support/fuzz-bodies.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import { suite } from "../../../support/suite.ts";
import { shortLease as election } from "../../../support/election.ts";

const groups = Number(process.env.CHAOS_GROUPS ?? 12);
const kills = Number(process.env.CHAOS_KILLS ?? 3);
const seed = Number(process.env.CHAOS_SEED ?? 7);

const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite(`e2e: ${groups} partition groups through ${kills} leader kills (seed ${seed})`);
const childKinds: Kind[] = [
  PartitionKind,
  builtinKinds.StatefulSet,
  builtinKinds.Service,
  builtinKinds.ConfigMap,
  builtinKinds.PodDisruptionBudget,
  builtinKinds.EndpointSlice,
];
const replicas = new Map<string, SampleProcess>();
let chaos: Awaited<ReturnType<typeof freshNamespace>>;
let control: Awaited<ReturnType<typeof freshNamespace>>;

const group = (name: string, namespace: string): KubeObject => ({
  apiVersion: PartitionGroupKind.apiVersion,
  kind: "PartitionGroup",
  metadata: { name, namespace },
  spec: { partitions: 2, partitionSize: 1, raft: {} },
});

/** Whether the groups' controllers made it: something controls it, and not Kubernetes' endpoint controller. */
const ours = (object: KubeObject) =>
  object.metadata.ownerReferences?.some((reference) => reference.controller) === true &&
  object.metadata.labels?.["endpointslice.kubernetes.io/managed-by"] !== "endpointslice-controller.k8s.io";

/** What a namespace's groups own, transitively, as "Kind <name with the group's name as $>" per group; and orphans. */
async function owned(namespace: string): Promise<{ byGroup: Map<string, string[]>; orphans: string[] }> {
  const groupsByUid = new Map(
    (await client.list(PartitionGroupKind, { namespace })).items.map((g) => [g.metadata.uid!, g.metadata.name]),
  );
  const objects = (await Promise.all(childKinds.map((kind) => client.list(kind, { namespace })))).flatMap((list) =>
    list.items
  );
  const byUid = new Map(objects.map((object) => [object.metadata.uid!, object]));
  const rootOf = (object: KubeObject, depth = 0): string | undefined => {
    const owner = object.metadata.ownerReferences?.find((reference) => reference.controller);
    if (!owner || depth > 3) return undefined;
    if (groupsByUid.has(owner.uid)) return groupsByUid.get(owner.uid);
    const parent = byUid.get(owner.uid);
    return parent ? rootOf(parent, depth + 1) : undefined;
  };
  const byGroup = new Map<string, string[]>();
  const orphans: string[] = [];
  for (const object of objects) {
    // Objects nobody controls (the kube-root-ca ConfigMap) and the EndpointSlices Kubernetes
    // makes for Services are not the groups'.
    if (!ours(object)) continue;
    const root = rootOf(object);
    if (!root) {
      orphans.push(`${object.kind} ${object.metadata.name}`);
      continue;
    }
    const pattern = `${object.kind} ${object.metadata.name.replace(root, "$")}`;
    byGroup.set(root, [...(byGroup.get(root) ?? []), pattern].sort());
  }
  return { byGroup, orphans };
}

async function startReplica(identity: string, waitFor: "leader" | "ready"): Promise<SampleProcess> {
  const { controller } = await startAtomixController(identity, waitFor, { args: election });
  replicas.set(identity, controller);
  return controller;
}

const holder = async () =>
  ((await client.get(builtinKinds.Lease, "kube-system", "atomix-controller")).spec as { holderIdentity?: string })
    .holderIdentity ?? "";

test.before(async () => {
  await startReplica("chaos-a", "leader");
  await startReplica("chaos-b", "ready");
  chaos = await freshNamespace(config, "chaos");
  control = await freshNamespace(config, "chaos-control");
});

test.after(async () => {
  for (const replica of replicas.values()) await replica.stop();
  await chaos?.remove();
  await control?.remove();
});

test("every group owns exactly what a group converged without faults owns; nothing orphaned", async () => {
  // The reference: one group converged with no kill.
  await client.create(PartitionGroupKind, group("ref", control.name));
  const reference = await eventually("the reference group to converge", async () => {
    const { byGroup } = await owned(control.name);
    const patterns = byGroup.get("ref") ?? [];
    const ready = await client.get(PartitionGroupKind, control.name, "ref");
    return (ready as { status?: { readyPartitions?: number } }).status?.readyPartitions === 2 ? patterns : undefined;
  }, { timeoutMs: 120_000 });
  assert.ok(reference.length >= 10, `the reference owns ${reference.join(", ")}`);

  const random = seededRandom(seed);
  const names = Array.from({ length: groups }, (_, index) => `g${index}`);
  const started = performance.now();
  const creating = Promise.all(names.map((name) => client.create(PartitionGroupKind, group(name, chaos.name))));
  let lastKill = started;
  const handoffs: number[] = [];
  for (let kill = 0; kill < kills; kill++) {
    await new Promise((resolve) => setTimeout(resolve, 500 + random() * 2_500));
    const identity = await eventually("a Lease holder", holder);
    const victim = replicas.get(identity);
    if (!victim) throw new Error(`the Lease is held by ${identity}, which is not one of ours`);
    await victim.stop("SIGKILL");
    replicas.delete(identity);
    lastKill = performance.now();
    // A replacement comes up as a new pod would, with an identity of its own; the survivor
    // takes over once the Lease expires.
    await startReplica(`chaos-${kill}`, "ready");
    const leader = await eventually("a live replica to lead", async () => {
      for (const [name, replica] of replicas) if ((await replica.readyz()).leader) return name;
      return undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    handoffs.push(Math.round(performance.now() - lastKill));
    assert.is.not(leader, identity);
  }
  await creating;

  const result = await eventually("every group to own what the reference owns", async () => {
    const { byGroup, orphans } = await owned(chaos.name);
    const wrong = names.filter((name) => (byGroup.get(name) ?? []).join("|") !== reference.join("|"));
    return wrong.length === 0 && orphans.length === 0 ? { byGroup, orphans } : undefined;
  }, { timeoutMs: 300_000 }).catch(async (error: Error) => {
    const { byGroup, orphans } = await owned(chaos.name);
    const wrong = names.filter((name) => (byGroup.get(name) ?? []).join("|") !== reference.join("|"));
    throw new Error(
      `${error.message}\nreference: ${reference.join(", ")}\n${wrong.length} groups differ, e.g. ${wrong[0]}: ${
        (byGroup.get(wrong[0]!) ?? []).join(", ")
      }\norphans: ${orphans.join(", ")}`,
    );
  });
  const convergedMs = Math.round(performance.now() - lastKill);
  console.error(
    `[chaos] ${groups} groups, ${kills} kills: hand-offs ${handoffs.join(", ")} ms; converged ${convergedMs} ms ` +
      `after the last kill (${Math.round((performance.now() - started) / 1000)} s in all)`,
  );
  assert.is(result.orphans.length, 0);
  assert.is(result.byGroup.size, groups);
});

test("deleting every group leaves nothing behind", async () => {
  await Promise.all(
    Array.from({ length: groups }, (_, index) => client.delete(PartitionGroupKind, chaos.name, `g${index}`)),
  );
  const started = performance.now();
  const left = async () => {
    const groupsLeft = (await client.list(PartitionGroupKind, { namespace: chaos.name })).items;
    const kinds = await Promise.all(
      childKinds.map(async (kind) => [kind.kind, (await client.list(kind, { namespace: chaos.name })).items]),
    );
    return [
      ...(groupsLeft.length
        ? [`${groupsLeft.length} PartitionGroups (finalizers: ${groupsLeft[0]!.metadata.finalizers?.join(",")})`]
        : []),
      ...kinds.map(([kind, items]) => [kind, (items as KubeObject[]).filter(ours)])
        .filter(([, items]) => (items as KubeObject[]).length)
        .map(([kind, items]) => `${(items as KubeObject[]).length} ${kind}`),
    ];
  };
  await eventually("every group and what it owned to be gone", async () => (await left()).length === 0, {
    timeoutMs: 120_000 + groups * 1_000,
  }).catch(async (error: Error) => {
    throw new Error(`${error.message}; left: ${(await left()).join(", ")}`);
  });
  console.error(`[chaos] ${groups} groups and all they owned deleted in ${Math.round(performance.now() - started)} ms`);
});

test.run();
