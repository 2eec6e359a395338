// The sample controller as a program, on Node or Deno: node test/sample/main.ts --help
import { runManager } from "../../runtime/run.ts";
import { widgetNotes, widgetNotify, widgets } from "./widget.ts";

await runManager("sample-controller", () => ({
  name: "sample-controller",
  finalizerDomain: "sample.runtime.test",
  controllers: [widgets, widgetNotes, widgetNotify],
}));
