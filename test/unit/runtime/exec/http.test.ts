// HTTP actions as data and against a real HTTP server on loopback: what the validator refuses,
// what goes out (method, headers, the Idempotency-Key, a JSON body), how every ending comes
// back (a status code, a kept body, a redirect not followed, a deadline, a refused connection),
// and the ActionRunner's promises for requests: success by status code, a retry with the same
// key, headers from a Secret that never reach the result, Events, and the journal a next
// leader reads.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Action, HttpAction } from "../../../../runtime/controller.ts";
import { type ActionJournal, ActionRunner } from "../../../../runtime/exec/actions.ts";
import { defaultMaxBodyBytes, describeFetchError, methodOf, sendHttp } from "../../../../runtime/exec/http.ts";
import { actionProblems } from "../../../../runtime/reconcile/validate-actions.ts";
import { createLogger } from "../../../../runtime/log.ts";
import { memoryJournal } from "./journal.ts";

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A loopback server that records each request and answers as `respond` says. */
async function receiver(
  respond: (seen: Seen, res: import("node:http").ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const entry = {
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      respond(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const http = (url: string, extra: Partial<HttpAction["http"]> = {}, id = "notify/p"): HttpAction => ({
  id,
  http: { url, ...extra },
});

test("HTTP actions: valid ones pass; each problem is named with the action", () => {
  const fine: Action[] = [
    http("https://hooks.example/a"),
    {
      id: "b",
      http: {
        method: "PUT",
        url: "http://10.0.0.1:8080/x?y=1",
        headers: { "X-Trace": "1" },
        headersFromSecret: "webhook-token",
        body: { a: [1, 2] },
        successStatusCodes: [200, 409],
      },
      timeoutSeconds: 5,
      events: { succeeded: { reason: "Notified", note: "n" } },
    },
  ];
  assert.equal(actionProblems(fine), []);
  const table: Array<[unknown, string]> = [
    [{ id: "a", http: "https://x" }, "http must be an object"],
    [{ id: "a", http: {} }, "http.url must be an absolute http: or https: URL"],
    [{ id: "a", http: { url: "/relative" } }, "http.url must be an absolute"],
    [{ id: "a", http: { url: "ftp://x/y" } }, "http.url must be an absolute http: or https:"],
    [{ id: "a", http: { url: `https://x/${"a".repeat(9000)}` } }, "at most 8192 characters"],
    [{ id: "a", http: { url: "https://user:pw@x/" } }, "must not carry a user or password"],
    [{ id: "a", http: { url: "https://x", method: "CONNECT" } }, "http.method must be one of GET, HEAD"],
    [{ id: "a", http: { url: "https://x", method: "GET", body: "b" } }, "http.body cannot go with method GET"],
    [{ id: "a", http: { url: "https://x", headers: { "a b": "1" } } }, '"a b" is not a header name'],
    [{ id: "a", http: { url: "https://x", headers: { Host: "evil" } } }, "Host is set by the runtime"],
    [{ id: "a", http: { url: "https://x", headers: { "Idempotency-Key": "k" } } }, "Idempotency-Key is set by"],
    [{ id: "a", http: { url: "https://x", headers: { X: "a\r\nY: b" } } }, "without line breaks"],
    [{ id: "a", http: { url: "https://x", headersFromSecret: "Bad_Name" } }, "must be a Secret's name"],
    [{ id: "a", http: { url: "https://x", body: "x".repeat(300_000) } }, "more than 262144"],
    [{ id: "a", http: { url: "https://x", successStatusCodes: [700] } }, "successStatusCodes must be"],
    [{ id: "a", http: { url: "https://x", retries: 3 } }, "http has unknown fields retries"],
    [{ id: "a", http: { url: "https://x" }, pod: "p", command: ["x"] }, "an HTTP action has no pod, command"],
    [{ id: "a" }, "pod must be a pod name (or give http for a request)"],
  ];
  for (const [action, message] of table) {
    assert.match(actionProblems([action]).join("; "), message, JSON.stringify(action).slice(0, 80));
  }
});

test("a request goes out with its method, headers, the Idempotency-Key and a JSON body; the answer comes back", async () => {
  const { url, seen, server } = await receiver((_, res) => res.writeHead(201).end('{"ok":true}'));
  try {
    const outcome = await sendHttp({
      request: { url: `${url}/hook?x=1`, headers: { "X-Trace": "t1", Authorization: "from-action" }, body: { n: 1 } },
      idempotencyKey: "notify/p",
      secretHeaders: { Authorization: "Bearer s3cret" },
      timeoutMs: 5_000,
    });
    assert.equal(outcome, { statusCode: 201, body: '{"ok":true}', truncated: false, timedOut: false });
    assert.is(seen.length, 1);
    const [request] = seen;
    assert.equal([request!.method, request!.path, request!.body], ["POST", "/hook?x=1", '{"n":1}']);
    assert.is(request!.headers["idempotency-key"], "notify/p");
    assert.is(request!.headers["content-type"], "application/json");
    assert.is(request!.headers["x-trace"], "t1");
    assert.is(request!.headers.authorization, "Bearer s3cret", "the Secret's header wins over the action's");
    // A string body goes as it is, with the content type the action gives.
    await sendHttp({
      request: { method: "PATCH", url, headers: { "Content-Type": "text/plain" }, body: "raw" },
      idempotencyKey: "k2",
      timeoutMs: 5_000,
    });
    assert.equal([seen[1]!.method, seen[1]!.body, seen[1]!.headers["content-type"]], ["PATCH", "raw", "text/plain"]);
    assert.equal([methodOf({ url }), methodOf({ url, body: "" })], ["GET", "POST"]);
  } finally {
    await close(server);
  }
});

test("every ending: a body cut to its first bytes, a redirect answered as it is, a deadline, a refused connection", async () => {
  const { url, server } = await receiver((seen, res) => {
    if (seen.path === "/big") return void res.writeHead(200).end("a".repeat(defaultMaxBodyBytes) + "tail");
    if (seen.path === "/moved") return void res.writeHead(302, { location: "/elsewhere" }).end();
    if (seen.path === "/slow") return; // never answers
    res.writeHead(500).end("no");
  });
  try {
    const big = await sendHttp({ request: { url: `${url}/big` }, idempotencyKey: "a", timeoutMs: 5_000 });
    assert.equal([big.statusCode, big.body!.length, big.truncated], [200, defaultMaxBodyBytes, true]);
    const small = await sendHttp({
      request: { url: `${url}/big` },
      idempotencyKey: "a",
      timeoutMs: 5_000,
      maxBodyBytes: 3,
    });
    assert.equal([small.body, small.truncated], ["aaa", true]);
    const moved = await sendHttp({ request: { url: `${url}/moved` }, idempotencyKey: "b", timeoutMs: 5_000 });
    assert.is(moved.statusCode, 302, "not followed");
    const slow = await sendHttp({ request: { url: `${url}/slow` }, idempotencyKey: "c", timeoutMs: 300 });
    assert.equal([slow.statusCode, slow.timedOut, slow.error], [undefined, true, "timed out after 0.3 s"]);
    const stopping = new AbortController();
    const abandoned = sendHttp({
      request: { url: `${url}/slow` },
      idempotencyKey: "d",
      timeoutMs: 5_000,
      signal: stopping.signal,
    });
    stopping.abort();
    assert.equal([(await abandoned).timedOut, (await abandoned).error], [false, "abandoned: the runner stopped"]);
  } finally {
    await close(server);
  }
  // The port is closed now: nobody listens.
  const refused = await sendHttp({ request: { url }, idempotencyKey: "e", timeoutMs: 5_000 });
  assert.is(refused.statusCode, undefined);
  assert.match(refused.error ?? "", /ECONNREFUSED|refused/i);
  assert.is(
    describeFetchError(Object.assign(new TypeError("fetch failed"), { cause: { code: "ENOTFOUND" } })),
    "fetch failed: ENOTFOUND",
  );
});

/** Lets the runner's promises settle until the condition holds, within a deadline. */
async function until(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never: ${what}`);
}

const parent = { apiVersion: "v1", kind: "X", metadata: { name: "p", namespace: "ns", uid: "u" } };

function runner(options: { journal?: ActionJournal; secret?: Record<string, string> } = {}) {
  const events: string[] = [];
  const observed: string[] = [];
  const requeued: string[] = [];
  let timers = 0;
  const actions = new ActionRunner({
    exec: () => Promise.reject(new Error("no commands here")),
    secretHeaders: async (namespace, name) => {
      if (!options.secret) throw new Error(`no Secret ${name} in namespace ${namespace}`);
      return options.secret;
    },
    journal: options.journal,
    requeue: (key) => requeued.push(key),
    events: { record: (_o, type, reason, action, note) => events.push(`${type} ${reason} ${action}: ${note}`) },
    log: createLogger("error", {}),
    canRun: () => true,
    observe: (type, result) => observed.push(`${type} ${result.phase}`),
    // Backoffs run at once: the test is about what is sent, not when.
    timers: { set: (run) => (setImmediate(run), ++timers), clear: () => undefined },
  });
  return { actions, events, observed, requeued };
}

test("the runner: success by status code, a failure retried with the same key, Events, metrics, the Secret's value never kept", async () => {
  let status = 503;
  const { url, seen, server } = await receiver((_, res) => res.writeHead(status).end(status === 503 ? "busy" : "done"));
  try {
    const r = runner({ secret: { Authorization: "Bearer s3cret" } });
    const action: HttpAction = {
      id: "notify/p",
      http: { url: `${url}/n`, body: { event: "ready" }, headersFromSecret: "token" },
    };
    r.actions.submit("ns/p", parent, [action]);
    await until("the first answer", () => r.actions.results("ns/p")[action.id]?.phase === "Failed");
    const failed = r.actions.results("ns/p")[action.id]!;
    assert.equal([failed.statusCode, failed.body, failed.attempt], [503, "busy", 1]);
    assert.equal(failed.http, { method: "POST", url: `${url}/n` });
    assert.match(r.events.join("\n"), `Warning ActionFailed Request: POST ${url}/n: HTTP 503: busy`);
    status = 200;
    r.actions.submit("ns/p", parent, [action]);
    await until("the retry to succeed", () => r.actions.results("ns/p")[action.id]?.phase === "Succeeded");
    const done = r.actions.results("ns/p")[action.id]!;
    assert.equal([done.statusCode, done.body, done.attempt], [200, "done", 2]);
    assert.equal(seen.map((s) => s.headers["idempotency-key"]), ["notify/p", "notify/p"], "the same key each time");
    assert.is(seen[0]!.headers.authorization, "Bearer s3cret");
    assert.not.match(JSON.stringify(done), "s3cret");
    assert.equal(r.observed, ["http Failed", "http Succeeded"]);
    // Succeeded: answering it again sends nothing.
    r.actions.submit("ns/p", parent, [action]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.is(seen.length, 2);
  } finally {
    await close(server);
  }
});

test("the runner: a status code the action counts as success; a missing Secret sends nothing and says why", async () => {
  const { url, seen, server } = await receiver((_, res) => res.writeHead(409).end("exists"));
  try {
    const r = runner();
    r.actions.submit("ns/p", parent, [
      { id: "create", http: { method: "PUT", url, body: "x", successStatusCodes: [201, 409] } },
      { id: "secret", http: { url, headersFromSecret: "missing" } },
    ]);
    await until("both to end", () => r.observed.length === 2);
    const results = r.actions.results("ns/p");
    assert.equal([results.create!.phase, results.create!.statusCode], ["Succeeded", 409]);
    assert.is(results.secret!.phase, "Failed");
    assert.is(
      results.secret!.error,
      "not sent: reading the headers of Secret missing: no Secret missing in namespace ns",
    );
    assert.is(seen.length, 1, "the one without its Secret was not sent");
  } finally {
    await close(server);
  }
});

test("the journal: a request's body is kept to its start; one a previous leader sent and never saw end is interrupted", async () => {
  const { journal, records } = memoryJournal();
  const { url, seen, server } = await receiver((entry, res) => {
    if (entry.path === "/held") return; // held until the server closes
    res.writeHead(200).end("b".repeat(2_000));
  });
  try {
    const first = runner({ journal });
    first.actions.submit("ns/p", parent, [{ id: "fast", http: { url: `${url}/fast` } }]);
    await until("the end recorded", () => records().fast?.phase === "Succeeded");
    assert.is(records().fast!.body!.length, 512);
    first.actions.submit("ns/p", parent, [
      { id: "fast", http: { url: `${url}/fast` } },
      { id: "held", http: { method: "DELETE", url: `${url}/held` } },
    ]);
    await until("the held request to arrive", () => seen.some((s) => s.path === "/held"));
    assert.is(records().held?.phase, "Running", "recorded before it was sent");
    first.actions.stop(); // the leader goes, the request's end unknown

    const second = runner({ journal });
    const results = second.actions.results("ns/p", parent);
    assert.equal([results.fast!.phase, results.fast!.statusCode], ["Succeeded", 200]);
    assert.equal([results.held!.phase, results.held!.interrupted], ["Failed", true]);
    assert.equal(results.held!.http, { method: "DELETE", url: `${url}/held` });
    // Answered again: sent again, with the key the first one had.
    second.actions.submit("ns/p", parent, [
      { id: "fast", http: { url: `${url}/fast` } },
      { id: "held", http: { method: "DELETE", url: `${url}/held` } },
    ]);
    await until("sent again", () => seen.filter((s) => s.path === "/held").length === 2);
    assert.equal(seen.filter((s) => s.path === "/fast").length, 1, "what succeeded is not sent again");
    assert.equal(seen.filter((s) => s.path === "/held").map((s) => s.headers["idempotency-key"]), ["held", "held"]);
    second.actions.stop();
  } finally {
    await close(server);
  }
});

test.run();
