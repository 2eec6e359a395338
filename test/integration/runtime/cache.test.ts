// The informer's cache, read directly: what it keeps of each object, its owner index, and
// read-your-writes through remember(). Against the shared test cluster.
import { suite } from "../../support/suite.ts";
import * as assert from "uvu/assert";
import { Informer } from "../../../runtime/cache/informer.ts";
import { Informers } from "../../../runtime/cache/informers.ts";
import { managedBy } from "../../../runtime/program/cache-selectors.ts";
import { KubeClient } from "../../../runtime/kube/client.ts";
import { builtinKinds } from "../../../runtime/kube/kinds.ts";
import type { KubeObject } from "../../../runtime/kube/objects.ts";
import { silentLogger } from "../../../runtime/log.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";

const config = testKubeConfig();
const client = new KubeClient(config);
const test = suite("runtime: informer cache");
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
const informers: Informer[] = [];

const ns = () => namespace.name;
const informer = (options: { keepManagedFields?: boolean } = {}) => {
  const started = new Informer({
    kind: builtinKinds.ConfigMap,
    client,
    log: silentLogger,
    namespaces: [ns()],
    ...options,
  });
  informers.push(started);
  started.start();
  return started;
};
const applyConfigMap = (name: string, data: Record<string, string>, owner?: KubeObject) =>
  client.apply<KubeObject>(
    builtinKinds.ConfigMap,
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name,
        namespace: ns(),
        ...(owner && {
          ownerReferences: [{
            apiVersion: "v1",
            kind: "ConfigMap",
            name: owner.metadata.name,
            uid: owner.metadata.uid!,
            controller: true,
          }],
        }),
      },
      data,
    },
    { fieldManager: "runtime-cache-test" },
  );

test.before(async () => {
  namespace = await freshNamespace(config, "runtime-cache");
});

test.after(async () => {
  await Promise.all(informers.map((i) => i.stop()));
  await namespace.remove();
});

test("cached objects leave out managedFields unless asked to keep them", async () => {
  const written = await applyConfigMap("plain", { a: "1" });
  assert.ok(written.metadata.managedFields, "the API server returned managedFields");
  const lean = informer();
  const keeping = informer({ keepManagedFields: true });
  await Promise.all([lean.synced, keeping.synced]);
  const key = `${ns()}/plain`;
  assert.is(lean.get(key)?.metadata.managedFields, undefined, "listed object without managedFields");
  assert.ok(keeping.get(key)?.metadata.managedFields, "keepManagedFields keeps them");
  assert.equal(lean.get(key)?.data, { a: "1" });
  assert.is(lean.get(key)?.metadata.resourceVersion, written.metadata.resourceVersion);

  const updated = await applyConfigMap("plain", { a: "2" });
  const seen = await eventually("the watched update", () => {
    const cached = lean.get(key);
    return cached?.metadata.resourceVersion === updated.metadata.resourceVersion ? cached : undefined;
  });
  assert.is(seen.metadata.managedFields, undefined, "watched object without managedFields");
  assert.equal(seen.data, { a: "2" });
});

test("remember() serves the caller's write at once, without managedFields, and leaves the caller's object alone", async () => {
  const cache = informer();
  await cache.synced;
  const written = await applyConfigMap("remembered", { b: "1" });
  cache.remember(written);
  const cached = cache.get(`${ns()}/remembered`);
  assert.is(cached?.metadata.resourceVersion, written.metadata.resourceVersion);
  assert.is(cached?.metadata.managedFields, undefined);
  assert.ok(written.metadata.managedFields, "the object passed in still has its managedFields");
});

test("a write answered after the object was deleted does not bring it back", async () => {
  const cache = informer();
  await cache.synced;
  const key = `${ns()}/short-lived`;
  const written = await applyConfigMap("short-lived", { c: "1" });
  await eventually("the object in the cache", () => cache.get(key));
  await client.delete(builtinKinds.ConfigMap, ns(), "short-lived");
  await eventually("the deletion seen by the watch", () => !cache.get(key));
  cache.remember(written);
  assert.is(cache.get(key), undefined, "remember() of a deleted object's last write is ignored");
});

test("removing the last finalizer of a deleting object counts as its deletion", async () => {
  const cache = informer();
  await cache.synced;
  const key = `${ns()}/finalized`;
  await client.apply(
    builtinKinds.ConfigMap,
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "finalized", namespace: ns(), finalizers: ["test.atomix.io/hold"] },
    },
    { fieldManager: "runtime-cache-test" },
  );
  await client.delete(builtinKinds.ConfigMap, ns(), "finalized");
  await eventually("the deleting object in the cache", () => cache.get(key)?.metadata.deletionTimestamp);
  const released = await client.apply<KubeObject>(
    builtinKinds.ConfigMap,
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "finalized", namespace: ns(), finalizers: [] } },
    { fieldManager: "runtime-cache-test" },
  );
  assert.ok(released.metadata.deletionTimestamp, "the API server answered with the deleting object");
  cache.remember(released);
  assert.is(cache.get(key), undefined, "gone from the cache at once");
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.is(cache.get(key), undefined, "and it stays gone once the watch catches up");
  assert.is(
    await client.get(builtinKinds.ConfigMap, ns(), "finalized").catch((error) => (error as { status?: number }).status),
    404,
  );
});

test("objects are indexed by their controller owner's UID, and leave the index when deleted", async () => {
  const cache = informer();
  await cache.synced;
  const owner = await applyConfigMap("owner", {});
  await applyConfigMap("owned-1", {}, owner);
  await applyConfigMap("owned-2", {}, owner);
  const owned = await eventually("both owned objects in the index", () => {
    const names = cache.ownedBy(owner.metadata.uid!).map((o) => o.metadata.name).sort();
    return names.length === 2 ? names : undefined;
  });
  assert.equal(owned, ["owned-1", "owned-2"]);
  await client.delete(builtinKinds.ConfigMap, ns(), "owned-1");
  await eventually("the deleted object to leave the index", () => cache.ownedBy(owner.metadata.uid!).length === 1);
  assert.is(cache.ownedBy(owner.metadata.uid!)[0]?.metadata.name, "owned-2");
});

test("a cache selector keeps only the objects it selects, for every reader that names no selector", async () => {
  const registry = new Informers({
    client,
    log: silentLogger,
    namespaces: [ns()],
    selectors: [{ kind: builtinKinds.ConfigMap, labels: managedBy([{ name: "ours" }, { name: "also-ours" }]) }],
  });
  const labelled = (name: string, managedBy?: string) =>
    client.apply<KubeObject>(builtinKinds.ConfigMap, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name,
        namespace: ns(),
        ...(managedBy && { labels: { "app.kubernetes.io/managed-by": managedBy } }),
      },
    }, { fieldManager: "runtime-cache-test" });
  await labelled("selected-1", "ours");
  await labelled("unselected-1", "theirs");
  await labelled("unselected-2");
  const cache = registry.for(builtinKinds.ConfigMap);
  const whole = registry.for(builtinKinds.ConfigMap, { labelSelector: "!no-such-label" });
  registry.start();
  try {
    await registry.waitForSync();
    assert.is(registry.for(builtinKinds.ConfigMap), cache, "readers without a selector share the narrowed informer");
    assert.is.not(whole, cache, "a reader with a selector of its own gets its own informer");
    const names = (informer: Informer) => informer.list(ns()).map((o) => o.metadata.name).sort();
    assert.equal(names(cache), ["selected-1"]);
    assert.ok(names(whole).includes("unselected-1") && names(whole).includes("unselected-2"), names(whole).join());
    // Writes: one the selector admits is remembered; one it does not is not cached.
    cache.remember(await labelled("selected-2", "also-ours"));
    cache.remember(await labelled("unselected-3", "theirs"));
    assert.equal(names(cache), ["selected-1", "selected-2"]);
    // Relabelled away from the selector: it leaves the cache, by the watch or by remember().
    await labelled("selected-1", "theirs");
    await eventually("the relabelled object to leave the cache", () => !cache.get(`${ns()}/selected-1`));
    cache.remember(await labelled("selected-2", "theirs"));
    assert.equal(names(cache), []);
  } finally {
    await registry.stop();
  }
});

test("a malformed or doubled cache selector is refused with the kind named", () => {
  const make = (selectors: ConstructorParameters<typeof Informers>[0]["selectors"]) =>
    new Informers({ client, log: silentLogger, namespaces: "all", selectors });
  assert.throws(
    () => make([{ kind: builtinKinds.ConfigMap, labels: managedBy([]) }]),
    /cache selector for ConfigMap\.v1 has matchExpressions\[0\] \(In\) without values/,
  );
  assert.throws(
    () =>
      make([
        { kind: builtinKinds.Service, labels: { matchLabels: { a: "b" } } },
        { kind: builtinKinds.Service, labels: { matchLabels: { a: "c" } } },
      ]),
    /two cache selectors for Service\.v1/,
  );
});

test.run();
