// Pure parts of the API handlers: record names for client-chosen keys, the member list a
// JoinGroup stream sends, and when a Member counts as stale.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { expiryMs as memberExpiryMs } from "../../../../../functions/atomix-controller/api/liveness.ts";
import {
  isExpired,
  membersOf,
  renewedAnnotation,
} from "../../../../../functions/atomix-controller/api/membership-state.ts";
import { recordName } from "../../../../../functions/atomix-controller/api/names.ts";
import type { KubeObject } from "../../../../../runtime/mod.ts";

const objectName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const names: Array<[string[], string]> = [
  [["raft", "shop", "orders"], "raft.shop.orders."],
  [["raft", "", "Orders"], "raft.orders."],
  [["raft", "My App", "a/b"], "raft.my-app.a-b."],
];
for (const [parts, prefix] of names) {
  test(`recordName(${JSON.stringify(parts)}) is a valid object name starting ${prefix}`, () => {
    const name = recordName(...parts);
    assert.ok(name.startsWith(prefix), name);
    assert.ok(objectName.test(name) && name.length <= 253, name);
    assert.is(recordName(...parts), name, "deterministic");
  });
}

test("recordName keeps keys apart that sanitize alike", () => {
  const keys = [["db", "a.b", "c"], ["db", "a", "b.c"], ["db", "A", "c"], ["db", "a", "c"], ["db", "", "a.c"]];
  const made = keys.map((key) => recordName(...key));
  assert.is(new Set(made).size, keys.length, made.join(" "));
  assert.ok(recordName("x".repeat(300), "y").length <= 253);
});

const member = (name: string, group: string, extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  apiVersion: "cloud.atomix.io/v1beta2",
  kind: "Member",
  metadata: { name: `r-${name}`, namespace: "ns", ...extra },
  spec: { group, member: name, host: `${name}.local`, port: 8080 },
});

test("membersOf: one group's members, sorted by name, without those being deleted", () => {
  const records = [
    member("peer-3", "g"),
    member("peer-1", "g"),
    member("other", "h"),
    member("peer-2", "g", { deletionTimestamp: "2026-01-01T00:00:00Z" }),
  ];
  assert.equal(membersOf(records, "g"), [
    { name: "peer-1", namespace: "ns", host: "peer-1.local", port: 8080 },
    { name: "peer-3", namespace: "ns", host: "peer-3.local", port: 8080 },
  ]);
  assert.equal(membersOf(records, "none"), []);
});

const expiry: Array<[string | undefined, number, boolean]> = [
  [String(1_000_000), 1_000_000 + memberExpiryMs - 1, false],
  [String(1_000_000), 1_000_000 + memberExpiryMs + 1, true],
  [undefined, 9_999_999_999, false],
  ["garbage", 9_999_999_999, false],
];
for (const [renewed, now, stale] of expiry) {
  test(`isExpired: renewed ${renewed}, now ${now} → ${stale}`, () => {
    const record = member("m", "g", renewed === undefined ? {} : { annotations: { [renewedAnnotation]: renewed } });
    assert.is(isExpired(record, now), stale);
  });
}

test.run();
