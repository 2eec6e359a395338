// The set's commands as actions (pure): which program, container and timeout each command
// key means, the action ids, and what the status and sequence commands' answers mean.
import type { ActionEvent, ActionResult, CommandAction } from "../../runtime/mod.ts";
import {
  type CommandName,
  defaultCommandTimeoutSeconds,
  durationSeconds,
  maxCommandTimeoutSeconds,
  type Peer,
  type RssSpec,
} from "./types.ts";

export interface ResolvedCommand {
  command: string[];
  container: string | undefined;
  timeoutSeconds: number;
}

export type Commands = Partial<Record<CommandName, ResolvedCommand>>;

/** OCF exit codes of the status command: 0 running (as a secondary when a secondary command exists), 7 not running, 8 running as primary. */
export const statusExitCodes = { running: 0, notRunning: 7, primary: 8 } as const;

export function resolveCommands(spec: RssSpec): Commands {
  const firstContainer = spec.pod?.containers?.[0]?.name;
  const resolved: Commands = {};
  for (const [key, value] of Object.entries(spec.pod?.commands ?? {})) {
    if (!value?.command?.length) continue;
    const timeout = durationSeconds(value.timeout) ?? defaultCommandTimeoutSeconds;
    resolved[key as CommandName] = {
      command: value.command,
      container: value.container ?? firstContainer,
      timeoutSeconds: Math.min(maxCommandTimeoutSeconds, Math.max(1, Math.ceil(timeout))),
    };
  }
  return resolved;
}

/** An action running command `key` on the peer's pod, with extra arguments (the primaries' addresses). */
export function commandAction(
  id: string,
  peer: Peer,
  commands: Commands,
  key: CommandName,
  options: {
    args?: string[];
    succeeded?: ActionEvent;
    failedReason: string;
    successExitCodes?: number[];
    delaySeconds?: number;
  },
): CommandAction {
  const command = commands[key]!;
  return {
    id,
    pod: peer.name,
    ...(command.container ? { container: command.container } : {}),
    command: [...command.command, ...(options.args ?? [])],
    timeoutSeconds: command.timeoutSeconds,
    ...(options.delaySeconds ? { delaySeconds: options.delaySeconds } : {}),
    ...(options.successExitCodes ? { successExitCodes: options.successExitCodes } : {}),
    events: {
      ...(options.succeeded ? { succeeded: options.succeeded } : {}),
      failed: { reason: options.failedReason, note: `${key} (${command.command.join(" ")}) on ${peer.name}` },
    },
  };
}

export const finished = (result: ActionResult | undefined) =>
  result?.phase === "Succeeded" || result?.phase === "Failed";

/** "status (/check.sh) on rss-example-1: exit code 1: <stderr>": for conditions, naming the member, command and result. */
export function failureText(key: CommandName, result: ActionResult): string {
  const stderr = result.stderr.trim().replace(/\s+/g, " ");
  const clipped = stderr.length > 200 ? `${stderr.slice(0, 199)}…` : stderr;
  const how = result.timedOut
    ? (result.error ?? "timed out")
    : result.exitCode !== undefined
    ? `exit code ${result.exitCode}`
    : (result.error ?? "failed");
  return `${key} (${(result.command ?? []).join(" ")}) on ${result.pod}: ${how}${
    clipped && !result.timedOut ? `: ${clipped}` : ""
  }`;
}

/** The sequence command's answer: its trimmed stdout as decimal digits, "0" when it is not a number (as the original). */
export function parseSequence(stdout: string): string {
  const text = stdout.trim();
  return /^\d+$/.test(text) ? text.replace(/^0+(?=\d)/, "") : "0";
}

/** Orders sequence numbers (decimal digit strings of any length); a missing one is lowest. */
export function compareSequences(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : 1;
}

/** What a status answer says about the member's application. */
export function stateFromStatus(exitCode: number, hasSecondaryCommand: boolean): Peer["state"] | undefined {
  if (exitCode === statusExitCodes.primary) return "Primary";
  if (exitCode === statusExitCodes.notRunning) return "Stopped";
  if (exitCode === statusExitCodes.running) return hasSecondaryCommand ? "Secondary" : "Primary";
  return undefined;
}
