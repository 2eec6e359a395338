// controller() checks a declaration when it is made, so a mistake fails at import with a
// message naming the controller and the field.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { builtinKinds, controller } from "../../../runtime/mod.ts";

const declare = (extra: Record<string, unknown>) => () =>
  controller({
    name: "things",
    parent: builtinKinds.ConfigMap,
    children: [builtinKinds.Secret],
    sync: () => ({ children: [] }),
    ...extra,
  });

test("a controller's own concurrency is a whole number of at least 1", () => {
  for (const concurrency of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      declare({ concurrency }),
      (error: Error) =>
        error.message === `controller things: concurrency must be a whole number of at least 1, got ${concurrency}`,
      String(concurrency),
    );
  }
  assert.is(declare({ concurrency: 16 })().concurrency, 16);
  assert.is(declare({})().concurrency, undefined, "absent: the program's --concurrency applies");
});

test("a batch period is a number of seconds from 0 to 3600", () => {
  for (const batchPeriodSeconds of [-1, Number.NaN, Number.POSITIVE_INFINITY, 3601]) {
    assert.throws(
      declare({ batchPeriodSeconds }),
      (error: Error) =>
        error.message ===
          `controller things: batchPeriodSeconds must be a number of seconds from 0 to 3600, got ${batchPeriodSeconds}`,
      String(batchPeriodSeconds),
    );
  }
  assert.is(declare({ batchPeriodSeconds: 0.5 })().batchPeriodSeconds, 0.5);
  assert.is(declare({ batchPeriodSeconds: 0 })().batchPeriodSeconds, 0);
});

test("a child kind declared twice and a missing sync are refused by name", () => {
  assert.throws(
    declare({ children: [builtinKinds.Secret, builtinKinds.Secret] }),
    /controller things declares child kind Secret\.v1 twice/,
  );
  assert.throws(declare({ sync: undefined }), /controller things has no sync function or remote hook/);
});

test.run();
