// Access to the Kubernetes API, said as verbs on a kind: what a controller, an RPC handler or
// the manager needs. rbac.ts turns a list of them into a ClusterRole's rules.
import type { Kind } from "./kinds.ts";

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";

/** Verbs on one kind (or one of its subresources), and why they are needed. */
export interface Access {
  kind: Kind;
  verbs: readonly Verb[];
  subresource?: string;
  why?: string;
}
