// The ping-widgets controller as a program, its spans exported by test/sample/tracing.ts:
//   node --import ./test/sample/tracing.ts test/sample/traced.ts
// With SAMPLE_HOOKS_URL set, the function is called on that hook server instead of in-process.
import { servedAt } from "../../runtime/mod.ts";
import { runManager } from "../../runtime/run.ts";
import { pingWidgets } from "./ping-widget.ts";

const hooks = process.env.SAMPLE_HOOKS_URL;

await runManager("traced-sample", () => ({
  name: "traced-sample",
  controllers: [hooks ? servedAt(pingWidgets, hooks) : pingWidgets],
}));
