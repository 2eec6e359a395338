// Traces from a program on the runtime, as an OpenTelemetry user sees them in their backend:
// the program registers the SDK with the OTLP/HTTP exporter (test/sample/tracing.ts), its
// function is served by the hook server (itself traced), and both send to a real OTLP
// receiver, the Collector's otlpreceiver. One Widget's sync must read as one trace: the sync
// linked to the watch events that queued it, the call to the hook carrying traceparent and
// continued by the hook server, each apply and status write, and the pod command the answer
// asked for; a failing sync is marked an error with the hook's message.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { type Widget, WidgetKind } from "../../sample/widget.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { kubectlOrThrow } from "../../support/kubectl.ts";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../../support/otlp.ts";
import { installWidgetCrd, type SampleProcess, startSample } from "../../support/sample.ts";
import { suite } from "../../support/suite.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite("runtime: traces to a real OTLP receiver");
const tracing = join(root, "test", "sample", "tracing.ts");
const pod = "ping-target";

let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let workDir: string;
let receiver: OtlpReceiver;
let hooks: { process: ChildProcess; url: string; stop(): Promise<void> };
let program: SampleProcess;

/** The hook server on Node with the tracing setup, on a free port. */
async function startHooks(otlpUrl: string): Promise<typeof hooks> {
  const args = [
    "--import",
    tracing,
    join(root, "runtime", "hook-server", "main.ts"),
    `--functions=${join(root, "test", "sample", "ping-widget.ts")}`,
    "--host=127.0.0.1",
    "--port=0",
  ];
  const [command, commandArgs] = existsSync("/usr/bin/setpriv")
    ? ["/usr/bin/setpriv", ["--pdeathsig", "SIGKILL", process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(command, commandArgs, {
    cwd: root,
    env: { ...process.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl, OTEL_SERVICE_NAME: "traced-hooks" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const port = await eventually("the hook server to serve", () => {
    if (child.exitCode !== null) throw new Error(`the hook server exited: ${stderr}`);
    return /"serving hooks","port":(\d+)/.exec(stderr)?.[1];
  }, { timeoutMs: 30_000 });
  return {
    process: child,
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

const ns = () => namespace.name;
const spans = () => receiver.spans();
const named = (name: string, service?: string) =>
  spans().filter((span) => span.name === name && (!service || span.service === service));
const childrenOf = (parent: ReceivedSpan) =>
  spans().filter((span) => span.traceId === parent.traceId && span.parentSpanId === parent.spanId);
const widgetSyncs = (name: string) =>
  named("sync ping-widgets", "traced-controller").filter((span) => span.attributes["kubefn.object.name"] === name);

test.before(async () => {
  receiver = await startOtlpReceiver();
  namespace = await freshNamespace(config, "tracing");
  await installWidgetCrd(config);
  workDir = mkdtempSync(join(tmpdir(), "tracing-test-"));
  const manifest = [
    `apiVersion: v1\nkind: Pod\nmetadata: {name: ${pod}}\nspec:\n  containers:\n  - {name: main, image: busybox}\n`,
    `apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Exec\nmetadata: {name: ${pod}}\nspec:\n  execs:\n  - containers: [main]\n    local:\n      workDir: ${workDir}\n`,
  ].join("---\n");
  await kubectlOrThrow(admin, ["apply", "-n", ns(), "-f", "-"], manifest);
  await kubectlOrThrow(admin, ["wait", "-n", ns(), "--for=condition=Ready", `pod/${pod}`, "--timeout=60s"]);
  hooks = await startHooks(receiver.httpTracesUrl);
  program = await startSample({
    script: join(root, "test", "sample", "traced.ts"),
    identity: "traced",
    namespace: ns(),
    nodeArgs: ["--import", tracing],
    env: {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.httpTracesUrl,
      OTEL_SERVICE_NAME: "traced-controller",
      SAMPLE_HOOKS_URL: hooks.url,
    },
  });
  // Parents that exist when a leader starts are queued by the start, not by a watch event:
  // create them only once it leads, so the first sync is the one the event queued.
  await eventually("the program to lead", async () => (await program.readyz()).leader);
});

test.after(async () => {
  await program?.stop();
  await hooks?.stop();
  await receiver?.stop();
  await namespace?.remove();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test("a sync is one trace: watch event links, the remote call and the hook server's span, applies, status", async () => {
  await client.create<Widget>(WidgetKind, {
    apiVersion: WidgetKind.apiVersion,
    kind: "Widget",
    metadata: { name: "traced", namespace: ns() },
    spec: { message: "hi" },
  });
  // The first sync that applied the ConfigMap, with every child span it should have.
  const { sync, call, hook, apply } = await eventually("the first sync's spans", () => {
    for (const sync of widgetSyncs("traced")) {
      const children = childrenOf(sync);
      const call = children.find((span) => span.name === "call sync");
      const apply = children.find((span) => span.name === "apply ConfigMap");
      const hook = call && childrenOf(call).find((span) => span.name === "hook sync");
      if (call && apply && hook) return { sync, call, hook, apply };
    }
    return undefined;
  });
  assert.is(sync.kind, 1, "the sync is an internal span");
  assert.equal(
    [
      sync.attributes["kubefn.controller"],
      sync.attributes["k8s.namespace.name"],
      sync.attributes["kubefn.sync.result"],
    ],
    ["ping-widgets", ns(), "success"],
  );
  assert.is(sync.parentSpanId, "", "a sync starts its own trace");

  // Linked to the watch event that queued it; the event's span arrived too.
  const linked = sync.links.map((link) => spans().find((span) => span.spanId === link.spanId));
  const added = linked.find((span) => span?.name === "watch added Widget");
  assert.ok(added, `links: ${JSON.stringify(linked.map((span) => span?.name))}`);
  assert.is(added!.kind, 5, "a watch event is a consumer span");
  assert.is(added!.attributes["kubefn.object.name"], "traced");

  // The remote call carried traceparent: the hook server's span continues the trace under it.
  assert.is(call.kind, 3, "calling a remote hook is a client span");
  assert.match(String(call.attributes["url.full"]), `${hooks.url}ping-widgets/sync`);
  assert.is(hook.service, "traced-hooks");
  assert.is(hook.traceId, sync.traceId);
  assert.is(hook.kind, 2, "the hook server's span is a server span");
  assert.is(hook.attributes["http.response.status_code"], 200);

  assert.is(apply.kind, 3);
  assert.equal(
    [apply.attributes["kubefn.object.name"], apply.attributes["k8s.namespace.name"]],
    ["traced-ping", ns()],
  );
  const status = await eventually(
    "a status write under a sync",
    () => widgetSyncs("traced").flatMap(childrenOf).find((span) => span.name === "status Widget"),
  );
  assert.is(status.status.code, 0);
});

test("a pod command the answer asked for is a span under the sync that asked", async () => {
  await client.patch(WidgetKind, ns(), "traced", { spec: { message: "hi", notes: pod } });
  await eventually("the command's stdout in the status", async () => {
    const widget = await client.get<Widget & { status?: { message?: string } }>(WidgetKind, ns(), "traced");
    return widget.status?.message === "pong";
  });
  const generation = (await client.get<Widget>(WidgetKind, ns(), "traced")).metadata.generation;
  const action = await eventually("the action's span", () => named(`action ping-${generation}`)[0]);
  assert.is(action.service, "traced-controller");
  assert.equal(
    [action.attributes["kubefn.action.id"], action.attributes["k8s.pod.name"], action.attributes["process.exit.code"]],
    [`ping-${generation}`, pod, 0],
  );
  // Spans leave in batches: the parent may come in a later one.
  const parent = await eventually(
    "the action's parent span",
    () => spans().find((span) => span.spanId === action.parentSpanId),
  );
  assert.is(parent.name, "sync ping-widgets", "its parent is the sync that answered it");
  assert.is(parent.traceId, action.traceId);
  // That sync was queued by the spec change: its links name the update.
  const linkedNames = parent.links.map((link) => spans().find((span) => span.spanId === link.spanId)?.name);
  assert.ok(linkedNames.includes("watch updated Widget"), JSON.stringify(linkedNames));
});

test("a failing sync: an error span with the hook's message, on both sides", async () => {
  await client.patch(WidgetKind, ns(), "traced", { spec: { fail: true } });
  const failed = await eventually(
    "a failed sync span",
    () => widgetSyncs("traced").find((span) => span.status.code === 2),
  );
  assert.match(failed.status.message, "spec.fail is set; clear it to recover");
  assert.is(failed.attributes["kubefn.sync.result"], "error");
  assert.ok(failed.events.includes("exception"), "the error is recorded as an exception event");
  const call = childrenOf(failed).find((span) => span.name === "call sync");
  assert.is(call?.status.code, 2);
  const hook = await eventually(
    "the hook server's failed span",
    () => childrenOf(call!).find((span) => span.name === "hook sync"),
  );
  assert.equal([hook.status.code, hook.attributes["http.response.status_code"]], [2, 500]);
  await client.patch(WidgetKind, ns(), "traced", { spec: { fail: false } });
});

test.run();
