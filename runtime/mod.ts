// The runtime's front door for writing controllers: the function contract, kinds and objects,
// pure helpers for answers, and remote hooks. Everything here is pure or a declaration, so a
// file of functions that imports only this loads no client, cache, server or engine, and runs
// in-process, in a unit test, or behind the hook server alike.
//
// The other doors: run.ts (run a program: manager, flags, RPC services), manifests.ts (CRDs,
// RBAC and Deployments as data) and hooks.ts (serve functions as Metacontroller webhooks).
export {
  type Action,
  type ActionBase,
  type ActionEvent,
  type ActionResult,
  type CommandAction,
  controller,
  type ControllerDefinition,
  defaultHookTimeoutSeconds,
  type DesiredObject,
  type FinalizeResponse,
  type Hook,
  type HttpAction,
  type HttpRequest,
  inProcess,
  isRemote,
  type LocalControllerDefinition,
  type ModelObject,
  objectOf,
  type ObjectsByKind,
  objectsOf,
  type RelatedRequest,
  type RemoteHook,
  type RemoteHookOptions,
  type RollingUpdate,
  type StatusCheck,
  type SyncRequest,
  type SyncResponse,
  type UpdateMethod,
} from "./controller.ts";
export { type BuiltinKindName, builtinKinds, groupOf, type Kind, kind, kindKey } from "./kube/kinds.ts";
export { type LabelSelector, type LabelSelectorRequirement, labelsSelected, selectorString } from "./kube/labels.ts";
export {
  type CustomKind,
  customKind,
  type CustomKindOptions,
  type CustomObject,
  IntOrString,
  type ObjectOf,
  PreserveUnknown,
  type PrinterColumn,
  type RuntimeStatus,
  type ValidationRule,
} from "./schema/kind.ts";
export type { Static, TObject, TProperties, TSchema, TUnsafe } from "./schema/typebox.ts";
export {
  controllerOf,
  type KubeObject,
  objectKey,
  type ObjectMeta,
  type OwnerReference,
  splitKey,
} from "./kube/objects.ts";
export { rfc3339 } from "./kube/time.ts";
export { fingerprint, headlessService, readyCondition, unchangedChildren } from "./helpers.ts";
export { remote, servedAt } from "./webhook/remote.ts";
export type { Access, Verb } from "./kube/access.ts";
