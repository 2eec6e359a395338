// How failures reach RPC callers: a known condition gets its own code and a message that
// names the field or object; nothing becomes UNKNOWN.
import { Code, ConnectError } from "@connectrpc/connect";
import { KubeError } from "../../../runtime/run.ts";

export const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);
export const notFound = (message: string) => new ConnectError(message, Code.NotFound);
export const alreadyExists = (message: string) => new ConnectError(message, Code.AlreadyExists);

/** The RPC code for each Kubernetes API status a client can act on. */
const codeByStatus: Record<number, Code> = {
  400: Code.InvalidArgument,
  422: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  409: Code.AlreadyExists,
  429: Code.ResourceExhausted,
};

/**
 * A create that found the object taken and then could not read it: it was deleted in
 * between, so the caller may retry (ABORTED, gRPC's code for a lost concurrency race).
 */
export function createRaced(error: unknown, what: string): ConnectError {
  if (error instanceof KubeError && error.status === 404) {
    return new ConnectError(`${what} was deleted while it was being created; retry`, Code.Aborted);
  }
  return fromKube(error, `creating ${what}`);
}

/** Maps a Kubernetes API failure to the RPC code a client can act on. */
export function fromKube(error: unknown, what: string): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof KubeError) {
    const code = codeByStatus[error.status] ?? (error.status >= 500 ? Code.Unavailable : Code.Internal);
    return new ConnectError(`${what}: ${error.message}`, code);
  }
  return new ConnectError(
    `${what}: the Kubernetes API is unreachable (${(error as Error)?.message ?? error})`,
    Code.Unavailable,
  );
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks a Kubernetes object name given in a request field. */
export function requireName(value: string | undefined, field: string, maxLength = 63): string {
  if (!value) throw invalid(`${field} is required`);
  if (value.length > maxLength || !dnsLabel.test(value)) {
    throw invalid(
      `${field} "${value}" must be a lowercase DNS label (letters, digits and '-', at most ${maxLength} characters)`,
    );
  }
  return value;
}

export function namespaceOf(value: string | undefined, field: string): string {
  return value ? requireName(value, field) : "default";
}
