// Calling remote hooks over loopback HTTP: the answer of a hook server, and every way a call
// fails turned into the error the runner reports (SyncFailed, InvalidResponse) with the hook's
// status and message.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { serve } from "@hono/node-server";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { controller, type SyncRequest } from "../../../../runtime/controller.ts";
import { callRemote, HookError, maxHookBodyBytes } from "../../../../runtime/webhook/client.ts";
import { isRemote } from "../../../../runtime/controller.ts";
import { remote, servedAt } from "../../../../runtime/webhook/remote.ts";
import { hookApp } from "../../../../runtime/hook-server/serve.ts";
import { builtinKinds, kind } from "../../../../runtime/kube/kinds.ts";
import { callRelated, callSync } from "../../../../runtime/reconcile/call.ts";
import { failureReasonOf } from "../../../../runtime/reconcile/failures.ts";

const Widget = kind("example.com/v1", "Widget", "widgets");
const widgets = controller({
  name: "widgets",
  parent: Widget,
  children: [builtinKinds.ConfigMap],
  related: { kinds: [builtinKinds.Secret], select: () => [{ apiVersion: "v1", kind: "Secret", names: ["tls"] }] },
  sync: ({ parent }) => ({
    children: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: parent.metadata.name } }],
    status: { seen: true },
  }),
});
const parent = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "ns", uid: "u" } };
const request: SyncRequest = { parent, children: {}, related: {}, finalizing: false };

/** A raw HTTP server whose answer each test chooses. */
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end("{}");
const raw = createServer((req, res) => answer(req, res));
let rawUrl = "";
const hooks = serve({ fetch: hookApp([widgets]).fetch, hostname: "127.0.0.1", port: 0 });
let hooksUrl = "";

test.before(async () => {
  await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
  rawUrl = `http://127.0.0.1:${(raw.address() as { port: number }).port}`;
  await new Promise<void>((resolve) => (hooks.listening ? resolve() : hooks.once("listening", resolve)));
  hooksUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}`;
});

test.after(async () => {
  raw.closeAllConnections();
  await new Promise((resolve) => raw.close(resolve));
  await new Promise((resolve) => hooks.close(resolve));
});

test("remote() checks its URL and timeout, and is told apart from a function", () => {
  assert.throws(() => remote("ftp://x/sync"), /only http and https/);
  assert.throws(() => remote("http://x/sync", { timeoutSeconds: 0 }), /timeoutSeconds must be positive/);
  assert.ok(isRemote(remote("http://x/sync")));
  assert.not.ok(isRemote(widgets.sync));
  assert.is(remote("http://x/sync").timeoutSeconds, 10, "Metacontroller's default");
});

test("a controller served elsewhere answers as it does in-process, sync and customize", async () => {
  const served = servedAt(widgets, hooksUrl);
  assert.ok(isRemote(served.sync));
  assert.equal(await callSync(served, false, request), widgets.sync(request));
  // The parent's namespace, a request's default, comes back said outright.
  assert.equal(await callRelated(served, parent), [{
    apiVersion: "v1",
    kind: "Secret",
    namespace: parent.metadata.namespace,
    names: ["tls"],
  }]);
});

const failures: Array<
  [string, (req: IncomingMessage, res: ServerResponse) => void, number, RegExp, "SyncFailed" | "InvalidResponse"]
> = [
  [
    "a 500 with the hook's own message",
    (_req, res) => {
      res.statusCode = 500;
      res.end(JSON.stringify({ error: "boom" }));
    },
    10,
    /answered 500: boom/,
    "SyncFailed",
  ],
  [
    "a 404 with a plain body",
    (_req, res) => {
      res.statusCode = 404;
      res.end("no such hook\n");
    },
    10,
    /answered 404: no such hook/,
    "SyncFailed",
  ],
  ["no answer in time", () => undefined, 0.3, /did not answer within 0.3 s/, "SyncFailed"],
  ["a body that is not JSON", (_req, res) => res.end("<html>"), 10, /not JSON: <html>/, "InvalidResponse"],
  ["JSON that is not an object", (_req, res) => res.end("[1]"), 10, /JSON that is not an object/, "InvalidResponse"],
  [
    "an answer over the limit",
    (_req, res) => {
      res.setHeader("content-length", String(maxHookBodyBytes + 1));
      res.end();
    },
    10,
    /more than the limit/,
    "InvalidResponse",
  ],
];
for (const [name, handler, timeoutSeconds, message, reason] of failures) {
  test(`${name} fails the sync (${reason})`, async () => {
    answer = handler;
    const error = await callSync(servedAt(widgets, rawUrl, { timeoutSeconds }), false, request).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(error, "the call failed");
    assert.match(error!.message, message);
    assert.is(failureReasonOf(error), reason);
  });
}

test("an unreachable hook says so", async () => {
  const error = await callRemote(remote("http://127.0.0.1:1/sync"), "sync", {}).catch((e: Error) => e);
  assert.instance(error, HookError);
  assert.match((error as Error).message, /sync hook http:\/\/127.0.0.1:1\/sync could not be reached/);
});

test("the request carries Metacontroller's fields and the bearer token", async () => {
  let seen: { body: Record<string, unknown>; authorization?: string } | undefined;
  answer = (req, res) => {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => {
      seen = { body: JSON.parse(text), authorization: req.headers.authorization };
      res.end("{}");
    });
  };
  await callSync(servedAt(widgets, rawUrl, { token: "secret" }), false, request);
  assert.equal(Object.keys(seen!.body).sort(), ["children", "controller", "finalizing", "parent", "related"]);
  assert.equal(seen!.body.controller, { metadata: { name: "widgets" } });
  assert.is(seen!.authorization, "Bearer secret");
});

test("an in-process function that returns a Promise is refused as an invalid response", async () => {
  const asynchronous = controller({ name: "async", parent: Widget, children: [], sync: (async () => ({})) as never });
  const error = await callSync(asynchronous, false, request).catch((e: Error) => e);
  assert.is(failureReasonOf(error), "InvalidResponse");
  assert.match((error as Error).message, /must be synchronous and pure/);
});

test.run();
