// The runtime's door for testing functions as data: check an answer exactly as the runtime
// checks it before writing anything, so a unit test fails on what would fail in a cluster.
export {
  InvalidResponseError,
  maxChildBytes,
  maxChildren,
  maxResyncAfterSeconds,
  maxStatusBytes,
  validateResponse,
  type ValidResponse,
} from "./reconcile/validate.ts";
