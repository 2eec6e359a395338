// A structured label selector as the labelSelector query parameter the API server parses.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { labelsSelected, selectorString } from "../../../../runtime/kube/labels.ts";

test("every part of a structured selector is written as the API server's selector syntax", () => {
  const selector = {
    matchLabels: { app: "web", "app.kubernetes.io/part-of": "shop" },
    matchExpressions: [
      { key: "tier", operator: "In" as const, values: ["a", "b"] },
      { key: "zone", operator: "NotIn" as const, values: ["x"] },
      { key: "ready", operator: "Exists" as const },
      { key: "legacy", operator: "DoesNotExist" as const },
    ],
  };
  assert.is(
    selectorString(selector),
    "app=web,app.kubernetes.io/part-of=shop,tier in (a,b),zone notin (x),ready,!legacy",
  );
  assert.is(selectorString({}), "", "an empty selector selects everything");
  // What the string selects, labelsSelected selects too (the cache checks writes with it).
  const labels = { app: "web", "app.kubernetes.io/part-of": "shop", tier: "b", zone: "y", ready: "" };
  assert.ok(labelsSelected(selector, labels));
  assert.not.ok(labelsSelected(selector, { ...labels, legacy: "1" }));
});

test("an unknown operator is refused by name", () => {
  assert.throws(
    () => selectorString({ matchExpressions: [{ key: "a", operator: "Gt" as never }] }),
    /operator "Gt" is not one of In, NotIn, Exists, DoesNotExist/,
  );
});

test.run();
