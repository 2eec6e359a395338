// The starts of a pass (pure): which member is seeded, promoted, demoted or started as a
// secondary next, and the action for it: the seed is the member with the highest sequence
// (ties: the lowest ordinal), promotions pass the current primaries' addresses, and surplus
// primaries are stopped from the highest ordinal down.
import type { ActionResult, CommandAction } from "../../runtime/mod.ts";
import { commandAction, type Commands, compareSequences } from "./commands.ts";
import { type CommandName, type Pass, type Peer, peerAddress } from "./types.ts";
import type { ReplicationInput } from "./replication-input.ts";

export type StartKind = "seed" | "promote" | "demote" | "secondary";

export function count(members: readonly Peer[]) {
  const primaries = members.filter((p) => p.state === "Primary").length;
  return { primaries, running: primaries + members.filter((p) => p.state === "Secondary").length };
}

const ordinalOfPeer = (member: string) => Number(member.slice(member.lastIndexOf("-") + 1));

/** Best first: the highest sequence, then the lowest ordinal (the original's order was map order, with a bug that let lower sequences in). */
const byPreference = (a: Peer, b: Peer) =>
  compareSequences(b.sequence, a.sequence) || ordinalOfPeer(a.name) - ordinalOfPeer(b.name);

/** What the pass starts next, or undefined when the set has what the spec asks (or nobody is left to try). */
export function nextStart(
  peers: readonly Peer[],
  snapshot: Record<string, string>,
  input: Pick<ReplicationInput, "replicas" | "primaries" | "commands">,
): { kind: StartKind; member: Peer } | undefined {
  const members = peers.filter((p) => snapshot[p.name]);
  const { primaries, running } = count(members);
  const candidates = (states: Peer["state"][]) => members.filter((p) => states.includes(p.state)).sort(byPreference);
  const pick = (kind: StartKind, member: Peer | undefined) => (member ? { kind, member } : undefined);
  if (primaries === 0) return pick("seed", candidates(["Stopped", "Secondary"])[0]);
  if (primaries < input.primaries) return pick("promote", candidates(["Stopped", "Secondary"])[0]);
  if (primaries > input.primaries) {
    return pick(
      "demote",
      members.filter((p) => p.state === "Primary").sort((a, b) => ordinalOfPeer(b.name) - ordinalOfPeer(a.name))[0],
    );
  }
  if (running < input.replicas && input.commands.secondary) return pick("secondary", candidates(["Stopped"])[0]);
  return undefined;
}

export function buildStart(
  kind: StartKind,
  member: Peer,
  pass: Pass,
  peers: readonly Peer[],
  snapshot: Record<string, string>,
  input: ReplicationInput,
): CommandAction {
  const { commands, name } = input;
  const id = `${pass.number}.${kind}.${member.name}`;
  const primaries = peers.filter((p) => snapshot[p.name] && p.state === "Primary" && p.name !== member.name).sort((
    a,
    b,
  ) => ordinalOfPeer(a.name) - ordinalOfPeer(b.name));
  const args = primaries.map((p) => peerAddress(name, p.name));
  const sequence = member.sequence ?? "unknown";
  if (kind === "seed") {
    const key: CommandName = commands.seed ? "seed" : "primary";
    return commandAction(id, member, commands, key, {
      failedReason: "SeedFailed",
      succeeded: {
        reason: "Seeded",
        note: `seeded ${member.name} with ${key} (sequence ${sequence}): it is the first primary`,
      },
    });
  }
  if (kind === "promote") {
    return commandAction(id, member, commands, "primary", {
      args,
      failedReason: "PromoteFailed",
      succeeded: {
        reason: "Promoted",
        note: `started ${member.name} as a primary (sequence ${sequence}) with ${args.join(", ")}`,
      },
    });
  }
  if (kind === "demote") {
    return commandAction(id, member, commands, "stop", {
      failedReason: "StopFailed",
      succeeded: {
        reason: "Stopped",
        note: `stopped primary ${member.name}: more primaries than spec.primaries (${input.primaries})`,
      },
    });
  }
  return commandAction(id, member, commands, "secondary", {
    args,
    failedReason: "StartFailed",
    succeeded: { reason: "Started", note: `started ${member.name} as a secondary of ${args.join(", ")}` },
  });
}

export function applyStart(
  kind: StartKind,
  member: Peer,
  result: ActionResult,
  failed: (member: Peer, key: CommandName, result: ActionResult) => void,
  commands: Commands,
): void {
  const key: CommandName = kind === "demote"
    ? "stop"
    : kind === "seed"
    ? (commands.seed ? "seed" : "primary")
    : kind === "promote"
    ? "primary"
    : "secondary";
  if (result.phase !== "Succeeded") return failed(member, key, result);
  member.state = kind === "demote" ? "Stopped" : kind === "secondary" ? "Secondary" : "Primary";
}

export function describeStart(kind: StartKind, member: string): string {
  return kind === "seed"
    ? `seeding ${member}`
    : kind === "promote"
    ? `starting ${member} as a primary`
    : kind === "demote"
    ? `stopping surplus primary ${member}`
    : `starting ${member} as a secondary`;
}
