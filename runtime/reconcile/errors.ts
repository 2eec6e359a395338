// The ways a sync fails, and the condition reason each is reported under.
import { HookError } from "../webhook/client.ts";
import { InvalidResponseError } from "./validate.ts";
import type { FailureReason } from "./status.ts";

/** A write refused because this replica may not write now (not the leader, or its Lease is not renewed in time). */
export class NotLeaderError extends Error {
  constructor() {
    super("this replica is not the leader; write refused");
    this.name = "NotLeaderError";
  }
}

/** The controller's own code threw (sync, finalize, related). */
export class FunctionError extends Error {
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
  if (error instanceof FunctionError || error instanceof HookError) return "SyncFailed";
  return "ApplyFailed";
}
