// The replication algorithm of rss-operator as a pure function of what the status recorded
// and what the commands answered. A pass runs, in order: `status` on every member (check),
// `stop` on those whose check failed (recover), `sequence` on every member when the
// primaries or members are short (sequence), then one start at a time (start): seed the
// member with the highest sequence when there is no primary, promote members until there
// are spec.primaries, stop surplus primaries, start secondaries up to spec.replicas. Then
// the next pass checks again after reconcileInterval (sooner after a failure).
//
// Everything a restart needs is in the status (peers, the pass and its step); the action
// ids name the pass, step and member, so the same input gives the same actions. An action
// of the current step that the runtime does not know was lost (the operator restarted, or
// a new leader took over), or that the runtime reports interrupted (a previous leader started
// it and never recorded its end), is not a failure of the member: the pass starts over from the
// status checks, as the original rebuilt its state after a restart, so nothing runs twice. A change in the running pods starts a new pass at once.
import type { ActionResult, CommandAction } from "../../runtime/mod.ts";
import {
  commandAction,
  type Commands,
  failureText,
  finished,
  parseSequence,
  stateFromStatus,
  statusExitCodes,
} from "./commands.ts";
import { applyStart, buildStart, count, describeStart, nextStart, type StartKind } from "./starts.ts";
import type { CommandName, Pass, Peer, Step } from "./types.ts";
import type { PodView, ReplicationInput } from "./replication-input.ts";

export type { PodView, ReplicationInput } from "./replication-input.ts";

export interface ReplicationOutput {
  peers: Peer[];
  pass?: Pass | undefined;
  failedPasses: number;
  seed?: string | undefined;
  actions: CommandAction[];
  /** Why the pass cannot go on, when it cannot. */
  waiting?: string;
  /** The start in flight, in words. */
  activity?: string;
}

/** Peers for members 0..expected-1, carried over while their pod is the same one. */
export function reconcilePeers(
  peers: readonly Peer[],
  pods: readonly PodView[],
  expected: number,
  podName: (ordinal: number) => string,
): Peer[] {
  const byName = new Map(peers.map((peer) => [peer.name, peer]));
  const podByName = new Map(pods.map((pod) => [pod.name, pod]));
  return Array.from({ length: expected }, (_, ordinal) => {
    const name = podName(ordinal);
    const pod = podByName.get(name);
    const known = byName.get(name);
    if (!pod) {
      return {
        name,
        state: "Unknown",
        failures: known?.failures ?? 0,
        ...(known?.lastError ? { lastError: known.lastError } : {}),
      };
    }
    if (!known || known.uid !== pod.uid) return { name, uid: pod.uid, state: "Unknown", failures: 0 };
    return pod.online ? { ...known } : { ...known, state: "Unknown", sequence: undefined };
  });
}

/** The next pass's delay: the interval, or 1, 2, 4 ... s after passes in which a command failed. */
export function nextPassDelaySeconds(intervalSeconds: number, failedPasses: number): number {
  return failedPasses > 0 ? Math.min(intervalSeconds, 2 ** (failedPasses - 1)) : intervalSeconds;
}

const maxStepsPerSync = 32;

export function replicate(input: ReplicationInput): ReplicationOutput {
  const { name, results, commands } = input;
  const peers = reconcilePeers(input.peers, input.pods, input.expected, (ordinal) => `rss-${name}-${ordinal}`);
  let failedPasses = input.failedPasses;
  let seed = input.seed;
  const online = input.pods.filter((pod) => pod.online && pod.ordinal < input.expected);
  if (online.length < input.expected) {
    return {
      peers,
      pass: input.pass,
      failedPasses,
      seed,
      actions: [],
      waiting: `${online.length} of ${input.expected} pods are running`,
    };
  }
  if (input.expected === 0) return { peers, failedPasses, seed, actions: [] };
  const snapshot = Object.fromEntries(online.map((pod) => [pod.name, pod.uid]));
  const peer = (member: string) => peers.find((p) => p.name === member)!;
  const hasSecondary = commands.secondary !== undefined;
  const generation = input.generation !== undefined ? { generation: input.generation } : {};
  const continuing = input.pass !== undefined && sameMembers(input.pass.pods, snapshot) &&
    input.pass.generation === input.generation;
  let pass: Pass = continuing
    ? input.pass!
    : { number: (input.pass?.number ?? 0) + 1, step: "check", pods: snapshot, ...generation };
  /** The step was entered in this sync: its actions are not known to the runtime yet. */
  let fresh = !continuing;
  let waiting: string | undefined;

  const begin = (delaySeconds: number) => {
    pass = {
      number: pass.number + 1,
      step: "check",
      pods: snapshot,
      ...generation,
      ...(delaySeconds ? { delaySeconds } : {}),
    };
    fresh = true;
  };
  const moveTo = (step: Step) => {
    pass = { ...pass, step };
    fresh = true;
  };
  const failed = (member: Peer, key: CommandName, result: ActionResult) => {
    member.state = "Failed";
    member.failures += 1;
    member.lastError = failureText(key, result);
    pass.failed = true;
  };
  const endPass = () => {
    failedPasses = pass.failed ? failedPasses + 1 : 0;
    // A pass without failures clears what earlier ones reported.
    if (!pass.failed) { for (const member of peers) delete member.lastError; }
    begin(nextPassDelaySeconds(input.intervalSeconds, failedPasses));
  };
  const answer = (actions: CommandAction[], activity?: string): ReplicationOutput => ({
    peers,
    pass,
    failedPasses,
    seed,
    actions,
    ...(waiting ? { waiting } : {}),
    ...(activity ? { activity } : {}),
  });

  /** A parallel step: its actions while any is unfinished; undefined once all finished (after `apply`); "lost" when the runtime forgot one. */
  const parallel = (
    targets: Peer[],
    make: (member: Peer, id: string) => CommandAction,
    apply: (member: Peer, result: ActionResult) => void,
  ): CommandAction[] | "lost" | undefined => {
    const actions = targets.map((member) => make(member, `${pass.number}.${pass.step}.${member.name}`));
    if (actions.length === 0) return undefined;
    // Lost, or cut off by a change of leader (whether it ran is unknown): not a failure of the member.
    if (!fresh && actions.some((action) => !results[action.id] || results[action.id]!.interrupted)) return "lost";
    if (fresh || !actions.every((action) => finished(results[action.id]))) return actions;
    for (const action of actions) apply(peer(action.pod), results[action.id]!);
    return undefined;
  };

  for (let steps = 0; steps < maxStepsPerSync; steps++) {
    const members = peers.filter((p) => snapshot[p.name]);
    let outcome: CommandAction[] | "lost" | undefined;
    if (pass.step === "check") {
      outcome = parallel(
        members,
        (member, id) => statusAction(id, member, commands, pass.delaySeconds),
        (member, result) => {
          const state = result.phase === "Succeeded" ? stateFromStatus(result.exitCode!, hasSecondary) : undefined;
          if (!state) return failed(member, "status", result);
          member.state = state;
        },
      );
      if (outcome === undefined) moveTo("recover");
    } else if (pass.step === "recover") {
      outcome = parallel(
        members.filter((member) => member.state === "Failed"),
        (member, id) =>
          commandAction(id, member, commands, "stop", {
            failedReason: "StopFailed",
            succeeded: { reason: "Stopped", note: `stopped ${member.name}, whose status check failed` },
          }),
        (
          member,
          result,
        ) => (result.phase === "Succeeded" ? void (member.state = "Stopped") : failed(member, "stop", result)),
      );
      if (outcome === undefined) moveTo("sequence");
    } else if (pass.step === "sequence") {
      const counts = count(members);
      if (counts.running > input.replicas) {
        waiting =
          `${counts.running} members run the application, more than spec.replicas (${input.replicas}): waiting for ${
            counts.running - input.replicas
          } to stop`;
      } else if (counts.primaries === 0 && members.length !== input.replicas) {
        waiting = `waiting for ${input.replicas - members.length} more members before seeding`;
      }
      if (waiting) {
        endPass();
        continue;
      }
      if (counts.primaries === input.primaries && counts.running === input.replicas) {
        moveTo("start");
        continue;
      }
      outcome = parallel(
        members.filter((member) => member.state !== "Failed"),
        (member, id) => commandAction(id, member, commands, "sequence", { failedReason: "SequenceFailed" }),
        (
          member,
          result,
        ) => (result.phase === "Succeeded"
          ? void (member.sequence = parseSequence(result.stdout))
          : failed(member, "sequence", result)),
      );
      if (outcome === undefined) moveTo("start");
    } else {
      if (pass.action) {
        const [, kind, member] = pass.action.split(".") as [string, StartKind, string];
        const result = results[pass.action];
        if ((!result || result.interrupted) && !fresh) {
          begin(0);
          continue;
        }
        if (!finished(result)) {
          return answer([buildStart(kind, peer(member), pass, peers, snapshot, input)], describeStart(kind, member));
        }
        applyStart(kind, peer(member), result!, failed, commands);
        if (kind === "seed" && result!.phase === "Succeeded") seed = member;
        const { action: _done, ...rest } = pass;
        pass = rest;
      }
      const next = nextStart(peers, snapshot, input);
      if (!next) {
        endPass();
        continue;
      }
      const action = buildStart(next.kind, next.member, pass, peers, snapshot, input);
      pass = { ...pass, action: action.id };
      return answer([action], describeStart(next.kind, next.member.name));
    }
    if (outcome === "lost") {
      begin(0);
      continue;
    }
    if (outcome !== undefined) return answer(outcome);
  }
  return answer([]);
}

function statusAction(id: string, member: Peer, commands: Commands, delaySeconds: number | undefined): CommandAction {
  return commandAction(id, member, commands, "status", {
    failedReason: "StatusFailed",
    successExitCodes: Object.values(statusExitCodes),
    delaySeconds,
  });
}

function sameMembers(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
