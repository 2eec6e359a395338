// Converges a controller without a cluster: each answer's children and status are stored as
// the API server would store them and fed back as the next request, until an answer changes
// nothing. A test plays the other controllers (a Deployment becoming ready, say) in `observe`.
// Pure.
import type { DesiredObject, LocalControllerDefinition } from "../controller.ts";
import { kindKey } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";
import type { ValidResponse } from "../reconcile/validate.ts";
import { stampChild } from "../reconcile/plan.ts";
import { byKind, runSync, stored } from "./function.ts";

/** Where converge() starts, and how the rest of the cluster behaves. */
export interface ConvergeOptions<P extends KubeObject> {
  /** The parent as the API server would hold it (see stored()); its status follows each answer. */
  parent: P;
  /** Children that exist before the first sync. */
  children?: KubeObject[];
  /** Related objects, unchanged through the run. */
  related?: KubeObject[];
  /**
   * Called on every child once it is stored, before the next sync: return it as other
   * controllers would leave it (with a status, say). Default: unchanged.
   */
  observe?(child: KubeObject, round: number): KubeObject;
  /** Give up after this many syncs; default 20. */
  maxRounds?: number;
}

/** The state converge() reached, and how it got there. */
export interface Converged<P extends KubeObject> {
  /** The parent with the last status the function answered (plus observedGeneration). */
  parent: P;
  /** The children as stored after the last round. */
  children: KubeObject[];
  /** Every answer, in order; the last one changed nothing. */
  answers: ValidResponse[];
  /** How many syncs it took; at least 2, since the last answer is compared with the one before. */
  rounds: number;
}

const key = (object: KubeObject) => `${kindKey(object)} ${object.metadata.namespace ?? ""}/${object.metadata.name}`;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The desired child as stored: over what existed (which keeps its status and uid), owned by the parent. */
function store(desired: DesiredObject, existing: KubeObject | undefined, parent: KubeObject, name: string): KubeObject {
  const stamped = stampChild(desired, parent, name);
  if (!existing) {
    return stored(stamped, { namespace: parent.metadata.namespace, clusterScoped: !stamped.metadata.namespace });
  }
  const { status: _answered, ...rest } = stamped;
  return { ...existing, ...rest, metadata: { ...existing.metadata, ...stamped.metadata } };
}

/**
 * Syncs until the function's answer is the same twice in a row (children and status), and
 * returns the converged state; throws when that takes more than maxRounds syncs, naming what
 * still changed. Every sync goes through runSync, so schema, validation and purity checks apply.
 *
 * @param definition the controller, with in-process functions.
 * @param options the parent, what exists at first, and how other controllers change the children.
 */
export function converge<P extends KubeObject>(
  definition: LocalControllerDefinition<P>,
  options: ConvergeOptions<P>,
): Converged<P> {
  const maxRounds = options.maxRounds ?? 20;
  let parent = options.parent;
  let children = options.children ?? [];
  const answers: ValidResponse[] = [];
  for (let round = 1; round <= maxRounds; round++) {
    const answer = runSync(definition, { parent, children: byKind(children), related: options.related ?? [] });
    const previous = answers.at(-1);
    answers.push(answer);
    const existing = new Map(children.map((child) => [key(child), child]));
    const next = answer.children.map((child) => {
      const storedChild = store(child, existing.get(key(child as KubeObject)), parent, definition.name);
      return options.observe ? options.observe(storedChild, round) : storedChild;
    });
    if (answer.status !== undefined) {
      parent = { ...parent, status: { ...answer.status, observedGeneration: parent.metadata.generation } };
    }
    const settled = previous && same(previous.children, answer.children) && same(previous.status, answer.status) &&
      same(children, next);
    children = next;
    if (settled) return { parent, children, answers, rounds: round };
  }
  const last = answers.at(-1)!;
  const before = answers.at(-2);
  const changed = before && !same(before.status, last.status) ? "the status" : "the children";
  throw new Error(`${definition.name} did not converge in ${maxRounds} syncs: ${changed} still changed`);
}
