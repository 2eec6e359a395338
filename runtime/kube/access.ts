// Access to the Kubernetes API, said as verbs on a kind: what a controller, an RPC handler or
// the manager needs. rbac.ts turns a list of them into a ClusterRole's rules.
import type { Kind } from "./kinds.ts";

/** A Kubernetes API verb, as RBAC rules name it (server-side apply is "patch"). */
export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";

/** Verbs on one kind (or one of its subresources), and why they are needed. */
export interface Access {
  /** The kind accessed; its API group and plural make the rule's apiGroups and resources. */
  kind: Kind;
  /** What is done to it. */
  verbs: readonly Verb[];
  /** A subresource such as "status" or "finalizers"; the rule then names "<plural>/<subresource>". */
  subresource?: string;
  /** A note for people reading the list; policyRules() does not use it. */
  why?: string;
}
