// The function contract. A controller is a declaration of what it watches plus pure
// functions: observed state in, desired state out, as plain JSON shaped like Metacontroller's
// sync hook. The runtime does all the I/O.
import { type Kind, kindKey } from "./kube/kinds.ts";
import type { KubeObject } from "./kube/objects.ts";

/** Objects grouped by "Kind.apiVersion", then keyed by name ("namespace/name" for related objects). */
export type ObjectsByKind = Record<string, Record<string, KubeObject>>;

/** The objects of one kind in a request's `children` or `related`, keyed as there; T may be a model type such as client-node's V1Deployment. */
export function objectsOf<T = KubeObject>(
  objects: ObjectsByKind,
  kind: Pick<Kind, "apiVersion" | "kind">,
): Record<string, T> {
  return (objects[kindKey(kind)] ?? {}) as Record<string, T>;
}

/** One object of a kind in a request's `children` (by name) or `related` (by "namespace/name", or name if cluster-scoped). */
export function objectOf<T = KubeObject>(
  objects: ObjectsByKind,
  kind: Pick<Kind, "apiVersion" | "kind">,
  key: string,
): T | undefined {
  return objects[kindKey(kind)]?.[key] as T | undefined;
}

export interface SyncRequest<P extends KubeObject = KubeObject> {
  parent: P;
  /** What exists now and this controller controls, grouped by "Kind.apiVersion", keyed by name. */
  children: ObjectsByKind;
  /** Objects the related() hook asked for, grouped by "Kind.apiVersion", keyed by "namespace/name" (or name). */
  related: ObjectsByKind;
  /** True when the parent is being deleted and finalize() is called. */
  finalizing: boolean;
  /** What became of the actions this controller answered for the parent, by action id (see Action). Always set by the runtime; optional for hand-made requests. */
  results?: Record<string, ActionResult>;
}

/**
 * A command to run in a container of one of the parent's pods, through the pods/exec
 * subresource. The id names the action: while an action with that id runs, or after it
 * succeeded, answering it again runs nothing; a failed one runs again after a backoff as
 * long as it is still answered. The result comes back in the next request's `results` and
 * stays there while the action is answered; leave it out of an answer to forget it.
 */
export interface Action {
  /** Unique among the parent's actions: letters, digits and ._:/- (at most 253). */
  id: string;
  /** A pod in the parent's namespace. */
  pod: string;
  /** Defaults to the pod's only container (the API server refuses when there are several). */
  container?: string;
  /** argv: the first element is the program, the rest its arguments; no shell, no stdin. */
  command: string[];
  /** The command is abandoned (timedOut: true) after this long; default 60, at most 3600. */
  timeoutSeconds?: number;
  /** Starts no sooner than this long after the runtime first got the action; default 0. */
  delaySeconds?: number;
  /** Exit codes that count as success; default [0]. Anything else, a timeout or an exec error is a failure. */
  successExitCodes?: number[];
  /** Events on the parent: `succeeded` is recorded when it succeeds; on failure a Warning with `failed` (default reason ActionFailed) and the exit code and stderr. */
  events?: { succeeded?: ActionEvent; failed?: ActionEvent };
}

export interface ActionEvent {
  /** UpperCamelCase, as Kubernetes event reasons are. */
  reason: string;
  note: string;
}

export interface ActionResult {
  id: string;
  pod: string;
  container?: string;
  command: string[];
  /** Pending: waiting for its delay, a backoff or a free slot; Running; then Succeeded or Failed. */
  phase: "Pending" | "Running" | "Succeeded" | "Failed";
  /** Runs started so far (the current one included). */
  attempt: number;
  /** The command's exit code, when it ran to the end; absent when it could not run, timed out or is not done. */
  exitCode?: number;
  /** The last bytes the command wrote, at most maxOutputBytes of each (see `truncated`). */
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
  /** Why the command could not run or its end is unknown (pod or container missing, forbidden, connection lost). */
  error?: string;
  /** RFC 3339 times of the current or last run. */
  startedAt?: string;
  finishedAt?: string;
}

/** A child as the function wants it: apiVersion, kind, metadata.name, and whatever else it sets. */
export interface DesiredObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface SyncResponse {
  /** Every child that should exist; controlled children left out are deleted. */
  children?: DesiredObject[];
  /** The parent's status; the runtime adds observedGeneration and condition transition times. */
  status?: Record<string, unknown>;
  /** Run sync again after this many seconds, even if nothing changes. */
  resyncAfterSeconds?: number;
  /** Commands to run in the parent's pods; the parent is synced again as each one ends. */
  actions?: Action[];
  /** Labels to set on the parent; null removes one (Metacontroller's DecoratorController answer). */
  labels?: Record<string, string | null>;
  /** Annotations to set on the parent; null removes one. */
  annotations?: Record<string, string | null>;
}

export interface FinalizeResponse extends SyncResponse {
  /** True once cleanup is complete and the parent may go. */
  finalized: boolean;
}

/** Which related objects a parent needs: by name, or by label selector. */
export interface RelatedRequest {
  apiVersion: string;
  kind: string;
  /** Defaults to the parent's namespace for namespaced kinds. */
  namespace?: string;
  names?: string[];
  matchLabels?: Record<string, string>;
}

/** Metacontroller's default hook timeout. */
export const defaultHookTimeoutSeconds = 10;

export interface RemoteHookOptions {
  timeoutSeconds?: number;
  /** PEM certificates to trust for an https URL (instead of the system's). */
  caBundle?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
}

export interface RemoteHook extends Required<Pick<RemoteHookOptions, "timeoutSeconds">> {
  readonly kind: "remote";
  readonly url: string;
  readonly caBundle?: string | undefined;
  readonly token?: string | undefined;
  /**
   * The webhook JSON spoken: a CompositeController's (parent, children) by default, or a
   * DecoratorController's (object, attachments; labels and annotations for the object).
   */
  readonly protocol?: "composite" | "decorator";
  /** One connection pool per hook, made on first use (an undici Agent). */
  dispatcher?: unknown;
}

export const isRemote = (hook: unknown): hook is RemoteHook =>
  typeof hook === "object" && hook !== null && (hook as RemoteHook).kind === "remote";

/** A pure function run in-process, or a hook served elsewhere (`remote(url)`, webhook/remote.ts). */
export type Hook<In, Out> = ((input: In) => Out) | RemoteHook;

export interface ControllerDefinition<P extends KubeObject = KubeObject> {
  /** Names the controller in metrics, logs, events and the managed-by label. */
  name: string;
  /** Its objects' type is the parent type P, so a kind from customKind() types the functions. */
  parent: Kind<P>;
  children: Kind[];
  /** Kinds read but not owned, and what the parent needs of them (Metacontroller's customize hook). */
  related?: {
    kinds: Kind[];
    select: Hook<P, RelatedRequest[]>;
    /**
     * For a remote customize hook, which may name any resource: the kind a resource name means
     * (discovery). Kinds found this way are watched from the first parent that asks for them.
     */
    resolve?(apiVersion: string, resource: string): Promise<Kind>;
  };
  /** Only parents for which this returns true are synced by this controller. */
  filter?(parent: P): boolean;
  sync: Hook<SyncRequest<P>, SyncResponse>;
  /** When present, a finalizer keeps the parent until this returns finalized: true. */
  finalize?: Hook<SyncRequest<P>, FinalizeResponse>;
  /** How a child that differs from what the function wants is changed, by "Kind.apiVersion" (default InPlace). */
  updateStrategy?: Record<string, UpdateMethod>;
  /** Sync every parent at least this often, even when nothing changes and the function asks for no resync. */
  resyncPeriodSeconds?: number;
  /**
   * "owned" (default): the parent's status is this controller's; the runtime adds
   * observedGeneration and records failures in a Ready condition. "shared": another controller
   * owns the status (a decorated Deployment, say); only what the function answers is written,
   * and failures go to Events alone.
   */
  parentStatus?: "owned" | "shared";
  /**
   * "strict" (default): the parent's status is written by server-side apply, so every field the
   * function answers must be declared in the parent's schema (mistakes surface at once);
   * failures are recorded as Ready=False; children are applied as answered. "metacontroller":
   * Metacontroller's semantics. The status is replaced as a whole (merged, with parentStatus
   * "shared") and the API server drops what the schema does not declare; failures go to
   * Events alone; what an answer says under a child's status is ignored.
   */
  writes?: "strict" | "metacontroller";
}

/**
 * InPlace applies the change; Recreate deletes the child so the next sync creates it anew;
 * OnDelete leaves it until someone deletes it (Metacontroller's names).
 */
export type UpdateMethod = "InPlace" | "Recreate" | "OnDelete";

const controllerNamePattern = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;

/** A controller whose hooks all run in-process: what tests call directly. */
export interface LocalControllerDefinition<P extends KubeObject = KubeObject>
  extends Omit<ControllerDefinition<P>, "sync" | "finalize" | "related"> {
  related?: { kinds: Kind[]; select(parent: P): RelatedRequest[] };
  sync(request: SyncRequest<P>): SyncResponse;
  finalize?(request: SyncRequest<P>): FinalizeResponse;
}

/** Declares a controller; checks the declaration itself so mistakes surface at start-up. */
export function controller<P extends KubeObject = KubeObject>(
  definition: LocalControllerDefinition<P>,
): LocalControllerDefinition<P>;
export function controller<P extends KubeObject = KubeObject>(
  definition: ControllerDefinition<P>,
): ControllerDefinition<P>;
export function controller<P extends KubeObject = KubeObject>(
  definition: ControllerDefinition<P>,
): ControllerDefinition<P> {
  if (!controllerNamePattern.test(definition.name)) {
    throw new Error(`controller name "${definition.name}" must be a lowercase DNS label of at most 63 characters`);
  }
  const seen = new Set<string>();
  for (const child of definition.children) {
    const key = kindKey(child);
    if (seen.has(key)) throw new Error(`controller ${definition.name} declares child kind ${key} twice`);
    seen.add(key);
    if (child.namespaced === false && definition.parent.namespaced) {
      throw new Error(
        `controller ${definition.name}: a namespaced ${definition.parent.kind} cannot own cluster-scoped ${child.kind}`,
      );
    }
  }
  if (typeof definition.sync !== "function" && !isRemote(definition.sync)) {
    throw new Error(`controller ${definition.name} has no sync function or remote hook`);
  }
  return definition;
}

/** The in-process function of a hook; a remote hook has none to call here. */
export function inProcess<In, Out>(hook: Hook<In, Out>, what: string): (input: In) => Out {
  if (isRemote(hook)) throw new Error(`${what} is a remote hook (${hook.url}), not a function in this process`);
  return hook;
}
