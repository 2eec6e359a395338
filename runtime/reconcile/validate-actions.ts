// Checks the actions in a function's answer (pure), so a malformed command or request becomes
// a clear InvalidResponse condition instead of something the API server, the pod or the
// receiver refuses.
import type { Action } from "../controller.ts";

/** Most actions one answer may hold (and so results remembered per parent). */
export const maxActions = 100;
export const maxActionTimeoutSeconds = 3_600;
export const maxActionDelaySeconds = 86_400;
/** Most arguments in one command, and most characters in all of them together. */
export const maxCommandParts = 256;
export const maxCommandChars = 32_768;
/** Most characters in an HTTP action's URL, and in its body (as sent). */
export const maxUrlChars = 8_192;
export const maxBodyChars = 262_144;
/** Headers one HTTP action may set itself (a Secret's come on top). */
export const maxHeaders = 64;
/** Headers the runtime sets (or the platform does), which an action may not. */
const reservedHeaders = new Set(["host", "content-length", "connection", "transfer-encoding", "idempotency-key"]);
const methods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);
/** RFC 9110's token: a header's name. */
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

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
    if (action.http !== undefined) {
      const extra = (["pod", "container", "command", "successExitCodes"] as const).filter((key) =>
        action[key] !== undefined
      );
      if (extra.length) problems.push(`${where}: an HTTP action has no ${extra.join(", ")} (those are a command's)`);
      problems.push(...httpProblems(where, action.http));
    } else {
      if (typeof action.pod !== "string" || action.pod.length > 253 || !dnsSubdomain.test(action.pod)) {
        problems.push(
          `${where}: pod must be a pod name (or give http for a request), got ${JSON.stringify(action.pod)}`,
        );
      }
      if (
        action.container !== undefined && (typeof action.container !== "string" || !dnsLabel.test(action.container))
      ) {
        problems.push(`${where}: container must be a container name, got ${JSON.stringify(action.container)}`);
      }
      problems.push(...commandProblems(where, action.command));
      if (!isCodeList(action.successExitCodes, 0, 255)) {
        problems.push(`${where}: successExitCodes must be a non-empty list of exit codes (0-255)`);
      }
    }
    problems.push(...rangeProblems(where, "timeoutSeconds", action.timeoutSeconds, 1, maxActionTimeoutSeconds));
    problems.push(...rangeProblems(where, "delaySeconds", action.delaySeconds, 0, maxActionDelaySeconds));
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

function httpProblems(where: string, http: unknown): string[] {
  if (typeof http !== "object" || http === null || Array.isArray(http)) return [`${where}: http must be an object`];
  const request = http as Record<string, unknown>;
  const problems: string[] = [];
  const { url, method, headers, headersFromSecret, body, successStatusCodes } = request;
  const parsed = typeof url === "string" && url.length <= maxUrlChars ? httpUrl(url) : undefined;
  if (!parsed) {
    problems.push(
      `${where}: http.url must be an absolute http: or https: URL of at most ${maxUrlChars} characters, got ${
        JSON.stringify(typeof url === "string" ? url.slice(0, 200) : url)
      }`,
    );
  } else if (parsed.username || parsed.password) {
    problems.push(
      `${where}: http.url must not carry a user or password; put credentials in a Secret (http.headersFromSecret)`,
    );
  }
  if (method !== undefined && (typeof method !== "string" || !methods.has(method))) {
    problems.push(`${where}: http.method must be one of ${[...methods].join(", ")}, got ${JSON.stringify(method)}`);
  }
  if ((method === "GET" || method === "HEAD") && body !== undefined) {
    problems.push(`${where}: http.body cannot go with method ${method}`);
  }
  if (headers !== undefined) {
    if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
      problems.push(`${where}: http.headers must be an object of header names to strings`);
    } else {
      const entries = Object.entries(headers);
      if (entries.length > maxHeaders) problems.push(`${where}: http.headers has more than ${maxHeaders} headers`);
      for (const [name, value] of entries) {
        if (!headerName.test(name)) {
          problems.push(`${where}: http.headers: ${JSON.stringify(name)} is not a header name`);
        } else if (reservedHeaders.has(name.toLowerCase())) {
          problems.push(`${where}: http.headers: ${name} is set by the runtime, not by the action`);
        }
        if (typeof value !== "string" || /[\r\n\0]/.test(value)) {
          problems.push(`${where}: http.headers.${name} must be a string without line breaks`);
        }
      }
    }
  }
  if (
    headersFromSecret !== undefined &&
    (typeof headersFromSecret !== "string" || headersFromSecret.length > 253 || !dnsSubdomain.test(headersFromSecret))
  ) {
    problems.push(`${where}: http.headersFromSecret must be a Secret's name, got ${JSON.stringify(headersFromSecret)}`);
  }
  if (body !== undefined) {
    let sent: string | undefined;
    try {
      sent = typeof body === "string" ? body : JSON.stringify(body);
    } catch {
      // a cycle or a BigInt
    }
    if (sent === undefined) problems.push(`${where}: http.body must be a string or a JSON value`);
    else if (sent.length > maxBodyChars) {
      problems.push(`${where}: http.body is ${sent.length} characters, more than ${maxBodyChars}`);
    }
  }
  if (!isCodeList(successStatusCodes, 100, 599)) {
    problems.push(`${where}: http.successStatusCodes must be a non-empty list of status codes (100-599)`);
  }
  const known = new Set(["url", "method", "headers", "headersFromSecret", "body", "successStatusCodes"]);
  const unknown = Object.keys(request).filter((key) => !known.has(key));
  if (unknown.length) problems.push(`${where}: http has unknown fields ${unknown.join(", ")}`);
  return problems;
}

/** The URL when it is an absolute http: or https: one. */
function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** True when absent, or a non-empty list of whole numbers from min to max (exit or status codes). */
function isCodeList(codes: unknown, min: number, max: number): boolean {
  return codes === undefined ||
    (Array.isArray(codes) && codes.length > 0 &&
      codes.every((code) => Number.isInteger(code) && code >= min && code <= max));
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
