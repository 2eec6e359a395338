// The failure rule in one place. How a sync fails (the error types below), the reason each is
// reported under, and what that does to the parent (pure): Ready=False with the reason and
// message, recorded by the runner; taken back by the next good sync (status.ts) or when the
// controller no longer syncs the parent (sync.ts). Controllers sharing a parent kind
// ("siblings") never overwrite each other's failure: each takes back only its own, and the
// first to fail keeps Ready=False until it recovers.
import type { KubeObject } from "../kube/objects.ts";
import { type Condition, conditionsOf, withCondition } from "./conditions.ts";

/** The function's answer cannot be used: what is wrong with it. */
export class InvalidResponseError extends Error {
  /** Every problem found with the answer, each naming where it is; the message shows the first five. */
  readonly problems: string[];
  /**
   * Makes the error; its message starts "the function returned an invalid response".
   *
   * @param problems what is wrong with the answer, one entry per problem.
   */
  constructor(problems: string[]) {
    super(
      `the function returned an invalid response: ${problems.slice(0, 5).join("; ")}${
        problems.length > 5 ? ` (and ${problems.length - 5} more)` : ""
      }`,
    );
    this.name = "InvalidResponseError";
    this.problems = problems;
  }
}

/** The parent does not fit its kind's schema (schema/check.ts), so its functions are not called. */
export class InvalidParentError extends Error {
  /** Each field that does not fit, e.g. "spec.replicas: must be >= 0"; the message shows the first five. */
  readonly problems: string[];
  /**
   * Makes the error; its message lists the problems and says to fix the object or apply the CRD
   * generated from the kind.
   *
   * @param problems one entry per field that does not fit the schema.
   */
  constructor(problems: string[]) {
    super(
      `the parent does not match its kind's schema: ${problems.slice(0, 5).join("; ")}${
        problems.length > 5 ? ` (and ${problems.length - 5} more)` : ""
      }; fix the object, or apply the CRD generated from the kind`,
    );
    this.name = "InvalidParentError";
    this.problems = problems;
  }
}

/** A remote hook that did not answer, or answered something other than a JSON object. */
export class HookError extends Error {
  /** The body could not be used as an answer (as opposed to: no answer). */
  readonly invalidBody: boolean;
  constructor(message: string, invalidBody = false) {
    super(message);
    this.name = "HookError";
    this.invalidBody = invalidBody;
  }
}

/** A write refused because this replica may not write now (not the leader, or its Lease is not renewed in time). */
export class NotLeaderError extends Error {
  constructor() {
    super("this replica is not the leader; write refused");
    this.name = "NotLeaderError";
  }
}

/** The controller's own code threw (sync, finalize, related). */
export class FunctionError extends Error {
  /**
   * Makes the error; its message is "<hook> threw: <the cause's message>".
   *
   * @param hook which function threw: "sync", "finalize" or "related".
   * @param cause what it threw; its message becomes part of this error's.
   */
  constructor(hook: string, cause: unknown) {
    super(`${hook} threw: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "FunctionError";
  }
}

/** A child name held by an object another controller controls. */
export class NameTakenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NameTakenError";
  }
}

export function failureReasonOf(error: unknown): FailureReason {
  if (error instanceof InvalidResponseError) return "InvalidResponse";
  if (error instanceof InvalidParentError) return "InvalidSpec";
  if (error instanceof FunctionError || error instanceof HookError) return "SyncFailed";
  return "ApplyFailed";
}

/** Condition reasons the runtime writes when a sync fails; cleared by the next good sync. */
export const failureReasons = ["SyncFailed", "InvalidResponse", "InvalidSpec", "ApplyFailed"] as const;
export type FailureReason = (typeof failureReasons)[number];

/** Longest failure message written to a condition. */
export const maxFailureMessageLength = 32_768;

/** Who is asking: the controller's name and the other controllers of the same parent kind. */
export interface Writer {
  name: string;
  siblings: readonly string[];
  /** The parent's status belongs to another controller: write only what the function answers. */
  shared?: boolean;
  /** Failures go to Events alone, never into the parent's conditions (Metacontroller's way). */
  eventsOnly?: boolean;
}

/** A JSON patch (RFC 6902) against the status subresource. */
export type JsonPatch = Array<{ op: "test" | "remove"; path: string; value?: unknown }>;

/** The Ready=False condition the runtime wrote for a failed sync, if the parent has one. */
export function failureCondition(conditions: unknown): Condition | undefined {
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find(
    (c) => c?.type === "Ready" && c.status === "False" && (failureReasons as readonly string[]).includes(c.reason),
  );
}

/** The runtime's failure on the parent if this controller wrote it (any failure, without siblings). */
export function ownFailure(parent: KubeObject, writer: Writer): Condition | undefined {
  const failure = failureCondition(conditionsOf(parent));
  return failure && !writer.siblings.some((sibling) => failure.message?.startsWith(`${sibling}: `))
    ? failure
    : undefined;
}

/** With siblings, failure messages name their controller so each can tell its own. */
export function failureMessage(writer: Writer, message: string): string {
  return `${writer.siblings.length ? `${writer.name}: ` : ""}${message}`.slice(0, maxFailureMessageLength);
}

/**
 * Removes a failure condition if it is still where and what it was when read: a JSON patch
 * guarded by a test op removes it whoever co-owns it (a sibling that carried it in its own
 * applies would keep an apply without it from removing it).
 */
export function failureRemoval(parent: KubeObject, failure: Condition): JsonPatch | undefined {
  const conditions = (conditionsOf(parent) ?? []) as unknown[];
  const index = conditions.indexOf(failure);
  if (index < 0) return undefined;
  return [
    { op: "test", path: `/status/conditions/${index}/message`, value: failure.message },
    { op: "remove", path: `/status/conditions/${index}` },
  ];
}

/**
 * The status recording a failed sync, or undefined when nothing should be written: the same
 * failure is already there, or a sibling's failure stands (taking turns would have each
 * failure's write trigger the other's retry, in a loop; the Event still tells).
 */
export function failureStatus(
  parent: KubeObject,
  reason: FailureReason,
  message: string,
  writer: Writer,
  now: string,
): Record<string, unknown> | undefined {
  const current = (parent.status ?? {}) as Record<string, unknown>;
  const previous = failureCondition(current.conditions);
  if (previous && previous.reason === reason && previous.message === message) return undefined;
  if (previous && previous !== ownFailure(parent, writer)) return undefined;
  const condition: Condition = {
    type: "Ready",
    status: "False",
    reason,
    message,
    observedGeneration: parent.metadata.generation,
  };
  return { ...current, conditions: withCondition(current.conditions, { ...condition, lastTransitionTime: now }) };
}
