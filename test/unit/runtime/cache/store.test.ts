// The store's namespace index: one namespace's list reads only its own objects, in the order
// they arrived (an update keeps its place), and a fresh list of one namespace leaves the others.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Store } from "../../../../runtime/cache/store.ts";
import type { KubeObject } from "../../../../runtime/kube/objects.ts";
import { silentLogger } from "../../../../runtime/log.ts";

let version = 0;
const object = (namespace: string | undefined, name: string, data = ""): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, ...(namespace && { namespace }), uid: `${namespace}/${name}`, resourceVersion: String(++version) },
  data: { data },
});
const names = (objects: KubeObject[]) => objects.map((o) => `${o.metadata.namespace ?? "-"}/${o.metadata.name}`);

test("list(namespace) holds that namespace's objects in arrival order; updates keep their place", () => {
  const store = new Store({ kind: "ConfigMap.v1", log: silentLogger });
  for (const [namespace, name] of [["a", "1"], ["b", "1"], ["a", "2"], ["a", "3"]] as const) {
    store.receive({ type: "ADDED", object: object(namespace, name) }, 0);
  }
  assert.equal(names(store.list("a")), ["a/1", "a/2", "a/3"]);
  assert.equal(names(store.list("b")), ["b/1"]);
  assert.equal(store.list("c"), []);
  store.receive({ type: "MODIFIED", object: object("a", "1", "changed") }, 0);
  assert.equal(names(store.list("a")), ["a/1", "a/2", "a/3"], "an update keeps its place");
  assert.is((store.list("a")[0]!.data as { data: string }).data, "changed");
  store.receive({ type: "DELETED", object: object("a", "2") }, 0);
  assert.equal(names(store.list("a")), ["a/1", "a/3"]);
  assert.equal(names(store.list()), ["a/1", "b/1", "a/3"], "all, in arrival order");
});

test("a fresh list of one namespace replaces that namespace alone", () => {
  const store = new Store({ kind: "ConfigMap.v1", log: silentLogger });
  const changes: string[] = [];
  store.onChange((change) =>
    changes.push(`${change.type} ${change.object.metadata.namespace}/${change.object.metadata.name}`)
  );
  store.replace("a", [object("a", "1"), object("a", "2")]);
  store.replace("b", [object("b", "1")]);
  changes.length = 0;
  const kept = store.get("a/2")!;
  store.replace("a", [kept, object("a", "3")]);
  assert.equal(changes, ["deleted a/1", "added a/3"]);
  assert.equal(names(store.list("a")), ["a/2", "a/3"]);
  assert.equal(names(store.list("b")), ["b/1"]);
  store.replace("a", []);
  assert.equal(store.list("a"), []);
  assert.is(store.size, 1);
});

test("cluster-scoped objects are listed whole, and under no namespace", () => {
  const store = new Store({ kind: "StorageClass.storage.k8s.io/v1", log: silentLogger });
  store.replace(undefined, [object(undefined, "fast"), object(undefined, "slow")]);
  assert.equal(names(store.list()), ["-/fast", "-/slow"]);
  assert.equal(store.list(""), []);
});

test.run();
