// The ReplicatedStatefulSet controller (rss-operator on the runtime): a StatefulSet and a
// headless Service per set, and the set's own commands run in its pods as actions, so the
// replicated application is seeded, promoted, checked, stopped and recovered as the original
// did. Pods are read as related objects (they belong to the StatefulSet); everything the
// algorithm needs to survive a restart is in status.peers and status.pass.
import {
  type ActionResult,
  builtinKinds,
  type CommandAction,
  controller,
  type DesiredObject,
  type Kind,
  type KubeObject,
  objectOf,
  objectsOf,
  readyCondition,
  unchangedChildren,
} from "../../runtime/mod.ts";
import { resolveCommands } from "./commands.ts";
import { ReplicatedStatefulSetKind } from "./crd.ts";
import { headlessService, labelProblems, statefulSet } from "./objects.ts";
import { type PodView, reconcilePeers, replicate } from "./replication.ts";
import { destroyMaxAttempts, stopMembers } from "./stop.ts";
import {
  defaultReconcileIntervalSeconds,
  desiredCounts,
  durationSeconds,
  ordinalOf,
  type Peer,
  podName,
  type ReplicatedStatefulSet,
  requiredCommands,
  type RssStatus,
  selectorLabels,
  statefulSetName,
} from "./types.ts";

export const rssControllerName = "replicatedstatefulset";

type Pod = KubeObject & { status?: { phase?: string } };

/** The set's pods: those its StatefulSet controls, by ordinal. */
export function podViews(
  rss: ReplicatedStatefulSet,
  set: KubeObject | undefined,
  pods: Record<string, Pod>,
): PodView[] {
  if (!set?.metadata.uid) return [];
  const views: PodView[] = [];
  for (const pod of Object.values(pods)) {
    if (!pod.metadata.ownerReferences?.some((owner) => owner.controller && owner.uid === set.metadata.uid)) continue;
    const ordinal = ordinalOf(rss.metadata.name, pod.metadata.name);
    if (ordinal === undefined || !pod.metadata.uid) continue;
    views.push({
      name: pod.metadata.name,
      ordinal,
      uid: pod.metadata.uid,
      online: pod.status?.phase === "Running" && !pod.metadata.deletionTimestamp,
    });
  }
  return views.sort((a, b) => a.ordinal - b.ordinal);
}

/** What only the function can see wrong in a spec the schema accepted. */
export function specProblems(rss: ReplicatedStatefulSet): string[] {
  const spec = rss.spec ?? {};
  const problems = labelProblems(rss);
  if (!spec.pod?.containers?.length) problems.push("spec.pod.containers needs at least one container");
  const missing = requiredCommands.filter((key) => !spec.pod?.commands?.[key]?.command?.length);
  if (missing.length) problems.push(`spec.pod.commands needs ${missing.join(", ")}`);
  if (spec.reconcileInterval !== undefined && durationSeconds(spec.reconcileInterval) === undefined) {
    problems.push(`spec.reconcileInterval "${spec.reconcileInterval}" is not a duration like 30s or 1m`);
  }
  return problems;
}

function members(peers: readonly Peer[]): NonNullable<RssStatus["members"]> {
  const named = (state: Peer["state"]) => peers.filter((p) => p.state === state).map((p) => p.name);
  const ready = peers.filter((p) => p.state === "Primary" || p.state === "Secondary").map((p) => p.name);
  return {
    ready,
    unready: peers.filter((p) => !ready.includes(p.name)).map((p) => p.name),
    primary: named("Primary"),
    secondary: named("Secondary"),
    failed: named("Failed"),
  };
}

interface Progress {
  paused?: boolean;
  removing?: string[];
  waiting?: string;
  activity?: string;
}

export function rssStatus(
  rss: ReplicatedStatefulSet,
  peers: Peer[],
  online: number,
  rest: Partial<RssStatus>,
  progress: Progress,
): RssStatus {
  const { replicas, primaries } = desiredCounts(rss.spec ?? {});
  const list = members(peers);
  const counted = `${list.ready.length} of ${replicas} members ready, ${list.primary.length} of ${primaries} primaries`;
  const failures = peers.filter((p) => p.lastError).map((p) => p.lastError!);
  const ready = list.ready.length === replicas && list.primary.length === primaries && peers.length === replicas &&
    !failures.length;
  const condition = progress.paused
    ? readyCondition(false, "Paused", `spec.paused is set: no commands run (${counted})`)
    : progress.removing?.length
    ? readyCondition(
      false,
      "ScalingDown",
      `stopping ${progress.removing.join(", ")} before removing ${progress.removing.length === 1 ? "it" : "them"}`,
    )
    : failures.length
    ? readyCondition(false, "CommandFailed", `${failures.join("; ")} (${counted}; retrying)`)
    : progress.waiting
    ? readyCondition(false, "Waiting", `${progress.waiting} (${counted})`)
    : ready
    ? readyCondition(true, "MembersReady", counted)
    : readyCondition(false, "Starting", `${counted}${progress.activity ? `; ${progress.activity}` : ""}`);
  return {
    phase: progress.paused ? "Paused" : "Running",
    replicas: online,
    readyReplicas: list.ready.length,
    primaries: list.primary.length,
    members: list,
    peers,
    ...rest,
    conditions: [condition],
  };
}

export function syncRss(
  rss: ReplicatedStatefulSet,
  children: Parameters<typeof objectsOf>[0],
  related: Parameters<typeof objectsOf>[0],
  results: Record<string, ActionResult>,
) {
  const problems = specProblems(rss);
  if (problems.length) {
    return {
      children: unchangedChildren(children),
      status: { ...rss.status, conditions: [readyCondition(false, "InvalidSpec", problems.join("; "))] },
      actions: [] as CommandAction[],
    };
  }
  const spec = rss.spec ?? {};
  const name = rss.metadata.name;
  const { replicas, primaries } = desiredCounts(spec);
  const set = objectOf<KubeObject & { spec?: { replicas?: number } }>(
    children,
    builtinKinds.StatefulSet,
    statefulSetName(name),
  );
  const current = set ? (set.spec?.replicas ?? 0) : replicas;
  const pods = podViews(rss, set, objectsOf<Pod>(related, builtinKinds.Pod));
  const commands = resolveCommands(spec);
  const status = rss.status ?? {};
  const online = pods.filter((pod) => pod.online).length;
  const desired = (size: number): DesiredObject[] => [statefulSet(rss, size), headlessService(rss)];

  if (replicas < current) {
    const peers = reconcilePeers(status.peers ?? [], pods, current, (ordinal) => podName(name, ordinal));
    const plan = spec.paused
      ? { actions: [], pending: pods.filter((p) => p.ordinal >= replicas && p.online).map((p) => p.name) }
      : stopMembers("remove", pods.filter((pod) => pod.ordinal >= replicas), peers, commands, results);
    const done = plan.pending.length === 0;
    const kept = done ? peers.slice(0, replicas) : peers;
    const rest = {
      pass: status.pass,
      failedPasses: status.failedPasses ?? 0,
      ...(status.seed ? { seed: status.seed } : {}),
    };
    return {
      children: desired(done ? replicas : current),
      status: rssStatus(rss, kept, online, rest, { paused: spec.paused, removing: plan.pending }),
      actions: plan.actions,
    };
  }
  if (spec.paused) {
    const peers = reconcilePeers(status.peers ?? [], pods, current, (ordinal) => podName(name, ordinal));
    return {
      children: desired(replicas),
      status: rssStatus(rss, peers, online, { pass: status.pass, failedPasses: status.failedPasses ?? 0 }, {
        paused: true,
      }),
      actions: [] as CommandAction[],
    };
  }
  const outcome = replicate({
    name,
    generation: rss.metadata.generation,
    replicas,
    primaries,
    commands,
    intervalSeconds: durationSeconds(spec.reconcileInterval) || defaultReconcileIntervalSeconds,
    expected: set ? current : 0,
    pods,
    peers: status.peers ?? [],
    pass: status.pass,
    failedPasses: status.failedPasses ?? 0,
    seed: status.seed,
    results,
  });
  const rest = {
    ...(outcome.pass ? { pass: outcome.pass } : {}),
    failedPasses: outcome.failedPasses,
    ...(outcome.seed ? { seed: outcome.seed } : {}),
  };
  const progress = {
    ...(outcome.waiting ? { waiting: outcome.waiting } : {}),
    ...(outcome.activity ? { activity: outcome.activity } : {}),
  };
  const peers = set ? outcome.peers : reconcilePeers([], [], replicas, (ordinal) => podName(name, ordinal));
  return {
    children: desired(replicas),
    status: rssStatus(rss, peers, online, rest, progress),
    actions: outcome.actions,
  };
}

export function finalizeRss(
  rss: ReplicatedStatefulSet,
  children: Parameters<typeof objectsOf>[0],
  related: Parameters<typeof objectsOf>[0],
  results: Record<string, ActionResult>,
) {
  const name = rss.metadata.name;
  const set = objectOf<KubeObject & { spec?: { replicas?: number } }>(
    children,
    builtinKinds.StatefulSet,
    statefulSetName(name),
  );
  const pods = podViews(rss, set, objectsOf<Pod>(related, builtinKinds.Pod));
  const status = rss.status ?? {};
  const expected = Math.max(set?.spec?.replicas ?? 0, ...pods.map((pod) => pod.ordinal + 1));
  const peers = reconcilePeers(status.peers ?? [], pods, expected, (ordinal) => podName(name, ordinal));
  const plan = specProblems(rss).length
    ? { actions: [], pending: [], abandoned: [] }
    : stopMembers("destroy", pods, peers, resolveCommands(rss.spec ?? {}), results, destroyMaxAttempts);
  const online = pods.filter((pod) => pod.online).length;
  const progress = {
    waiting: plan.pending.length
      ? `deleting: stopping ${plan.pending.join(", ")}`
      : "deleting: every member is stopped",
  };
  return {
    children: unchangedChildren(children),
    status: rssStatus(rss, peers, online, { pass: status.pass, failedPasses: status.failedPasses ?? 0 }, progress),
    actions: plan.actions,
    finalized: plan.pending.length === 0,
  };
}

export const replicatedStatefulSets = () =>
  controller<ReplicatedStatefulSet>({
    name: rssControllerName,
    // The function's own types (types.ts) are richer than the CRD where the schema leaves a field
    // open (status.peers and status.pass are kept as written), so they are not the schema's.
    parent: ReplicatedStatefulSetKind as Kind<ReplicatedStatefulSet>,
    children: [builtinKinds.StatefulSet, builtinKinds.Service],
    related: {
      kinds: [builtinKinds.Pod],
      select: (rss) => [{ apiVersion: "v1", kind: "Pod", matchLabels: selectorLabels(rss.metadata.name) }],
    },
    // Its actions are commands in the members: the derived ClusterRole allows pods/exec.
    effects: { commands: true },
    sync: ({ parent, children, related, results }) => syncRss(parent, children, related, results ?? {}),
    finalize: ({ parent, children, related, results }) => finalizeRss(parent, children, related, results ?? {}),
  });
