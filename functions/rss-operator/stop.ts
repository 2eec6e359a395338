// Stopping members before their pods go (pure): on scale-down, `stop` runs on each member
// being removed, and only once every one of them has stopped does the StatefulSet shrink; on
// deletion, `stop` runs on every member before the finalizer lets the set go. A failed stop
// is retried with the runtime's backoff (the action stays answered); on deletion the set is
// let go after destroyStopAttempts attempts so a broken member cannot hold it forever. A stop
// the runtime reports interrupted (the leader changed while it ran) is not run again blindly:
// the member's status command says first whether it still runs.
import type { ActionResult, CommandAction } from "../../runtime/mod.ts";
import { commandAction, type Commands, failureText, finished, statusExitCodes } from "./commands.ts";
import type { PodView } from "./replication-input.ts";
import { destroyStopAttempts, type Peer } from "./types.ts";

export interface StopPlan {
  actions: CommandAction[];
  /** Members still to stop, by name. */
  pending: string[];
  /** Members whose stop failed for good (deletion only). */
  abandoned: string[];
}

/**
 * Stops every running member in `targets` that is not known to be stopped. A member is done
 * when its stop succeeded (its peer becomes Stopped), when it is not running, or (when
 * `maxAttempts` is set) when its stop failed that many times.
 */
export function stopMembers(
  purpose: "remove" | "destroy",
  targets: readonly PodView[],
  peers: Peer[],
  commands: Commands,
  results: Record<string, ActionResult>,
  maxAttempts?: number,
): StopPlan {
  const plan: StopPlan = { actions: [], pending: [], abandoned: [] };
  for (const pod of targets) {
    const peer = peers.find((p) => p.name === pod.name);
    if (!peer || !pod.online || peer.state === "Stopped") continue;
    const id = `${purpose}.${pod.name}.${pod.uid.slice(0, 8)}`;
    const result = results[id];
    if (result?.phase === "Succeeded") {
      peer.state = "Stopped";
      delete peer.lastError;
      continue;
    }
    // A stop cut off by a change of leader may have run: ask the member before stopping it again.
    const checkId = `${id}.check`;
    const check = results[checkId];
    if (check && !finished(check) || result?.phase === "Failed" && result.interrupted && !check) {
      plan.actions.push(commandAction(checkId, peer, commands, "status", {
        failedReason: "StatusFailed",
        successExitCodes: Object.values(statusExitCodes),
      }));
      plan.pending.push(pod.name);
      continue;
    }
    if (check?.exitCode === statusExitCodes.notRunning && !(result && !finished(result))) {
      peer.state = "Stopped";
      delete peer.lastError;
      continue;
    }
    if (result?.phase === "Failed") {
      peer.lastError = failureText("stop", result);
      if (maxAttempts !== undefined && result.attempt >= maxAttempts) {
        plan.abandoned.push(pod.name);
        continue;
      }
    }
    const note = purpose === "remove"
      ? `stopped ${pod.name} before removing it (scale down)`
      : `stopped ${pod.name}: the set is being deleted`;
    plan.actions.push(
      commandAction(id, peer, commands, "stop", { failedReason: "StopFailed", succeeded: { reason: "Stopped", note } }),
    );
    plan.pending.push(pod.name);
  }
  return plan;
}

export const destroyMaxAttempts = destroyStopAttempts;
