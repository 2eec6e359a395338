// Pure: the finalizer a controller with a finalize() hook keeps on its parents, and which
// hook a parent's state calls for. The finalizer is added before the first sync, so a parent
// deleted at any time after is finalized; it is removed once finalize() answers finalized.
import type { ControllerDefinition } from "../controller.ts";
import { groupOf } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";

export type Hook = "sync" | "finalize";

export interface FinalizerStep {
  /** The hook to call, or undefined when there is nothing to do for this parent. */
  hook: Hook | undefined;
  /** Add the finalizer before calling the hook. */
  addFinalizer: boolean;
}

/** Finalizers are "<domain>/<controller name>". */
/** The finalizer's domain when the program names none and the parent is a core kind. */
export const coreFinalizerDomain = "controller.runtime";

/**
 * "<domain>/<controller name>": the program's finalizer domain, or else the parent kind's API
 * group (kubebuilder's convention), or coreFinalizerDomain for a core kind.
 */
export const finalizerName = (domain: string | undefined, controllerName: string, parentApiVersion = "") =>
  `${domain || groupOf(parentApiVersion) || coreFinalizerDomain}/${controllerName}`;

/**
 * Which hook a parent calls for. `selected` is false when the controller's filter no longer
 * picks the parent: like a deleted one, it is finalized while it holds the finalizer (the
 * controller lets go of it, as Metacontroller's decorators do when a parent stops matching),
 * and then left alone.
 */
export function finalizerStep(
  parent: KubeObject,
  finalizer: string,
  definition: Pick<ControllerDefinition<any>, "finalize">,
  selected = true,
): FinalizerStep {
  const finalizing = Boolean(parent.metadata.deletionTimestamp) || !selected;
  const hasFinalizer = holdsFinalizer(parent, finalizer);
  // Being deleted or let go: only a controller that still holds its finalizer has anything to do.
  if (finalizing) return { hook: definition.finalize && hasFinalizer ? "finalize" : undefined, addFinalizer: false };
  return { hook: "sync", addFinalizer: Boolean(definition.finalize) && !hasFinalizer };
}

/** Whether the parent carries this finalizer. */
export function holdsFinalizer(parent: KubeObject, finalizer: string): boolean {
  return parent.metadata.finalizers?.includes(finalizer) ?? false;
}

/**
 * The server-side apply body that adds or removes this controller's finalizer. Under the
 * controller's own field manager it owns only its own entry, so other finalizers stay.
 */
export function finalizerApply(parent: KubeObject, finalizer: string, present: boolean): KubeObject {
  return {
    apiVersion: parent.apiVersion,
    kind: parent.kind,
    metadata: {
      name: parent.metadata.name,
      namespace: parent.metadata.namespace,
      finalizers: present ? [finalizer] : [],
    },
  };
}
