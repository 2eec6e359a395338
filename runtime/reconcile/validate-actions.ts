// Checks the actions in a function's answer (pure), so a malformed command becomes a clear
// InvalidResponse condition instead of a request the API server or the pod refuses.
import type { Action } from "../controller.ts";

/** Most actions one answer may hold (and so results remembered per parent). */
export const maxActions = 100;
export const maxActionTimeoutSeconds = 3_600;
export const maxActionDelaySeconds = 86_400;
/** Most arguments in one command, and most characters in all of them together. */
export const maxCommandParts = 256;
export const maxCommandChars = 32_768;

const idPattern = /^[A-Za-z0-9]([A-Za-z0-9._:/-]{0,251}[A-Za-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const reasonPattern = /^[A-Z][A-Za-z0-9]{0,127}$/;

/** Problems with the answer's `actions`, each naming the action; empty when they are fine. */
export function actionProblems(actions: unknown): string[] {
  if (actions === undefined) return [];
  if (!Array.isArray(actions)) return [`actions must be an array, got ${typeof actions}`];
  const problems: string[] = [];
  if (actions.length > maxActions) problems.push(`${actions.length} actions is more than the limit of ${maxActions}`);
  const ids = new Set<string>();
  actions.forEach((action: Partial<Action> | null, index) => {
    const where = `actions[${index}]${typeof action?.id === "string" ? ` (${action.id})` : ""}`;
    if (typeof action !== "object" || action === null || Array.isArray(action)) {
      return void problems.push(`${where} must be an object`);
    }
    if (typeof action.id !== "string" || !idPattern.test(action.id)) {
      problems.push(`${where}: id must be 1-253 letters, digits or ._:/- starting and ending with a letter or digit`);
    } else if (ids.has(action.id)) {
      problems.push(`${where}: id repeats an earlier action's`);
    } else {
      ids.add(action.id);
    }
    if (typeof action.pod !== "string" || action.pod.length > 253 || !dnsSubdomain.test(action.pod)) {
      problems.push(`${where}: pod must be a pod name, got ${JSON.stringify(action.pod)}`);
    }
    if (action.container !== undefined && (typeof action.container !== "string" || !dnsLabel.test(action.container))) {
      problems.push(`${where}: container must be a container name, got ${JSON.stringify(action.container)}`);
    }
    problems.push(...commandProblems(where, action.command));
    problems.push(...rangeProblems(where, "timeoutSeconds", action.timeoutSeconds, 1, maxActionTimeoutSeconds));
    problems.push(...rangeProblems(where, "delaySeconds", action.delaySeconds, 0, maxActionDelaySeconds));
    const codes = action.successExitCodes;
    if (
      codes !== undefined &&
      (!Array.isArray(codes) || codes.length === 0 ||
        !codes.every((code) => Number.isInteger(code) && code >= 0 && code <= 255))
    ) {
      problems.push(`${where}: successExitCodes must be a non-empty list of exit codes (0-255)`);
    }
    for (const [name, event] of Object.entries(action.events ?? {})) {
      if (
        typeof event?.reason !== "string" || !reasonPattern.test(event.reason) || typeof event.note !== "string" ||
        event.note.length > 1024
      ) {
        problems.push(`${where}: events.${name} needs an UpperCamelCase reason and a note of at most 1024 characters`);
      }
    }
  });
  return problems;
}

function commandProblems(where: string, command: unknown): string[] {
  if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === "string")) {
    return [`${where}: command must be a non-empty list of strings`];
  }
  if (command[0] === "") return [`${where}: command[0] (the program) is empty`];
  if (command.length > maxCommandParts) {
    return [`${where}: command has ${command.length} parts, more than ${maxCommandParts}`];
  }
  const chars = command.reduce((sum: number, part: string) => sum + part.length, 0);
  return chars > maxCommandChars ? [`${where}: command is ${chars} characters long, more than ${maxCommandChars}`] : [];
}

function rangeProblems(where: string, field: string, value: unknown, min: number, max: number): string[] {
  if (value === undefined) return [];
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max
    ? []
    : [`${where}: ${field} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`];
}
