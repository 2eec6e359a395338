// The function contract. A controller is a declaration of what it watches plus pure
// functions: observed state in, desired state out, as plain JSON shaped like Metacontroller's
// sync hook. The runtime does all the I/O.
import type { LabelSelector, LabelSelectorRequirement } from "./kube/labels.ts";
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

/**
 * What sync() and finalize() get: the parent as the cache holds it and what exists around it.
 * It is plain JSON, shaped like the request of Metacontroller's sync hook.
 */
export interface SyncRequest<P extends KubeObject = KubeObject> {
  /** The object being reconciled, of the controller's parent kind, as the API server last reported it. */
  parent: P;
  /**
   * What exists now and this controller controls, grouped by "Kind.apiVersion", keyed by name
   * ("namespace/name" for the namespaced children of a cluster-scoped parent, which may share a name).
   */
  children: ObjectsByKind;
  /** Objects the related() hook asked for, grouped by "Kind.apiVersion", keyed by "namespace/name" (or name). */
  related: ObjectsByKind;
  /** True when the parent is being deleted and finalize() is called. */
  finalizing: boolean;
  /** What became of the actions this controller answered for the parent, by action id (see Action). Always set by the runtime; optional for hand-made requests. */
  results?: Record<string, ActionResult>;
}

/**
 * Something the runtime does for the function and reports back: a command in one of the
 * parent's pods (`pod` and `command`, through the pods/exec subresource) or an HTTP request
 * (`http`). The id names the action: while an action with that id runs, or after it
 * succeeded, answering it again runs nothing; a failed one runs again after a backoff as long
 * as it is still answered. The result comes back in the next request's `results` and stays
 * there while the action is answered; leave it out of an answer to forget it.
 */
export type Action = CommandAction | HttpAction;

/** What every action has, whatever it runs. */
export interface ActionBase {
  /** Unique among the parent's actions: letters, digits and ._:/- (at most 253). An HTTP request sends it as its Idempotency-Key. */
  id: string;
  /** The run is abandoned (timedOut: true) after this long; default 60, at most 3600. */
  timeoutSeconds?: number;
  /** Starts no sooner than this long after the runtime first got the action; default 0. */
  delaySeconds?: number;
  /** Events on the parent: `succeeded` is recorded when it succeeds; on failure a Warning with `failed` (default reason ActionFailed) and what went wrong. */
  events?: { succeeded?: ActionEvent; failed?: ActionEvent };
}

/** A command to run in a container of one of the parent's pods, through the pods/exec subresource. */
export interface CommandAction extends ActionBase {
  /** A pod in the parent's namespace. */
  pod: string;
  /** Defaults to the pod's only container (the API server refuses when there are several). */
  container?: string;
  /** argv: the first element is the program, the rest its arguments; no shell, no stdin. */
  command: string[];
  /** Exit codes that count as success; default [0]. Anything else, a timeout or an exec error is a failure. */
  successExitCodes?: number[];
  /** Never: a command is not an HTTP request. */
  http?: never;
}

/**
 * An HTTP request. It carries the header `Idempotency-Key: <action id>`, so a receiver can
 * tell a request sent again (after a change of leader cut the first one off) from a new one.
 * Redirects are not followed: a 3xx is the answer.
 */
export interface HttpAction extends ActionBase {
  /** The request to send. */
  http: HttpRequest;
  /** Never: a request runs in no pod. */
  pod?: never;
  /** Never: a request runs in no container. */
  container?: never;
  /** Never: a request is not a command. */
  command?: never;
  /** Never: a request's success is by status code (HttpRequest.successStatusCodes). */
  successExitCodes?: never;
}

/** The request of an HttpAction. */
export interface HttpRequest {
  /** Default GET, or POST when there is a body. */
  method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** An absolute http: or https: URL. */
  url: string;
  /** Headers sent as given (not Host, Content-Length, Connection, Transfer-Encoding or Idempotency-Key). */
  headers?: Record<string, string>;
  /**
   * A Secret in the parent's namespace, read when the request is sent: each of its keys is a
   * header and the value that header's value (for example `Authorization: Bearer ...`). Its
   * values are never logged nor kept in results. The controller must declare
   * `effects: { httpSecrets: true }` for its ClusterRole to allow reading Secrets.
   */
  headersFromSecret?: string;
  /** The body: a string is sent as it is; anything else as JSON, with Content-Type application/json unless a header says otherwise. */
  body?: unknown;
  /** Status codes that count as success; default 200-299. Anything else, a timeout or a connection error is a failure. */
  successStatusCodes?: number[];
}

/** An Event the runtime records on the parent when an action ends (see Action.events). */
export interface ActionEvent {
  /** UpperCamelCase, as Kubernetes event reasons are. */
  reason: string;
  /** The Event's human-readable message. */
  note: string;
}

/**
 * What became of an action, as the next request's `results` reports it: the action as it was
 * answered, its phase and, once it ran, its output.
 */
export interface ActionResult {
  /** The action's id, as answered. */
  id: string;
  /** The pod the command runs in, as answered (commands only). */
  pod?: string;
  /** The container, when the action named one. */
  container?: string;
  /** The command as answered (argv; commands only). */
  command?: string[];
  /** The request's method and URL, as sent (HTTP requests only; no headers, no body). */
  http?: { method: string; url: string };
  /** The response's status code, when an HTTP request got an answer. */
  statusCode?: number;
  /** The response body's first bytes, at most maxOutputBytes (see `truncated`); HTTP requests only. */
  body?: string;
  /** Pending: waiting for its delay, a backoff or a free slot; Running; then Succeeded or Failed. */
  phase: "Pending" | "Running" | "Succeeded" | "Failed";
  /** Runs started so far (the current one included). */
  attempt: number;
  /** The command's exit code, when it ran to the end; absent when it could not run, timed out or is not done. */
  exitCode?: number;
  /** The last bytes the command wrote, at most maxOutputBytes of each (see `truncated`); empty for an HTTP request. */
  stdout: string;
  /** The last bytes the command wrote to stderr, kept like `stdout`. */
  stderr: string;
  /** True when stdout or stderr was longer than what is kept, so only its end is here (or, of a response body, only its start). */
  truncated: boolean;
  /** True when the run was abandoned after the action's timeoutSeconds. */
  timedOut: boolean;
  /** Why the run failed without an exit code or status code, or why its end is unknown (pod or container missing, forbidden, connection refused or lost). */
  error?: string;
  /**
   * True on a Failed result whose run was cut off by a change of leader: the replica that
   * started the command stopped leading before it recorded the end, so whether the command
   * ran to the end is unknown. Answering the action again runs it again (after the backoff);
   * a function whose command must not run twice can check first (a status command) instead.
   * An HTTP request sent again carries the same Idempotency-Key, for its receiver to answer
   * from what it did the first time.
   */
  interrupted?: boolean;
  /** When the current or last run started (RFC 3339). */
  startedAt?: string;
  /** When the last run ended (RFC 3339); absent while it runs. */
  finishedAt?: string;
}

/** A child as the function wants it: apiVersion, kind, metadata.name, and whatever else it sets. */
export interface DesiredObject {
  /** Must be that of a kind the controller declares in `children`. */
  apiVersion: string;
  /** Must be a kind the controller declares in `children`. */
  kind: string;
  /**
   * The name (a DNS subdomain, unique per kind among the children), and optionally labels and
   * annotations. The namespace defaults to the parent's, and may only be the parent's; the
   * runtime sets the controller owner reference itself, so the answer must not.
   */
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  /** spec, data or whatever else the kind holds, written as given by server-side apply. */
  [field: string]: unknown;
}

/**
 * A child typed as a model class, such as client-node's V1Deployment or V1Service, whose
 * fields are all optional in its type. The runtime still requires apiVersion, kind and
 * metadata.name, and says which is missing.
 */
export interface ModelObject {
  /** Optional in the type only: a child without it is refused as an invalid answer. */
  apiVersion?: string;
  /** Optional in the type only: a child without it is refused as an invalid answer. */
  kind?: string;
  /** The child's metadata; its name is required at run time, as for a DesiredObject. */
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: { [key: string]: string };
    annotations?: { [key: string]: string };
  };
}

/**
 * What sync() answers: the children that should exist and the parent's status, plus optional
 * resync, actions, and labels and annotations for the parent. Every field may be left out.
 * Children may be plain objects or model classes (`SyncResponse<DesiredObject>` narrows them
 * to plain objects, for code that reads its own answers).
 */
export interface SyncResponse<Child extends DesiredObject | ModelObject = DesiredObject | ModelObject> {
  /** Every child that should exist; controlled children left out are deleted. */
  children?: Child[];
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

/** What finalize() answers: a SyncResponse, and whether the parent may now be deleted. */
export interface FinalizeResponse<Child extends DesiredObject | ModelObject = DesiredObject | ModelObject>
  extends SyncResponse<Child> {
  /** True once cleanup is complete and the parent may go. */
  finalized: boolean;
}

/** Which related objects a parent needs: by name, or by label selector. */
export interface RelatedRequest {
  /** The apiVersion of a kind listed in the controller's `related.kinds`. */
  apiVersion: string;
  /** A kind listed in the controller's `related.kinds`. */
  kind: string;
  /** Defaults to the parent's namespace for namespaced kinds. */
  namespace?: string;
  /** Namespaced kinds: objects in every namespace (`namespace` is then not read). */
  allNamespaces?: boolean;
  /**
   * Namespaced kinds: objects in the namespaces whose labels the selector picks (read from a
   * cache of Namespaces the runtime keeps once a request asks for one). Not with `names` or
   * `namespace`.
   */
  namespaceSelector?: LabelSelector;
  /** The objects wanted, by name. */
  names?: string[];
  /** The objects wanted, by labels: every object whose labels include all of these. */
  matchLabels?: Record<string, string>;
  /** The objects wanted, by labels: every object whose labels meet all of these too. */
  matchExpressions?: LabelSelectorRequirement[];
}

/** How long a call to a remote hook may take when its options give no timeoutSeconds, in seconds (Metacontroller's default). */
export const defaultHookTimeoutSeconds = 10;

/** How remote() reaches a hook served over HTTP. */
export interface RemoteHookOptions {
  /** How long one call may take before it counts as a failure; default 10 (defaultHookTimeoutSeconds). */
  timeoutSeconds?: number;
  /** PEM certificates to trust for an https URL (instead of the system's). */
  caBundle?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as the whole `Authorization` header instead (another scheme, or Basic); not with token. */
  authorization?: string;
  /** A PEM client certificate presented for mutual TLS; needs clientKey. */
  clientCert?: string;
  /** The PEM private key of clientCert. */
  clientKey?: string;
  /**
   * Settings asked for before each call, each over the option of the same name: what is read
   * from elsewhere (Secrets, files) and may change. A throw fails the call with its message.
   * Calls with the same settings share one connection pool; new settings get a new one.
   */
  connection?: () => Promise<
    { caBundle?: string; clientCert?: string; clientKey?: string; authorization?: string }
  >;
  /**
   * The keys of `children` and `related` in requests (Metacontroller's hook `version`). "v1"
   * keys an object by its name, or by "namespace/name" when the parent is cluster-scoped and the
   * object namespaced, and shows a namespaced parent only the objects of its own namespace. "v2"
   * keys every namespaced object by "namespace/name" and every cluster-scoped one by name.
   * Default: the runtime's own keys (a SyncRequest's: children by name, related by
   * "namespace/name"), which its hook server reads back as they are.
   */
  version?: "v1" | "v2";
  /**
   * Refuses an answer that has a field the runtime does not read, or a key twice in one JSON
   * object (Metacontroller's responseUnMarshallMode strict); default: true for version v2 only.
   */
  strict?: boolean;
}

/**
 * A hook served elsewhere over HTTP, made by remote(url) or servedAt(): the runtime POSTs the
 * request it would have passed in-process and treats the JSON answer the same way.
 */
export interface RemoteHook extends Required<Pick<RemoteHookOptions, "timeoutSeconds">> {
  /** Marks the value as a remote hook (see isRemote). */
  readonly kind: "remote";
  /** Where requests are POSTed (http or https). */
  readonly url: string;
  /** PEM certificates to trust for an https URL, when not the system's. */
  readonly caBundle?: string | undefined;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** Sent as the whole `Authorization` header. */
  readonly authorization?: string | undefined;
  /** A PEM client certificate presented for mutual TLS, with its key. */
  readonly clientCert?: string | undefined;
  /** The PEM private key of clientCert. */
  readonly clientKey?: string | undefined;
  /** Settings asked for before each call (see RemoteHookOptions.connection). */
  readonly connection?: RemoteHookOptions["connection"] | undefined;
  /** The keys of `children` and `related` in requests (see RemoteHookOptions.version); undefined: the runtime's own. */
  readonly version?: RemoteHookOptions["version"] | undefined;
  /** Whether answers are read strictly (see RemoteHookOptions.strict); undefined: as the version says. */
  readonly strict?: boolean | undefined;
  /**
   * The webhook JSON spoken: a CompositeController's (parent, children) by default, or a
   * DecoratorController's (object, attachments; labels and annotations for the object).
   */
  readonly protocol?: "composite" | "decorator";
  /** One connection pool per hook, made on first use (an undici Agent), and the settings it was made for. */
  dispatcher?: unknown;
}

/** Whether a value is a remote hook (made by remote() or servedAt()) rather than a function. */
export const isRemote = (hook: unknown): hook is RemoteHook =>
  typeof hook === "object" && hook !== null && (hook as RemoteHook).kind === "remote";

/** A pure function run in-process, or a hook served elsewhere (`remote(url)`, webhook/remote.ts). */
export type Hook<In, Out> = ((input: In) => Out) | RemoteHook;

/**
 * A controller: the kind it reconciles (parent), the kinds it owns (children) and reads
 * (related), and its hooks, each a pure function or a remote hook. Pass one to controller() to
 * check it, and to a program's build() to run it.
 */
export interface ControllerDefinition<P extends KubeObject = KubeObject> {
  /** Names the controller in metrics, logs, events and the managed-by label. */
  name: string;
  /** Its objects' type is the parent type P, so a kind from customKind() types the functions. */
  parent: Kind<P>;
  /**
   * The kinds of the objects it creates and owns. Each is declared once; a namespaced parent
   * cannot own cluster-scoped children. Children of other kinds in an answer are refused.
   */
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
  /** Computes the desired children and status from the request; called for every change that concerns the parent. */
  sync: Hook<SyncRequest<P>, SyncResponse>;
  /** When present, a finalizer keeps the parent until this returns finalized: true. */
  finalize?: Hook<SyncRequest<P>, FinalizeResponse>;
  /**
   * How a child that differs from what the function wants is changed, by "Kind.apiVersion"
   * (default InPlace): a method, or a rolling method with the status checks that children
   * already changed must pass before the next one is.
   */
  updateStrategy?: Record<string, UpdateMethod | RollingUpdate>;
  /** Sync every parent at least this often, even when nothing changes and the function asks for no resync. */
  resyncPeriodSeconds?: number;
  /**
   * Syncs of this controller that run at once (its workers), in place of the program's
   * `--concurrency` (default 4), as controller-runtime's MaxConcurrentReconciles: for a
   * controller on the critical path of a burst, whose syncs mostly wait on API round trips.
   */
  concurrency?: number;
  /**
   * How long a change to a child or a related object waits before it syncs its parent, so that
   * changes close together (a StatefulSet's pods becoming ready one after another) make one sync
   * and one status write instead of one each. A change to the parent itself, a deletion and a
   * retry sync at once. Default 0: every change syncs at once. Kubernetes' endpoint controllers
   * batch pod changes the same way (`--endpoint-updates-batch-period`): for a controller whose
   * status follows its children while the API server is busy.
   */
  batchPeriodSeconds?: number;
  /**
   * The actions the function may answer, so the ClusterRole derived from this definition
   * allows them: `commands` (pods/exec, get and create) and `httpSecrets` (get on Secrets, for
   * HttpRequest.headersFromSecret). HTTP requests themselves need no Kubernetes access.
   * `concurrency` is how many actions of this controller run at once (default 8).
   */
  effects?: { commands?: boolean; httpSecrets?: boolean; concurrency?: number };
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
  /**
   * What remote hooks receive as `controller` in each request. Metacontroller sends the whole
   * CompositeController or DecoratorController; default: `{ metadata: { name } }`.
   */
  hookController?: Record<string, unknown>;
}

/**
 * InPlace applies the change; Recreate deletes the child so the next sync creates it anew;
 * OnDelete leaves it until someone deletes it; RollingInPlace and RollingRecreate change one
 * differing child at a time, in the order the answer lists them, and only while every child
 * already changed passes the status checks (Metacontroller's names).
 */
export type UpdateMethod = "InPlace" | "Recreate" | "OnDelete" | "RollingInPlace" | "RollingRecreate";

/** A rolling method and what a changed child must show before the next one is changed. */
export interface RollingUpdate {
  /** How differing children are changed; the checks matter to the rolling methods only. */
  method: UpdateMethod;
  /** Conditions each child already changed must have in status.conditions; none means no wait. */
  statusChecks?: { conditions?: StatusCheck[] };
}

/** One condition a changed child must have: its type, and the status and reason if given. */
export interface StatusCheck {
  /** The condition's type, e.g. "Ready". */
  type: string;
  /** The status it must have ("True", "False", "Unknown"); any when left out. */
  status?: string;
  /** The reason it must have; any when left out. */
  reason?: string;
}

const controllerNamePattern = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;

/** A controller whose hooks all run in-process: what tests call directly. */
export interface LocalControllerDefinition<P extends KubeObject = KubeObject>
  extends Omit<ControllerDefinition<P>, "sync" | "finalize" | "related"> {
  /** Kinds read but not owned, and the in-process function that says which objects a parent needs. */
  related?: { kinds: Kind[]; select(parent: P): RelatedRequest[] };
  /** Computes the desired children and status; synchronous and pure (no I/O, clock or randomness). */
  sync(request: SyncRequest<P>): SyncResponse;
  /** Cleans up before the parent is deleted; while present, a finalizer holds the parent until it answers finalized: true. */
  finalize?(request: SyncRequest<P>): FinalizeResponse;
}

/**
 * Declares a controller whose hooks all run in this process, and returns it unchanged: what
 * runSync() and converge() take. The declaration itself is checked, so mistakes surface when
 * the module loads rather than at the first sync.
 *
 * @param definition the controller: its name, parent kind, child kinds and functions.
 * @throws Error when the name is not a lowercase DNS label of at most 63 characters, a child
 *   kind is declared twice, a namespaced parent declares a cluster-scoped child, or there is no
 *   sync function.
 */
export function controller<P extends KubeObject = KubeObject>(
  definition: LocalControllerDefinition<P>,
): LocalControllerDefinition<P>;
/**
 * Declares a controller, some of whose hooks may be remote (remote(url)), and returns it
 * unchanged after checking the declaration.
 *
 * @param definition the controller: its name, parent kind, child kinds and hooks.
 * @throws Error when the name is not a lowercase DNS label of at most 63 characters, a child
 *   kind is declared twice, a namespaced parent declares a cluster-scoped child, sync is
 *   neither a function nor a remote hook, concurrency is not a whole number of at least 1, or
 *   batchPeriodSeconds is not a number of seconds from 0 to 3600.
 */
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
  checkCount(definition.name, "concurrency", definition.concurrency);
  checkBatchPeriod(definition.name, definition.batchPeriodSeconds);
  return definition;
}

/** The longest batch period a controller may declare, in seconds. */
export const maxBatchPeriodSeconds = 3600;

/**
 * Checks a controller's `batchPeriodSeconds`: absent, or a number of seconds from 0 to 3600.
 *
 * @throws Error naming the controller and the value otherwise.
 */
export function checkBatchPeriod(controllerName: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0 && value <= maxBatchPeriodSeconds)) {
    throw new Error(
      `controller ${controllerName}: batchPeriodSeconds must be a number of seconds from 0 to ${maxBatchPeriodSeconds}, got ${value}`,
    );
  }
}

/**
 * Checks one of a controller's counts of things run at once (`concurrency`,
 * `effects.concurrency`): absent, or a whole number of at least 1.
 *
 * @throws Error naming the controller, the field and the value otherwise.
 */
export function checkCount(controllerName: string, field: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
    throw new Error(`controller ${controllerName}: ${field} must be a whole number of at least 1, got ${value}`);
  }
}

/**
 * The in-process function of a hook, for code that calls a hook directly.
 *
 * @param hook a function, or a remote hook.
 * @param what names the hook in the error, e.g. "websites sync".
 * @throws Error when the hook is remote: there is no function to call in this process.
 */
export function inProcess<In, Out>(hook: Hook<In, Out>, what: string): (input: In) => Out {
  if (isRemote(hook)) throw new Error(`${what} is a remote hook (${hook.url}), not a function in this process`);
  return hook;
}
