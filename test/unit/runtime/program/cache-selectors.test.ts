// The cache selectors a program derives from its controllers: only what they made.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { managedBy, managedChildren } from "../../../../runtime/program/cache-selectors.ts";
import { builtinKinds } from "../../../../runtime/kube/kinds.ts";
import { selectorString } from "../../../../runtime/kube/labels.ts";
import { atomixControllers, defaultAtomixOptions } from "../../../../functions/atomix-controller/controllers.ts";
import { childKindsCachedWhenOurs } from "../../../../functions/atomix-controller/program.ts";

test("managedBy selects the managed-by label of each controller, named once and in order", () => {
  const selector = managedBy([{ name: "b" }, { name: "a" }, { name: "b" }]);
  assert.is(selectorString(selector), "app.kubernetes.io/managed-by in (a,b)");
});

test("managedChildren narrows child kinds only, and names a kind that is none", () => {
  const controllers = atomixControllers(defaultAtomixOptions);
  const selectors = managedChildren(controllers, childKindsCachedWhenOurs);
  assert.equal(selectors.map((each) => each.kind.kind), [
    "ConfigMap",
    "Service",
    "StatefulSet",
    "PodDisruptionBudget",
    "EndpointSlice",
  ]);
  assert.is(
    selectorString(selectors[0]!.labels),
    `app.kubernetes.io/managed-by in (${controllers.map((c) => c.name).sort().join(",")})`,
  );
  assert.throws(
    () => managedChildren(controllers, [builtinKinds.Secret]),
    /Secret\.v1 is a child kind of none of the controllers/,
  );
});

test.run();
