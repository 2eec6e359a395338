// Metacontroller's per-hook fields as the runtime's remote hooks: `version` (v1 by default)
// and `responseUnMarshallMode` (strict by default for v2), and connection settings, the
// webhook's own or a matching spec.endpointConfigs entry's, read through the reader when a hook
// is called; settings that name a Secret with no reader to read it refused; resync periods
// under a second made one; and the CRDs, which accept every field upstream's do.
import { Buffer } from "node:buffer";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { builtinKinds, kind, type KubeObject, type RemoteHook } from "../../../../runtime/mod.ts";
import type { ReadObject } from "../../../../functions/metacontroller/endpoint-credentials.ts";
import { compositeControllerCrd, decoratorControllerCrd } from "../../../../functions/metacontroller/manifest.ts";
import {
  compositeDefinition,
  decoratorDefinitions,
  MetacontrollerSpecError,
  ruleKey,
} from "../../../../functions/metacontroller/translate.ts";
import type { CompositeController, DecoratorController } from "../../../../functions/metacontroller/types.ts";
import { makeCertificates } from "../../../support/tls.ts";

const Greeting = kind("example.test/v1", "Greeting", "greetings");
const kinds = new Map([
  [ruleKey({ apiVersion: "example.test/v1", resource: "greetings" }), Greeting],
  [ruleKey({ apiVersion: "v1", resource: "configmaps" }), builtinKinds.ConfigMap],
]);
const resolve = async (apiVersion: string, resource: string) => kind(apiVersion, "Thing", resource);
const composite = (spec: CompositeController["spec"]): CompositeController => ({
  apiVersion: "metacontroller.k8s.io/v1alpha1",
  kind: "CompositeController",
  metadata: { name: "greet" },
  spec: { parentResource: { apiVersion: "example.test/v1", resource: "greetings" }, ...spec },
});
const decorator = (spec: Partial<NonNullable<DecoratorController["spec"]>>): DecoratorController => ({
  apiVersion: "metacontroller.k8s.io/v1alpha1",
  kind: "DecoratorController",
  metadata: { name: "decorate" },
  spec: { resources: [{ apiVersion: "example.test/v1", resource: "greetings" }], ...spec },
});
const hooksOf = (definition: { sync: unknown; finalize?: unknown; related?: { select: unknown } }) => ({
  sync: definition.sync as RemoteHook,
  finalize: definition.finalize as RemoteHook | undefined,
  customize: definition.related?.select as RemoteHook | undefined,
});

test("each hook's version is its own, v1 by default; v2 reads answers strictly unless responseUnMarshallMode says", () => {
  const { sync, finalize, customize } = hooksOf(compositeDefinition(
    composite({
      hooks: {
        sync: { version: "v2", webhook: { url: "http://h/sync" } },
        finalize: { webhook: { url: "http://h/finalize", responseUnMarshallMode: "strict" } },
        customize: { version: "v2", webhook: { url: "http://h/customize", responseUnMarshallMode: "loose" } },
      },
    }),
    kinds,
    resolve,
  ));
  assert.equal([sync.version, sync.strict], ["v2", undefined], "strict by v2's default");
  assert.equal([finalize!.version, finalize!.strict], ["v1", true]);
  assert.equal([customize!.version, customize!.strict], ["v2", false]);
  const [decorated] = decoratorDefinitions(
    decorator({ hooks: { sync: { version: "v2", webhook: { url: "http://h/d" } } } }),
    kinds,
  );
  assert.equal([(decorated!.sync as RemoteHook).version, (decorated!.sync as RemoteHook).protocol], [
    "v2",
    "decorator",
  ]);
});

test("hooks get the whole CompositeController or DecoratorController as `controller`, as upstream sends it", () => {
  const resource = composite({ hooks: { sync: { webhook: { url: "http://h/sync" } } }, resyncPeriodSeconds: 30 });
  assert.is(compositeDefinition(resource, kinds, resolve).hookController, resource);
  const decorating = decorator({ hooks: { sync: { webhook: { url: "http://h/d" } } } });
  assert.is(decoratorDefinitions(decorating, kinds)[0]!.hookController, decorating);
});

test("a version or mode upstream does not know is refused naming the field", () => {
  assert.throws(
    () =>
      compositeDefinition(
        composite({ hooks: { sync: { version: "v3" as "v2", webhook: { url: "http://h" } } } }),
        kinds,
      ),
    (error: Error) =>
      error instanceof MetacontrollerSpecError && /spec.hooks.sync.version must be v1 or v2/.test(error.message),
  );
  assert.throws(
    () =>
      compositeDefinition(
        composite({ hooks: { sync: { webhook: { url: "http://h", responseUnMarshallMode: "lax" as "loose" } } } }),
        kinds,
      ),
    /responseUnMarshallMode must be loose or strict/,
  );
});

const b64 = (text: string) => Buffer.from(text).toString("base64");
const reads: string[] = [];
const read: ReadObject = async (kindName, namespace, name) => {
  reads.push(`${kindName} ${namespace}/${name}`);
  if (name === "token") {
    return {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace },
      data: { token: b64("s3cret") },
    } as KubeObject;
  }
  return undefined;
};
const endpointConfigs = [
  { host: "hooks.tools:8443", authorization: { secretRef: { name: "token", namespace: "tools", key: "token" } } },
  { host: "missing.tools", authorization: { secretRef: { name: "gone", namespace: "tools", key: "token" } } },
];

test("endpointConfigs apply to every hook whose host matches, read when the hook is called", async () => {
  reads.length = 0;
  const definition = compositeDefinition(
    composite({
      endpointConfigs,
      hooks: {
        sync: {
          webhook: { service: { name: "hooks", namespace: "tools", port: 8443, protocol: "https" }, path: "/s" },
        },
        finalize: { webhook: { url: "https://hooks.tools:8443/finalize" } },
        customize: { webhook: { url: "https://elsewhere/customize" } },
      },
    }),
    kinds,
    resolve,
    read,
  );
  const { sync, finalize, customize } = hooksOf(definition);
  assert.equal(reads, [], "nothing is read while the definition is made");
  assert.equal(await sync.connection!(), { authorization: "Bearer s3cret" });
  assert.equal(await finalize!.connection!(), { authorization: "Bearer s3cret" });
  assert.is(customize!.connection, undefined, "no entry matches its host");
  assert.equal(reads, ["Secret tools/token", "Secret tools/token"]);
});

test("a webhook's own settings take over whole from a matching entry; an inline CA bundle not PEM is refused", async () => {
  const certs = makeCertificates();
  try {
    const own = (inline: string) =>
      compositeDefinition(
        composite({
          endpointConfigs,
          hooks: { sync: { webhook: { url: "https://hooks.tools:8443/s", caBundle: { inline } } } },
        }),
        kinds,
        undefined,
        read,
      );
    assert.equal(await hooksOf(own(certs.ca.cert)).sync.connection!(), { caBundle: certs.ca.cert }, "no token");
    assert.throws(
      () => own("not PEM"),
      (error: Error) =>
        error instanceof MetacontrollerSpecError &&
        /^spec.hooks.sync.webhook.caBundle.inline holds no PEM certificate$/.test(error.message),
    );
  } finally {
    certs.remove();
  }
});

test("a missing Secret fails the hook's connection naming the entry and the Secret", async () => {
  const { sync } = hooksOf(compositeDefinition(
    composite({ endpointConfigs, hooks: { sync: { webhook: { url: "https://missing.tools/s" } } } }),
    kinds,
    undefined,
    read,
  ));
  const error = await sync.connection!().catch((e: Error) => e);
  assert.match((error as Error).message, /^spec.endpointConfigs\[1\].authorization: Secret tools\/gone not found$/);
});

test("settings that name a Secret, made with no reader, are refused naming them", () => {
  assert.throws(
    () =>
      decoratorDefinitions(
        decorator({ endpointConfigs, hooks: { sync: { webhook: { url: "https://missing.tools/s" } } } }),
        kinds,
      ),
    (error: Error) =>
      error instanceof MetacontrollerSpecError &&
      /spec.endpointConfigs\[1\] names Secret tools\/gone, which this program cannot read/.test(error.message),
  );
});

test("a resync period under a second is one second, as upstream; hooks upstream never calls are accepted", () => {
  const definition = compositeDefinition(
    composite({
      resyncPeriodSeconds: 0,
      hooks: { sync: { webhook: { url: "http://h/s" } }, preUpdateChild: { webhook: { url: "http://h/pre" } } },
    }),
    kinds,
  );
  assert.is(definition.resyncPeriodSeconds, 1);
  assert.is(
    decoratorDefinitions(
      decorator({ resyncPeriodSeconds: -5, hooks: { sync: { webhook: { url: "http://h" } } } }),
      kinds,
    )[0]!
      .resyncPeriodSeconds,
    1,
  );
});

type Schema = { properties?: Record<string, Schema>; items?: Schema; required?: string[]; default?: unknown };
const specOf = (crd: unknown) =>
  (crd as { spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } }).spec.versions[0]!.schema
    .openAPIV3Schema.properties!.spec!;
const at = (schema: Schema, path: string): Schema | undefined =>
  path.split(".").reduce<Schema | undefined>((s, part) => (part === "[]" ? s?.items : s?.properties?.[part]), schema);

test("the CRDs declare upstream's fields, so the API server keeps them, with upstream's defaults", () => {
  const composite = specOf(compositeControllerCrd);
  const decorator = specOf(decoratorControllerCrd);
  for (
    const path of [
      "endpointConfigs.[].host",
      "endpointConfigs.[].caBundle.configMapRef.key",
      "endpointConfigs.[].clientTLS.privateKeyKey",
      "endpointConfigs.[].authorization.secretRef.key",
      "endpointConfigs.[].basicAuth.usernameKey",
      "hooks.sync.version",
      "hooks.customize.webhook.clientTLS.secretRef.name",
      "hooks.finalize.webhook.responseUnMarshallMode",
      "hooks.sync.webhook.etag.enabled",
    ]
  ) {
    assert.ok(at(composite, path), `CompositeController spec.${path}`);
    assert.ok(at(decorator, path), `DecoratorController spec.${path}`);
  }
  assert.ok(at(composite, "hooks.preUpdateChild.webhook.url"));
  assert.ok(at(composite, "parentResource.ignoreStatusChanges"));
  assert.ok(at(decorator, "resources.[].ignoreStatusChanges"));
  assert.ok(at(composite, "childResources.[].updateStrategy.statusChecks.conditions.[].type"));
  assert.is(at(composite, "hooks.sync.version")!.default, "v1");
  assert.is(at(composite, "endpointConfigs.[].authorization.type")!.default, "Bearer");
  assert.is(at(decorator, "endpointConfigs.[].caBundle.secretRef.key")!.default, "ca.crt");
  assert.equal([composite.required, decorator.required], [["parentResource"], ["resources"]], "hooks are not required");
});

test.run();
