// Metacontroller's resources as the runtime's controller definitions, as data; and the
// generated deploy/metacontroller.yaml.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { builtinKinds, isRemote, kind, type RemoteHook } from "../../../../runtime/mod.ts";
import {
  annotationsSelected,
  compositeDefinition,
  decoratorDefinitions,
  durationSeconds,
  labelsSelected,
  MetacontrollerSpecError,
  ruleKey,
  webhookHook,
} from "../../../../functions/metacontroller/translate.ts";
import type { CompositeController, DecoratorController } from "../../../../functions/metacontroller/types.ts";

const Greeting = kind("example.test/v1", "Greeting", "greetings");
const kinds = new Map([
  [ruleKey({ apiVersion: "example.test/v1", resource: "greetings" }), Greeting],
  [ruleKey({ apiVersion: "v1", resource: "configmaps" }), builtinKinds.ConfigMap],
  [ruleKey({ apiVersion: "apps/v1", resource: "deployments" }), builtinKinds.Deployment],
]);
const composite = (spec: CompositeController["spec"]): CompositeController => ({
  apiVersion: "metacontroller.k8s.io/v1alpha1",
  kind: "CompositeController",
  metadata: { name: "greet", generation: 1 },
  spec,
});
const baseSpec = {
  parentResource: { apiVersion: "example.test/v1", resource: "greetings" },
  childResources: [{ apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "Recreate" as const } }],
  hooks: {
    sync: { webhook: { url: "http://hooks/sync", timeout: "5s" } },
    finalize: { webhook: { service: { name: "hooks", namespace: "tools" }, path: "/finalize" } },
  },
  resyncPeriodSeconds: 30,
  generateSelector: true,
};

const durations: Array<[string, number]> = [
  ["10s", 10],
  ["1m30s", 90],
  ["500ms", 0.5],
  ["1h", 3600],
  ["1.5m", 90],
  ["250000us", 0.25],
  ["0", 0],
  ["-2s", -2],
];
for (const [text, seconds] of durations) {
  test(`durationSeconds("${text}") is ${seconds}`, () => assert.is(durationSeconds(text, "t"), seconds));
}

test("a duration that is not one is refused naming the field; one not positive means the default, as upstream", () => {
  assert.throws(
    () => durationSeconds("soon", "spec.hooks.sync.webhook.timeout"),
    /spec.hooks.sync.webhook.timeout "soon" is not a duration/,
  );
  assert.throws(() => durationSeconds("10", "t"), /not a duration/);
  assert.is(webhookHook({ webhook: { url: "http://h/s", timeout: "0s" } }, "f")!.timeoutSeconds, 10);
});

test("a webhook by service and path is reached by cluster DNS, port 80 and http unless given", () => {
  const hook = webhookHook({ webhook: { service: { name: "hooks", namespace: "tools" }, path: "/sync" } }, "f")!;
  assert.is(hook.url, "http://hooks.tools:80/sync");
  assert.is(hook.timeoutSeconds, 10);
  const tls = webhookHook({
    webhook: { service: { name: "h", namespace: "n", port: 8443, protocol: "https" }, path: "/s" },
  }, "f")!;
  assert.is(tls.url, "https://h.n:8443/s");
  assert.throws(
    () => webhookHook({ webhook: { service: { name: "h", namespace: "n" } } }, "spec.hooks.sync"),
    /spec.hooks.sync.webhook needs either url, or service/,
  );
  assert.throws(() => webhookHook({}, "spec.hooks.sync"), /spec.hooks.sync.webhook is required/);
});

test("parentResource.labelSelector: only the parents it picks are synced", () => {
  const picky = compositeDefinition(
    composite({
      ...baseSpec,
      parentResource: { ...baseSpec.parentResource, labelSelector: { matchLabels: { pick: "yes" } } },
    }),
    kinds,
  );
  const parent = (labels?: Record<string, string>) => ({
    apiVersion: "example.test/v1",
    kind: "Greeting",
    metadata: { name: "g", namespace: "n", ...(labels ? { labels } : {}) },
  });
  assert.ok(picky.filter!(parent({ pick: "yes" })));
  assert.not.ok(picky.filter!(parent({ pick: "no" })));
  assert.not.ok(picky.filter!(parent()));
  assert.is(compositeDefinition(composite(baseSpec), kinds).filter, undefined, "without a selector, every parent");
});

test("a CompositeController becomes a controller with remote hooks, update strategies and its resync period", () => {
  const definition = compositeDefinition(composite(baseSpec), kinds);
  assert.is(definition.name, "greet");
  assert.is(definition.writes, "metacontroller", "Metacontroller's semantics for status, failures and child status");
  assert.is(definition.parent, Greeting);
  assert.equal(definition.children, [builtinKinds.ConfigMap]);
  assert.equal(definition.updateStrategy, { "ConfigMap.v1": "Recreate" });
  assert.is(definition.resyncPeriodSeconds, 30);
  assert.ok(isRemote(definition.sync));
  assert.equal([(definition.sync as RemoteHook).url, (definition.sync as RemoteHook).timeoutSeconds], [
    "http://hooks/sync",
    5,
  ]);
  assert.is((definition.finalize as RemoteHook).url, "http://hooks.tools:80/finalize");
});

test("a customize hook becomes a remote related hook whose kinds are resolved as it names them", async () => {
  const resolve = async (apiVersion: string, resource: string) => kind(apiVersion, "Thing", resource);
  const definition = compositeDefinition(
    composite({ ...baseSpec, hooks: { ...baseSpec.hooks, customize: { webhook: { url: "http://hooks/customize" } } } }),
    kinds,
    resolve,
  );
  assert.equal(definition.related!.kinds, []);
  assert.is((definition.related!.select as RemoteHook).url, "http://hooks/customize");
  assert.equal(
    await definition.related!.resolve!("example.test/v1", "things"),
    kind("example.test/v1", "Thing", "things"),
  );
});

const refusals: Array<[string, CompositeController["spec"], RegExp]> = [
  [
    "an update method Metacontroller does not have",
    {
      ...baseSpec,
      childResources: [{
        apiVersion: "v1",
        resource: "configmaps",
        updateStrategy: { method: "Rolling" as "RollingInPlace" },
      }],
    },
    /spec.childResources\[0\].updateStrategy.method Rolling is not one of InPlace, Recreate, OnDelete, RollingInPlace, RollingRecreate/,
  ],
  [
    "a resource not resolved",
    { ...baseSpec, childResources: [{ apiVersion: "v1", resource: "secrets" }] },
    /spec.childResources\[0\]: resource secrets in v1 is not known/,
  ],
  ["no sync hook", { ...baseSpec, hooks: {} }, /spec.hooks.sync is required/],
  ["a customize hook and no discovery", {
    ...baseSpec,
    hooks: { ...baseSpec.hooks, customize: { webhook: { url: "http://hooks/customize" } } },
  }, /spec.hooks.customize needs the cluster's discovery/],
  ["no parent resource", { ...baseSpec, parentResource: undefined }, /spec.parentResource is required/],
];
for (const [name, spec, message] of refusals) {
  test(`a CompositeController with ${name} is refused, naming the field`, () => {
    assert.throws(
      () => compositeDefinition(composite(spec), kinds),
      (error: Error) => error instanceof MetacontrollerSpecError && message.test(error.message),
    );
  });
}

test("update strategies: OnDelete when none is given, as upstream; rolling methods carry their status checks", () => {
  const checks = { conditions: [{ type: "Ready", status: "True" }] };
  const definition = compositeDefinition(
    composite({
      ...baseSpec,
      childResources: [
        { apiVersion: "v1", resource: "configmaps" },
        { apiVersion: "v1", resource: "secrets", updateStrategy: { method: "RollingRecreate", statusChecks: checks } },
      ],
    }),
    new Map([...kinds, [ruleKey({ apiVersion: "v1", resource: "secrets" }), builtinKinds.Secret]]),
  );
  assert.equal(definition.updateStrategy, {
    "ConfigMap.v1": "OnDelete",
    "Secret.v1": { method: "RollingRecreate", statusChecks: checks },
  });
  assert.throws(
    () =>
      decoratorDefinitions({
        apiVersion: "metacontroller.k8s.io/v1alpha1",
        kind: "DecoratorController",
        metadata: { name: "d" },
        spec: {
          resources: [{ apiVersion: "apps/v1", resource: "deployments" }],
          attachments: [{ apiVersion: "v1", resource: "configmaps", updateStrategy: { method: "RollingInPlace" } }],
          hooks: { sync: { webhook: { url: "http://hooks/decorate" } } },
        },
      }, kinds),
    /spec.attachments\[0\].updateStrategy.method RollingInPlace is not one of InPlace, Recreate, OnDelete$/,
  );
});

test("a DecoratorController becomes one controller per resource, filtered by its selectors, speaking the decorator's JSON", () => {
  const decorator: DecoratorController = {
    apiVersion: "metacontroller.k8s.io/v1alpha1",
    kind: "DecoratorController",
    metadata: { name: "decorate" },
    spec: {
      resources: [{
        apiVersion: "apps/v1",
        resource: "deployments",
        labelSelector: { matchLabels: { decorate: "yes" } },
        annotationSelector: { matchAnnotations: { team: "a" } },
      }],
      attachments: [{ apiVersion: "v1", resource: "configmaps" }],
      hooks: { sync: { webhook: { url: "http://hooks/decorate" } } },
    },
  };
  const [definition] = decoratorDefinitions(decorator, kinds);
  assert.is(definition!.name, "decorate");
  assert.is(definition!.parent, builtinKinds.Deployment);
  assert.is(definition!.parentStatus, "shared");
  assert.is(definition!.writes, "metacontroller", "Metacontroller's semantics for status, failures and child status");
  assert.is((definition!.sync as RemoteHook).protocol, "decorator");
  const object = (labels: Record<string, string>, annotations: Record<string, string>) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d", labels, annotations },
  });
  assert.ok(definition!.filter!(object({ decorate: "yes" }, { team: "a" })));
  assert.not.ok(definition!.filter!(object({ decorate: "yes" }, {})));
  assert.not.ok(definition!.filter!(object({}, { team: "a" })));
});

const selectors: Array<[string, Parameters<typeof labelsSelected>[0], Record<string, string>, boolean]> = [
  ["no selector", undefined, {}, true],
  ["In", { matchExpressions: [{ key: "tier", operator: "In", values: ["web", "api"] }] }, { tier: "api" }, true],
  ["In, missing", { matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }] }, {}, false],
  ["NotIn, missing", { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }, {}, true],
  ["Exists", { matchExpressions: [{ key: "tier", operator: "Exists" }] }, { tier: "" }, true],
  ["DoesNotExist", { matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, { tier: "x" }, false],
];
for (const [name, selector, labels, expected] of selectors) {
  test(`label selector: ${name}`, () => assert.is(labelsSelected(selector, labels), expected));
}

test("annotation selector matches annotations as a label selector matches labels", () => {
  assert.ok(
    annotationsSelected({ matchAnnotations: { a: "1" }, matchExpressions: [{ key: "b", operator: "Exists" }] }, {
      a: "1",
      b: "",
    }),
  );
  assert.not.ok(annotationsSelected({ matchAnnotations: { a: "1" } }, { a: "2" }));
});

test.run();
