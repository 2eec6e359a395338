// Kubernetes' label-selector text (--target-label-selector) read into matchExpressions, and
// matched by the same function a resource's labelSelector is: a table of texts, what they
// parse to, which labels they pick, and the texts that are refused, with why.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  formatLabelSelector,
  LabelSelectorSyntaxError,
  parseLabelSelector,
} from "../../../../functions/metacontroller/label-selector.ts";
import { labelsSelected } from "../../../../functions/metacontroller/translate.ts";

const parsed: Array<[string, unknown[]]> = [
  ["", []],
  ["   ", []],
  ["team=a", [{ key: "team", operator: "In", values: ["a"] }]],
  ["team==a", [{ key: "team", operator: "In", values: ["a"] }]],
  ["team!=a", [{ key: "team", operator: "NotIn", values: ["a"] }]],
  ["team=", [{ key: "team", operator: "In", values: [""] }]],
  ["team", [{ key: "team", operator: "Exists" }]],
  ["!legacy", [{ key: "legacy", operator: "DoesNotExist" }]],
  ["team in (a,b)", [{ key: "team", operator: "In", values: ["a", "b"] }]],
  ["team notin ( a , b , a )", [{ key: "team", operator: "NotIn", values: ["a", "b"] }]],
  ["team in ()", [{ key: "team", operator: "In", values: [""] }]],
  ["team in (a,)", [{ key: "team", operator: "In", values: ["a", ""] }]],
  ["mode=in", [{ key: "mode", operator: "In", values: ["in"] }]],
  [
    "example.com/team = a , tier in (gold,silver), !legacy, canary",
    [
      { key: "example.com/team", operator: "In", values: ["a"] },
      { key: "tier", operator: "In", values: ["gold", "silver"] },
      { key: "legacy", operator: "DoesNotExist" },
      { key: "canary", operator: "Exists" },
    ],
  ],
];

for (const [text, expressions] of parsed) {
  test(`"${text}" reads as ${JSON.stringify(expressions)}`, () => {
    assert.equal(parseLabelSelector(text), { matchExpressions: expressions });
  });
}

/** [selector, labels, selected?] */
const matches: Array<[string, Record<string, string>, boolean]> = [
  ["", {}, true],
  ["team=a", { team: "a" }, true],
  ["team=a", { team: "b" }, false],
  ["team=a", {}, false],
  ["team!=a", { team: "b" }, true],
  ["team!=a", {}, true],
  ["team!=a", { team: "a" }, false],
  ["team in (a,b)", { team: "b" }, true],
  ["team in (a,b)", { team: "c" }, false],
  ["team in (a,b)", {}, false],
  ["team notin (a,b)", { team: "c" }, true],
  ["team notin (a,b)", {}, true],
  ["team notin (a,b)", { team: "a" }, false],
  ["team", { team: "" }, true],
  ["team", { other: "x" }, false],
  ["!legacy", { team: "a" }, true],
  ["!legacy", { legacy: "" }, false],
  ["team=a,!legacy", { team: "a" }, true],
  ["team=a,!legacy", { team: "a", legacy: "yes" }, false],
  ["team=", { team: "" }, true],
  ["team=", { team: "a" }, false],
];

for (const [text, labels, selected] of matches) {
  test(`"${text}" ${selected ? "picks" : "does not pick"} ${JSON.stringify(labels)}`, () => {
    assert.is(labelsSelected(parseLabelSelector(text), labels), selected);
  });
}

/** [text, what the message says] */
const refused: Array<[string, RegExp]> = [
  ["team in a", /expected "\(" after in or notin, found "a"/],
  ["team in (a", /expected "," or "\)" in a list of values, found the end/],
  ["team in (a b)", /expected "," or "\)" in a list of values, found "b"/],
  ["team=a,", /expected a requirement after the last comma, found the end/],
  [",team=a", /expected a label key or !, found ","/],
  ["team=a,,tier=b", /expected a label key or !, found ","/],
  ["team=a tier=b", /expected "," between requirements, found "tier"/],
  ["!legacy=yes", /expected "," between requirements, found "="/],
  ["!", /expected a label key after !, found the end/],
  ["team foo", /expected =, ==, !=, in or notin after "team", found "foo"/],
  ["=a", /expected a label key or !, found "="/],
  ["in=a", /expected a label key or !, found "in"/],
  ["team=a=b", /expected "," between requirements, found "="/],
  ["-team=a", /"-team" is not a label key/],
  [`${"k".repeat(64)}=a`, /is not a label key/],
  ["Bad_Prefix/team=a", /"Bad_Prefix\/team" is not a label key/],
  ["team=a b", /expected "," between requirements, found "b"/],
  [`team=${"v".repeat(64)}`, /is not a label value/],
  ["team=-a", /"-a" is not a label value/],
  ["replicas>1", /the numeric comparison "replicas > \.\.\." is not supported/],
  ["replicas<1", /the numeric comparison "replicas < \.\.\." is not supported/],
];

for (const [text, message] of refused) {
  test(`"${text}" is refused: ${message.source}`, () => {
    assert.throws(() => parseLabelSelector(text), (error: Error) => {
      assert.instance(error, LabelSelectorSyntaxError);
      assert.match(error.message, message);
      return true;
    });
  });
}

test("the canonical text is the same for selectors that mean the same, and differs otherwise", () => {
  const canonical = (text: string) => formatLabelSelector(parseLabelSelector(text));
  assert.is(canonical("tier in (silver, gold),team==a,!legacy"), "!legacy,team=a,tier in (gold,silver)");
  assert.is(canonical("team=a , !legacy,tier in (gold,silver)"), canonical("tier in (silver, gold),team==a,!legacy"));
  assert.is.not(canonical("team=a"), canonical("team!=a"));
  assert.is.not(canonical("team in (a,b)"), canonical("team notin (a,b)"));
  assert.is(canonical(""), "");
});

test("the canonical text reads back as the same selector", () => {
  for (const [text] of parsed) {
    const selector = parseLabelSelector(text);
    const again = parseLabelSelector(formatLabelSelector(selector));
    assert.is(formatLabelSelector(again), formatLabelSelector(selector), text);
  }
});

test.run();
