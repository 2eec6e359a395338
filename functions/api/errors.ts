// How failures reach RPC callers: a known condition gets its own code and a message that
// names the field or object; nothing becomes UNKNOWN.
import { Code, ConnectError } from "@connectrpc/connect";
import { KubeError } from "../../runtime/kube/client.ts";

export const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);
export const notFound = (message: string) => new ConnectError(message, Code.NotFound);
export const alreadyExists = (message: string) => new ConnectError(message, Code.AlreadyExists);

/** Maps a Kubernetes API failure to the RPC code a client can act on. */
export function fromKube(error: unknown, what: string): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof KubeError) {
    const message = `${what}: ${error.message}`;
    switch (error.status) {
      case 400:
      case 422:
        return new ConnectError(message, Code.InvalidArgument);
      case 401:
        return new ConnectError(message, Code.Unauthenticated);
      case 403:
        return new ConnectError(message, Code.PermissionDenied);
      case 404:
        return new ConnectError(message, Code.NotFound);
      case 409:
        return new ConnectError(message, Code.AlreadyExists);
      case 429:
        return new ConnectError(message, Code.ResourceExhausted);
      default:
        return new ConnectError(message, error.status >= 500 ? Code.Unavailable : Code.Internal);
    }
  }
  return new ConnectError(`${what}: the Kubernetes API is unreachable (${(error as Error)?.message ?? error})`, Code.Unavailable);
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks a Kubernetes object name given in a request field. */
export function requireName(value: string | undefined, field: string, maxLength = 63): string {
  if (!value) throw invalid(`${field} is required`);
  if (value.length > maxLength || !dnsLabel.test(value)) {
    throw invalid(`${field} "${value}" must be a lowercase DNS label (letters, digits and '-', at most ${maxLength} characters)`);
  }
  return value;
}

export function namespaceOf(value: string | undefined, field: string): string {
  return value ? requireName(value, field) : "default";
}
