// Calls a function in this process as the runtime does: a throw is the function's failure, and
// a Promise is an invalid answer (functions are synchronous and pure). Pure.
import { FunctionError, InvalidResponseError } from "./failures.ts";

/** Which of a controller's functions is called. */
export type FunctionName = "sync" | "finalize" | "related";

export function callLocal<In>(fn: (input: In) => unknown, name: FunctionName, input: In): unknown {
  let answer: unknown;
  try {
    answer = fn(input);
  } catch (error) {
    throw new FunctionError(name, error);
  }
  if (answer instanceof Promise) {
    answer.catch(() => undefined);
    throw new InvalidResponseError([
      `the function returned a Promise; ${name} must be synchronous and pure (declare a remote hook for work elsewhere)`,
    ]);
  }
  return answer;
}
