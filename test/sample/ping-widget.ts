// A controller for tracing and fault tests: each Widget gets one ConfigMap and, when spec.notes
// names a pod, one command run in that pod ("ping-<generation>": `echo pong`, or with message
// "slow" a command that sleeps 61.5 s first); spec.fail makes the sync throw.
// Served in-process or by the hook server (`kubefn hooks --functions test/sample/ping-widget.ts`).
import { builtinKinds, controller } from "../../runtime/mod.ts";
import { type Widget, WidgetKind } from "./widget.ts";

export const pingWidgets = controller<Widget>({
  name: "ping-widgets",
  parent: WidgetKind,
  children: [builtinKinds.ConfigMap],
  sync({ parent, results }) {
    const spec = parent.spec ?? {};
    if (spec.fail) throw new Error("spec.fail is set; clear it to recover");
    const id = `ping-${parent.metadata.generation ?? 0}`;
    const pause = spec.message === "slow" ? "sleep 61.5; " : "";
    return {
      children: [{
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${parent.metadata.name}-ping` },
        data: { message: spec.message ?? "hello" },
      }],
      actions: spec.notes
        ? [{ id, pod: spec.notes, container: "main", command: ["sh", "-c", `${pause}echo pong`] }]
        : [],
      status: { message: results?.[id]?.stdout?.trim() ?? "" },
    };
  },
});
