// The runtime's door for testing functions as data: run a function on a request exactly as
// the runtime would (the parent checked against its kind's schema, the answer validated), build
// objects as the API server holds them, and converge a controller to its fixed point, all
// without a cluster.
export {
  InvalidResponseError,
  maxChildBytes,
  maxChildren,
  maxResyncAfterSeconds,
  maxStatusBytes,
  validateResponse,
  type ValidResponse,
} from "./reconcile/validate.ts";
export { FunctionError, InvalidParentError } from "./reconcile/failures.ts";
export { byKind, runSync, stored, type TestRequest } from "./kit/function.ts";
export { converge, type Converged, type ConvergeOptions } from "./kit/converge.ts";
export { parentProblems, schemaProblems } from "./schema/check.ts";
export { eventually, type EventuallyOptions } from "./kit/eventually.ts";
