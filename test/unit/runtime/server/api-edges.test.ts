// The pure parts of the API server's edges, as tables: the review cache, bearer tokens, the
// access rules (every Atomix RPC has one), UNIMPLEMENTED answers per protocol, the reflection
// index, which failures count as malformed requests, and the new flags.
import { Code, ConnectError } from "@connectrpc/connect";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ControllerService } from "../../../../gen/atomix/controller/controller_pb.ts";
import { DatabaseService } from "../../../../gen/atomix/database/database_pb.ts";
import { MembershipService } from "../../../../gen/atomix/membership/membership_pb.ts";
import { PrimitiveService } from "../../../../gen/atomix/primitive/primitive_pb.ts";
import { protocolRegistry } from "../../../../functions/atomix-controller/api/protocol-any.ts";
import { atomixRpcAccess } from "../../../../functions/atomix-controller/program.ts";
import { ReviewCache } from "../../../../runtime/auth/cache.ts";
import { bearerToken } from "../../../../runtime/auth/kubernetes.ts";
import { describeRule, methodKey, ruleTable, undeclared } from "../../../../runtime/auth/rules.ts";
import { ConfigError, parseRuntimeConfig } from "../../../../runtime/program/config.ts";
import { DescriptorIndex } from "../../../../runtime/server/descriptor-index.ts";
import { healthAccess } from "../../../../runtime/server/health.ts";
import { isMalformedRequestFailure } from "../../../../runtime/server/malformed-requests.ts";
import { reflectionAccess } from "../../../../runtime/server/reflection.ts";
import { unimplementedAnswer } from "../../../../runtime/server/unimplemented.ts";

test("the review cache keeps answers for the TTL, shares one in flight, forgets failures and stays bounded", async () => {
  let now = 0;
  let asked = 0;
  const cache = new ReviewCache<string>({ ttlMs: 1000, maxEntries: 2, now: () => now });
  const review = (answer: string) => () => Promise.resolve(`${answer}:${++asked}`);
  const [a, b] = await Promise.all([cache.get("k", review("x")), cache.get("k", review("x"))]);
  assert.equal([a, b, asked], ["x:1", "x:1", 1], "concurrent callers share one review");
  now = 999;
  assert.is(await cache.get("k", review("x")), "x:1");
  now = 1000;
  assert.is(await cache.get("k", review("x")), "x:2", "expired at the TTL");
  await cache.get("failing", () => Promise.reject(new Error("API down"))).catch(() => undefined);
  assert.is(await cache.get("failing", review("y")), "y:3", "a failure is not kept");
  await cache.get("third", review("z"));
  assert.is(cache.size, 2, "the oldest entry went");
  const uncached = new ReviewCache<string>({ ttlMs: 0, maxEntries: 10 });
  await uncached.get("k", review("u"));
  assert.is(await uncached.get("k", review("u")), "u:6");
  assert.is(uncached.size, 0);
});

test("bearer tokens: the scheme in any case, nothing else", () => {
  const cases: Array<[string | null, string | undefined]> = [
    ["Bearer abc.def", "abc.def"],
    ["bearer abc", "abc"],
    ["  BEARER   abc  ", "abc"],
    ["Basic abc", undefined],
    ["Bearer", undefined],
    ["Bearer a b", undefined],
    [null, undefined],
  ];
  for (const [header, token] of cases) assert.is(bearerToken(header), token, String(header));
});

test("every method of the Atomix services, health and reflection has exactly one access rule", () => {
  const table = ruleTable([...atomixRpcAccess, healthAccess, ...reflectionAccess]);
  const methods = [ControllerService, DatabaseService, PrimitiveService, MembershipService].flatMap((service) =>
    service.methods
  );
  assert.equal(undeclared(methods, table), []);
  assert.equal(
    undeclared([
      ...methods,
      ...healthAccess.service.methods,
      ...reflectionAccess.flatMap((access) => access.service.methods),
    ], table),
    [],
  );
  assert.throws(
    () => ruleTable([healthAccess, healthAccess]),
    /two access rules declared for grpc.health.v1.Health\/Check/,
  );
  const describe = (service: { typeName: string }, method: string) =>
    describeRule(table.get(`${service.typeName}/${method}`)!);
  assert.is(
    describe(ControllerService, "CreatePartitionGroup"),
    "create partitiongroups.k8s.atomix.io (in id.namespace)",
  );
  assert.is(describe(DatabaseService, "GetDatabases"), "list databases.cloud.atomix.io (in namespace)");
  assert.is(describe(MembershipService, "JoinGroup"), "create members.cloud.atomix.io (in group_id.namespace)");
  assert.is(
    describe(ControllerService, "EnterElection"),
    "update leases.coordination.k8s.io (<group>-<partition>-election in partition_id.group.namespace)",
  );
  assert.is(describeRule(table.get("grpc.health.v1.Health/Watch")!), "anyone, no token needed");
  assert.is(
    methodKey(ControllerService.method.getPartitionGroups),
    "atomix.controller.ControllerService/GetPartitionGroups",
  );
});

test("the Atomix controller README's table of RPCs and what they need is the declared rules", () => {
  const readme = readFileSync(
    join(import.meta.dirname, "..", "..", "..", "..", "functions", "atomix-controller", "README.md"),
    "utf8",
  );
  for (const access of [...atomixRpcAccess, healthAccess, ...reflectionAccess]) {
    for (const method of access.service.methods) {
      const row = `| \`${methodKey(method)}\` | ${
        describeRule(access.rules.get(method.name)!).replace(/</g, "&lt;").replace(/>/g, "&gt;")
      } |`;
      assert.ok(readme.includes(row), `functions/atomix-controller/README.md lacks the row ${row}`);
    }
  }
});

test("access rules read the namespace and name the handlers use (empty namespace is default)", () => {
  const table = ruleTable(atomixRpcAccess);
  const rule = (key: string) =>
    table.get(key) as { namespace: (request: unknown) => string; name?: (request: unknown) => string | undefined };
  assert.is(
    rule("atomix.controller.ControllerService/CreatePartitionGroup").namespace({ id: { name: "g" } }),
    "default",
  );
  assert.is(
    rule("atomix.controller.ControllerService/DeletePartitionGroup").name!({ id: { name: "g", namespace: "ns" } }),
    "g",
  );
  assert.is(
    rule("atomix.controller.ControllerService/EnterElection").name!({
      partitionId: { group: { name: "raft" }, partition: 2 },
    }),
    "raft-2-election",
  );
  assert.is(
    rule("atomix.primitive.PrimitiveService/GetPrimitives").namespace({ database: { namespace: "shop" } }),
    "shop",
  );
  assert.throws(
    () => rule("atomix.database.DatabaseService/GetDatabases").namespace({ namespace: "Not A Namespace" }),
    /must be a lowercase DNS label/,
  );
});

test("UNIMPLEMENTED in each protocol; other requests are left alone", () => {
  const known = new Set(["atomix.controller.ControllerService"]);
  const text = (data: Uint8Array) => new TextDecoder().decode(data);
  const grpc = unimplementedAnswer(
    "POST",
    "/atomix.controller.ControllerService/Nope",
    "application/grpc+proto",
    known,
  )!;
  assert.equal([grpc.status, grpc.trailers], [200, {
    "grpc-status": "12",
    "grpc-message": "unknown%20method%20Nope%20for%20service%20atomix.controller.ControllerService",
  }]);
  const web = unimplementedAnswer("POST", "/x.Y/Z", "application/grpc-web+proto", known)!;
  assert.is(web.body[0], 0x80, "a trailer frame");
  assert.match(text(web.body.subarray(5)), "grpc-status: 12\r\ngrpc-message: unknown%20service%20x.Y\r\n");
  const webText = unimplementedAnswer("POST", "/x.Y/Z", "application/grpc-web-text", known)!;
  assert.is(atob(text(webText.body)).charCodeAt(0), 0x80, "base64 for grpc-web-text");
  const connect = unimplementedAnswer("POST", "/x.Y/Z", "application/json; charset=utf-8", known)!;
  assert.equal([connect.status, JSON.parse(text(connect.body))], [404, {
    code: "unimplemented",
    message: "unknown service x.Y",
  }]);
  const stream = unimplementedAnswer("POST", "/x.Y/Z", "application/connect+proto", known)!;
  assert.equal([stream.status, stream.body[0], JSON.parse(text(stream.body.subarray(5)))], [200, 2, {
    error: { code: "unimplemented", message: "unknown service x.Y" },
  }]);
  assert.is(unimplementedAnswer("GET", "/x.Y/Z", "application/json", known), undefined);
  assert.is(unimplementedAnswer("POST", "/healthz", "application/json", known), undefined);
  assert.is(unimplementedAnswer("POST", "/x.Y/Z", "text/plain", known), undefined);
});

test("the reflection index finds every kind of symbol and sends imports once per stream", () => {
  const index = new DescriptorIndex([ControllerService], [...protocolRegistry]);
  const file = "atomix/controller/controller.proto";
  for (
    const symbol of [
      "atomix.controller.ControllerService",
      "atomix.controller.ControllerService.EnterElection",
      "atomix.controller.PartitionGroupSpec",
      "atomix.controller.PartitionGroupSpec.protocol",
      ".atomix.controller.PartitionGroupId",
    ]
  ) {
    assert.is(index.fileOfSymbol(symbol)?.proto.name, file, symbol);
  }
  assert.is(
    index.fileOfSymbol("atomix.protocols.raft.RaftProtocol")?.proto.name,
    "atomix/protocols/raft/raft.proto",
    "Any types are served",
  );
  assert.is(index.fileOfSymbol("google.protobuf.Any")?.proto.name, "google/protobuf/any.proto", "imports are indexed");
  assert.is(index.fileOfSymbol("no.such.Symbol"), undefined);
  const sent = new Set<string>();
  const first = index.withImports(index.file(file)!, sent).map((bytes) =>
    fromBinary(FileDescriptorProtoSchema, bytes).name
  );
  assert.is(first[0], file);
  assert.ok(first.includes("google/protobuf/any.proto"));
  assert.equal(
    index.withImports(index.file(file)!, sent).map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name),
    [file],
    "the file again, its imports not",
  );
});

test("malformed requests are the parse and compression failures Connect calls internal, nothing else", () => {
  assert.ok(
    isMalformedRequestFailure(new ConnectError("parse binary: illegal tag: field no 0 wire type 0", Code.Internal)),
  );
  assert.ok(
    isMalformedRequestFailure(
      new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal),
    ),
  );
  assert.not.ok(isMalformedRequestFailure(new ConnectError("serialize binary: bad", Code.Internal)));
  assert.not.ok(isMalformedRequestFailure(new ConnectError("parse binary: x", Code.InvalidArgument)));
  assert.not.ok(isMalformedRequestFailure(new Error("parse binary: x")));
});

test("flags: limits, --api-auth and TLS files, checked", () => {
  const defaults = parseRuntimeConfig([], {});
  assert.equal([
    defaults.maxMessageBytes,
    defaults.maxHeaderBytes,
    defaults.maxConcurrentStreams,
    defaults.apiAuth,
    defaults.apiAuthCacheTtlSeconds,
  ], [4194304, 65536, 100, "none", 10]);
  assert.is(
    parseRuntimeConfig(["--api-auth=kubernetes", "--max-message-bytes=16777216"], {}).maxMessageBytes,
    16777216,
  );
  assert.is(parseRuntimeConfig([], { API_AUTH: "kubernetes" }).apiAuth, "kubernetes");
  const refused: Array<[string[], RegExp]> = [
    [["--api-auth=oidc"], /--api-auth must be one of none, kubernetes/],
    [["--max-message-bytes=0"], /--max-message-bytes must be a whole number from 1/],
    [["--max-concurrent-streams=0"], /--max-concurrent-streams/],
    [["--max-header-bytes=100"], /--max-header-bytes must be a whole number >= 1024/],
    [["--tls-cert-file=/tmp/c.pem"], /--tls-cert-file and --tls-private-key-file go together/],
  ];
  for (const [argv, message] of refused) {
    assert.throws(
      () => parseRuntimeConfig(argv, {}),
      (error: Error) => error instanceof ConfigError && message.test(error.message),
    );
  }
});

test.run();
