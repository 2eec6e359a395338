// What a webhook's connection settings come to, read through a reader of Secrets and
// ConfigMaps: each source and default key, the Authorization header of each scheme, and each
// missing Secret, ConfigMap or key, or material that is not PEM, failing with a message naming
// the field and what is missing; checkConnections() asking every hook once; and the reader's
// short cache, which brings a rotated or newly created Secret within its time.
import { Buffer } from "node:buffer";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { kind, type KubeObject, remote } from "../../../../runtime/mod.ts";
import { KubeError } from "../../../../runtime/run.ts";
import type { EndpointSettings } from "../../../../functions/metacontroller/endpoint-configs.ts";
import {
  checkConnections,
  ConnectionSettingsError,
  type ReadObject,
  resolveConnection,
} from "../../../../functions/metacontroller/endpoint-credentials.ts";
import { cachedReader } from "../../../../functions/metacontroller/object-reader.ts";
import { makeCertificates, type TestCertificates } from "../../../support/tls.ts";

let certs: TestCertificates;
test.before(() => {
  certs = makeCertificates();
});
test.after(() => certs?.remove());

const b64 = (text: string) => Buffer.from(text).toString("base64");
/** A cluster of Secrets and ConfigMaps by "Kind/namespace/name"; built per test, once certs exist. */
const clusterWith = (objects: Record<string, Record<string, string>>): ReadObject => async (kindName, ns, name) => {
  const data = objects[`${kindName}/${ns}/${name}`];
  if (!data) return undefined;
  return {
    apiVersion: "v1",
    kind: kindName,
    metadata: { name, namespace: ns },
    data: kindName === "Secret" ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) : data,
  } as KubeObject;
};
const full = () =>
  clusterWith({
    "Secret/tools/token": { token: " right\n" },
    "Secret/tools/client": { "tls.crt": certs.client.cert, "tls.key": certs.client.key, other: "x" },
    "Secret/tools/ca": { "ca.crt": certs.ca.cert },
    "ConfigMap/tools/ca": { bundle: certs.ca.cert },
    "Secret/tools/basic": { username: "me", password: "pw " },
    "Secret/tools/colon": { username: "m:e", password: "pw" },
  });

test("every source: a CA bundle from a ConfigMap key, a client certificate and a bearer token from Secrets", async () => {
  const connection = await resolveConnection({
    from: "spec.endpointConfigs[0]",
    caBundle: { configMapRef: { name: "ca", namespace: "tools", key: "bundle" } },
    clientTLS: { secretRef: { name: "client", namespace: "tools" } },
    authorization: { secretRef: { name: "token", namespace: "tools", key: "token" } },
  }, full());
  assert.equal(connection, {
    caBundle: certs.ca.cert,
    clientCert: certs.client.cert,
    clientKey: certs.client.key,
    authorization: "Bearer right",
  });
});

test("defaults and other schemes: ca.crt from a Secret, inline PEM, a Token scheme, Basic", async () => {
  const read = full();
  const from = "spec.hooks.sync.webhook";
  assert.is(
    (await resolveConnection({ from, caBundle: { secretRef: { name: "ca", namespace: "tools" } } }, read)).caBundle,
    certs.ca.cert,
  );
  assert.is((await resolveConnection({ from, caBundle: { inline: certs.ca.cert } }, read)).caBundle, certs.ca.cert);
  assert.is(
    (await resolveConnection({
      from,
      authorization: { type: "Token", secretRef: { name: "token", namespace: "tools", key: "token" } },
    }, read)).authorization,
    "Token right",
  );
  assert.is(
    (await resolveConnection({ from, basicAuth: { secretRef: { name: "basic", namespace: "tools" } } }, read))
      .authorization,
    `Basic ${b64("me:pw")}`,
  );
});

const failures: Array<[string, () => EndpointSettings, RegExp]> = [
  [
    "a missing Secret",
    () => ({
      from: "spec.endpointConfigs[0]",
      authorization: { secretRef: { name: "gone", namespace: "tools", key: "token" } },
    }),
    /^spec.endpointConfigs\[0\].authorization: Secret tools\/gone not found$/,
  ],
  [
    "a missing key",
    () => ({
      from: "spec.endpointConfigs[0]",
      authorization: { secretRef: { name: "token", namespace: "tools", key: "tok" } },
    }),
    /^spec.endpointConfigs\[0\].authorization: Secret tools\/token has no key "tok"$/,
  ],
  [
    "a missing ConfigMap",
    () => ({ from: "spec.hooks.sync.webhook", caBundle: { configMapRef: { name: "nope", namespace: "tools" } } }),
    /^spec.hooks.sync.webhook.caBundle.configMapRef: ConfigMap tools\/nope not found$/,
  ],
  [
    "a missing default key of a client certificate",
    () => ({ from: "f", clientTLS: { secretRef: { name: "token", namespace: "tools" } } }),
    /^f.clientTLS: Secret tools\/token has no key "tls.crt"$/,
  ],
  [
    "a key that is not PEM",
    () => ({ from: "f", clientTLS: { secretRef: { name: "client", namespace: "tools" }, privateKeyKey: "other" } }),
    /^f.clientTLS \(other\) holds no PEM private key$/,
  ],
  [
    "a CA bundle in a Secret that is not PEM",
    () => ({ from: "f", caBundle: { secretRef: { name: "token", namespace: "tools", key: "token" } } }),
    /^f.caBundle holds no PEM certificate$/,
  ],
  [
    "a Basic username with a colon",
    () => ({ from: "f", basicAuth: { secretRef: { name: "colon", namespace: "tools" } } }),
    /the username must not contain ":"/,
  ],
];
for (const [name, settings, message] of failures) {
  test(`${name} fails naming the field and what is missing`, async () => {
    const error = await resolveConnection(settings(), full()).catch((e: Error) => e);
    assert.instance(error, ConnectionSettingsError);
    assert.match((error as Error).message, message);
  });
}

test("a Secret that cannot be read (forbidden) says so", async () => {
  const forbidden: ReadObject = () =>
    Promise.reject(new Error("GET /api/v1/namespaces/tools/secrets/token: forbidden"));
  const error = await resolveConnection(
    { from: "f", authorization: { secretRef: { name: "token", namespace: "tools", key: "token" } } },
    forbidden,
  ).catch((e: Error) => e);
  assert.match((error as Error).message, /^f.authorization: Secret tools\/token could not be read: .*forbidden/);
});

test("checkConnections asks each hook once, and fails with the first hook's problem", async () => {
  const Widget = kind("example.test/v1", "Widget", "widgets");
  let asked = 0;
  const good = remote("https://hooks/sync", { connection: async () => (asked++, {}) });
  const definition = (finalize?: ReturnType<typeof remote>) => ({
    name: "w",
    parent: Widget,
    children: [],
    sync: good,
    ...(finalize ? { finalize } : {}),
  });
  await checkConnections([definition(), definition()]);
  assert.is(asked, 1, "the hook two definitions share is asked once");
  const bad = remote("https://hooks/finalize", {
    connection: () => Promise.reject(new ConnectionSettingsError("f.authorization: Secret a/b not found")),
  });
  const error = await checkConnections([definition(bad)]).catch((e: Error) => e);
  assert.match((error as Error).message, /Secret a\/b not found/);
});

test("the reader keeps an answer for its time: rotation and creation show after it, failures are not kept", async () => {
  let clock = 0;
  let token: string | undefined;
  let fail = false;
  const gets: string[] = [];
  const client = {
    get: async (k: { kind: string }, namespace: string | undefined, name: string) => {
      gets.push(`${k.kind}/${namespace}/${name}`);
      if (fail) throw new Error("connection refused");
      if (token === undefined) throw new KubeError(404, "NotFound", "not found");
      return { apiVersion: "v1", kind: "Secret", metadata: { name }, data: { token: b64(token) } };
    },
  };
  const read = cachedReader(client as never, 10_000, () => clock);
  assert.is(await read("Secret", "tools", "t"), undefined, "none yet");
  token = "one";
  clock = 5_000;
  assert.is(await read("Secret", "tools", "t"), undefined, "the absence is kept for 10 s");
  clock = 10_000;
  assert.is((await read("Secret", "tools", "t") as unknown as { data: { token: string } }).data.token, b64("one"));
  token = "two";
  assert.is(
    (await read("Secret", "tools", "t") as unknown as { data: { token: string } }).data.token,
    b64("one"),
    "kept",
  );
  clock = 20_001;
  assert.is(
    (await read("Secret", "tools", "t") as unknown as { data: { token: string } }).data.token,
    b64("two"),
    "rotated",
  );
  assert.is(gets.length, 3);
  await Promise.all([read("ConfigMap", "tools", "c"), read("ConfigMap", "tools", "c")]);
  assert.is(gets.filter((g) => g.startsWith("ConfigMap")).length, 1, "concurrent reads share one request");
  assert.equal(gets.at(-1), "ConfigMap/tools/c");
  fail = true;
  clock = 40_000;
  assert.match(((await read("Secret", "tools", "t").catch((e: Error) => e)) as Error).message, /connection refused/);
  fail = false;
  assert.ok(await read("Secret", "tools", "t"), "a failure is asked again at once");
});

test.run();
