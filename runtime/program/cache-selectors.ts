// Cache selectors a program derives from its controllers: cache only the children they made.
import type { CacheSelector } from "../cache/informers.ts";
import type { ControllerDefinition } from "../controller.ts";
import { type Kind, kindKey } from "../kube/kinds.ts";
import type { LabelSelector } from "../kube/labels.ts";
import { managedByLabel } from "../reconcile/plan.ts";

/** Selects the objects these controllers made: their managed-by label names one of them. */
export function managedBy(controllers: readonly Pick<ControllerDefinition<any>, "name">[]): LabelSelector {
  const names = [...new Set(controllers.map((controller) => controller.name))].sort();
  return { matchExpressions: [{ key: managedByLabel, operator: "In", values: names }] };
}

/**
 * Cache selectors that keep, of each kind given, only the objects one of the controllers made
 * (every child carries the managed-by label of the controller that applied it). In a cluster
 * with many objects of those kinds that are not the program's (ConfigMaps, Services), the cache
 * then holds only the program's own. Use it only for kinds that no controller, RPC service or
 * component of the program reads beyond what its controllers made: every reader of a kind
 * shares its one cache. Objects of those kinds that a controller would adopt or delete must
 * carry the label (an object the program made before it had this label is seen again once a
 * sync applies it).
 *
 * @throws Error when a kind is not a child kind of any of the controllers.
 */
export function managedChildren(
  controllers: readonly ControllerDefinition<any>[],
  kinds: readonly Kind[],
): CacheSelector[] {
  const childKinds = new Set(controllers.flatMap((controller) => controller.children.map(kindKey)));
  const labels = managedBy(controllers);
  return kinds.map((kind) => {
    if (!childKinds.has(kindKey(kind))) {
      throw new Error(
        `${kindKey(kind)} is a child kind of none of the controllers: its cache cannot be narrowed to theirs`,
      );
    }
    return { kind, labels };
  });
}
