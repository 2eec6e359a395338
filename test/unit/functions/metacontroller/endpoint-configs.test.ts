// Which connection settings a webhook gets: upstream's host matching (host or host:port, the
// scheme's default port either way, any case), the webhook's own settings taking over whole,
// the first matching entry otherwise, and settings that are not well formed refused naming
// the field.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  endpointSettings,
  hostMatches,
  matchingEndpoint,
  referencesOf,
} from "../../../../functions/metacontroller/endpoint-configs.ts";
import { MetacontrollerSpecError } from "../../../../functions/metacontroller/translate.ts";
import type { EndpointConfig, Webhook } from "../../../../functions/metacontroller/types.ts";

const hosts: Array<[string, string, boolean]> = [
  ["hooks.tools", "https://hooks.tools/sync", true],
  ["hooks.tools:443", "https://hooks.tools/sync", true],
  ["hooks.tools", "https://hooks.tools:443/sync", true],
  ["hooks.tools:443", "https://hooks.tools:443/sync", true],
  ["hooks.tools", "https://hooks.tools:8443/sync", false],
  ["hooks.tools:8443", "https://hooks.tools:8443/sync", true],
  ["hooks.tools:8443", "https://hooks.tools/sync", false],
  ["hooks.tools", "http://hooks.tools:80/sync", true],
  ["hooks.tools:80", "http://hooks.tools/sync", true],
  ["hooks.tools:443", "http://hooks.tools/sync", false],
  ["hooks.tools", "http://hooks.tools:443/sync", false],
  ["Hooks.Tools", "https://HOOKS.tools/sync", true],
  ["hooks", "https://hooks.tools/sync", false],
  ["hooks.tools.svc", "https://hooks.tools/sync", false],
  ["127.0.0.1:9443", "https://127.0.0.1:9443/x", true],
];
for (const [host, url, expected] of hosts) {
  test(`host ${host} ${expected ? "matches" : "does not match"} ${url}`, () => {
    assert.is(hostMatches(host, url), expected);
  });
}

const secret = (name: string, key = "token") => ({ name, namespace: "tools", key });
const configs: EndpointConfig[] = [
  { host: "other.tools", authorization: { secretRef: secret("other") } },
  { host: "hooks.tools", authorization: { secretRef: secret("first") } },
  { host: "hooks.tools:443", authorization: { secretRef: secret("second") } },
];

test("the first entry whose host matches applies, and says where it comes from", () => {
  assert.is(matchingEndpoint("https://hooks.tools/sync", configs), 1);
  assert.is(matchingEndpoint("https://nowhere/sync", configs), -1);
  assert.equal(
    endpointSettings(
      { url: "https://hooks.tools/sync" },
      "spec.hooks.sync.webhook",
      "https://hooks.tools/sync",
      configs,
    ),
    {
      authorization: { secretRef: secret("first") },
      from: "spec.endpointConfigs[1]",
    },
  );
  assert.is(endpointSettings({}, "f", "https://nowhere/sync", configs), undefined);
  assert.is(endpointSettings({}, "f", "https://hooks.tools/sync"), undefined, "no entries");
});

test("a webhook's own settings take over whole: nothing is taken from a matching entry", () => {
  const webhook: Webhook = { url: "https://hooks.tools/sync", basicAuth: { secretRef: { name: "b", namespace: "n" } } };
  assert.equal(endpointSettings(webhook, "spec.hooks.sync.webhook", webhook.url!, configs), {
    basicAuth: { secretRef: { name: "b", namespace: "n" } },
    from: "spec.hooks.sync.webhook",
  });
});

test("a service webhook matches by name.namespace and its port", () => {
  const url = "http://hooks.tools:80/sync"; // what translate.ts makes of service {name: hooks, namespace: tools}
  assert.is(endpointSettings({}, "f", url, configs)?.from, "spec.endpointConfigs[1]");
  assert.is(endpointSettings({}, "f", "https://hooks.tools:8443/sync", configs), undefined);
});

const malformed: Array<[string, EndpointConfig, RegExp]> = [
  [
    "authorization and basicAuth",
    {
      host: "h",
      authorization: { secretRef: secret("a") },
      basicAuth: { secretRef: { name: "b", namespace: "tools" } },
    },
    /spec.endpointConfigs\[0\]: authorization and basicAuth are mutually exclusive/,
  ],
  [
    "a caBundle with no source",
    { host: "h", caBundle: {} },
    /spec.endpointConfigs\[0\].caBundle needs exactly one of inline, secretRef and configMapRef, and has none/,
  ],
  [
    "a caBundle with two sources",
    { host: "h", caBundle: { inline: "x", configMapRef: { name: "c", namespace: "n" } } },
    /caBundle needs exactly one of .*, not inline and configMapRef/,
  ],
  [
    "authorization of type Basic",
    { host: "h", authorization: { type: "basic ", secretRef: secret("a") } },
    /authorization.type Basic is not supported; use basicAuth/,
  ],
  [
    "a scheme with a space",
    { host: "h", authorization: { type: "My Token", secretRef: secret("a") } },
    /is not an HTTP authentication scheme/,
  ],
  ["a Secret key reference without its key", {
    host: "h",
    authorization: { secretRef: { name: "a", namespace: "n" } as never },
  }, /authorization.secretRef needs key/],
  [
    "clientTLS without a namespace",
    { host: "h", clientTLS: { secretRef: { name: "a" } as never } },
    /clientTLS.secretRef needs namespace/,
  ],
];
for (const [name, config, message] of malformed) {
  test(`settings with ${name} are refused naming the field`, () => {
    assert.throws(
      () => endpointSettings({}, "f", "https://h/x", [config]),
      (error: Error) => error instanceof MetacontrollerSpecError && message.test(error.message),
    );
  });
}

test("an entry that matches no webhook is not checked (as upstream, which reads only what it uses)", () => {
  assert.is(endpointSettings({}, "f", "https://h/x", [{ host: "elsewhere", caBundle: {} }]), undefined);
});

test("referencesOf names every Secret and ConfigMap the settings read", () => {
  assert.equal(
    referencesOf({
      from: "f",
      caBundle: { configMapRef: { name: "ca", namespace: "n" } },
      clientTLS: { secretRef: { name: "tls", namespace: "n" } },
      basicAuth: { secretRef: { name: "basic", namespace: "m" } },
    }),
    ["ConfigMap n/ca", "Secret n/tls", "Secret m/basic"],
  );
  assert.equal(referencesOf({ from: "f", caBundle: { inline: "PEM" } }), []);
});

test.run();
