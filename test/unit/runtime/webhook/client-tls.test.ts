// Calling a remote hook over HTTPS that requires a client certificate and a bearer token: the
// CA bundle, client certificate and Authorization header a hook is given, statically or by its
// connection provider before each call (a new connection pool when they change), and each
// missing or wrong piece failing the call with a message that says so.
import type { Server } from "node:https";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { RemoteHook } from "../../../../runtime/controller.ts";
import { callRemote, HookError } from "../../../../runtime/webhook/client.ts";
import { remote } from "../../../../runtime/webhook/remote.ts";
import { clientCertServer, makeCertificates, type TestCertificates } from "../../../support/tls.ts";

let certs: TestCertificates;
let server: Server;
let url = "";
/** What the server saw of each request it answered: the client certificate's CN and the Authorization header. */
const seen: Array<{ client: string | undefined; authorization: string | undefined }> = [];

test.before(async () => {
  certs = makeCertificates();
  server = clientCertServer(certs, (req, res, client) => {
    seen.push({ client, authorization: req.headers.authorization });
    if (req.headers.authorization !== "Bearer right") {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: "wrong token" }));
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ status: { ok: true } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://localhost:${(server.address() as { port: number }).port}/sync`;
});

test.after(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server ? server.close(resolve) : resolve(undefined));
  certs?.remove();
});

const call = (hook: RemoteHook) => callRemote(hook, "sync", {}).then((answer) => answer, (error: Error) => error);

test("the CA bundle, client certificate and token given to remote() reach a server that requires all three", async () => {
  seen.length = 0;
  const answer = await call(remote(url, {
    caBundle: certs.ca.cert,
    clientCert: certs.client.cert,
    clientKey: certs.client.key,
    token: "right",
  }));
  assert.equal(answer, { status: { ok: true } });
  assert.equal(seen, [{ client: "metacontroller", authorization: "Bearer right" }]);
});

const refusals: Array<[string, Parameters<typeof remote>[1], RegExp]> = [
  [
    "a wrong token is answered 401",
    { caBundle: "ca", clientCert: "client", clientKey: "client", token: "wrong" },
    /answered 401: wrong token/,
  ],
  ["no client certificate ends the handshake", { caBundle: "ca", token: "right" }, /could not be reached/],
  [
    "a CA that did not sign the server's certificate fails its check",
    { caBundle: "otherCa", clientCert: "client", clientKey: "client", token: "right" },
    /could not be reached: .*(certificate|self.signed)/i,
  ],
  [
    "without a CA bundle the system's CAs do not know the server",
    { clientCert: "client", clientKey: "client", token: "right" },
    /could not be reached: .*(certificate|self.signed|issuer)/i,
  ],
];
for (const [name, options, message] of refusals) {
  test(`${name}: the call fails saying so`, async () => {
    // The table names which certificates to use; they exist only once before() ran.
    const pem = (which: string | undefined, part: "cert" | "key") =>
      which === undefined ? undefined : certs[which as "ca" | "client" | "otherCa"][part];
    const error = await call(remote(
      url,
      {
        ...options,
        caBundle: pem(options!.caBundle, "cert"),
        clientCert: pem(options!.clientCert, "cert"),
        clientKey: pem(options!.clientKey, "key"),
      } as Parameters<typeof remote>[1],
    ));
    assert.instance(error, HookError);
    assert.match((error as Error).message, message);
  });
}

test("a connection provider is asked before each call, and new settings get a new connection pool", async () => {
  let token = "wrong";
  let asked = 0;
  const hook = remote(url, {
    caBundle: certs.ca.cert,
    connection: async () => {
      asked++;
      return { clientCert: certs.client.cert, clientKey: certs.client.key, authorization: `Bearer ${token}` };
    },
  });
  assert.match(((await call(hook)) as Error).message, /answered 401/);
  const firstPool = (hook.dispatcher as { agent: unknown }).agent;
  token = "right";
  assert.equal(await call(hook), { status: { ok: true } }, "the rotated token is used at once");
  assert.is((hook.dispatcher as { agent: unknown }).agent, firstPool, "same TLS settings, same pool");
  assert.is(asked, 2);
});

test("a provider's failure fails the call with its message, and a certificate without its key is refused", async () => {
  const failing = remote(url, {
    connection: () => Promise.reject(new Error("spec.endpointConfigs[0].authorization: Secret a/b not found")),
  });
  const error = await call(failing);
  assert.instance(error, HookError);
  assert.match((error as Error).message, /sync hook https:\/\/localhost:\d+\/sync: spec.endpointConfigs\[0\]/);
  const halfPair = remote(url, { connection: async () => ({ clientCert: certs.client.cert }) });
  assert.match(((await call(halfPair)) as Error).message, /a client certificate needs its key/);
});

test("remote() refuses a token with an authorization, a certificate without its key, and an unknown version", () => {
  assert.throws(() => remote(url, { token: "a", authorization: "Token b" }), /token or authorization, not both/);
  assert.throws(() => remote(url, { clientCert: "x" }), /clientCert and clientKey go together/);
  assert.throws(() => remote(url, { version: "v3" as "v1" }), /version must be v1 or v2/);
});

test("an authorization option is sent as the whole header", async () => {
  seen.length = 0;
  await call(remote(url, {
    caBundle: certs.ca.cert,
    clientCert: certs.client.cert,
    clientKey: certs.client.key,
    authorization: "Token xyz",
  }));
  assert.equal(seen.map((s) => s.authorization), ["Token xyz"]);
});

test.run();
