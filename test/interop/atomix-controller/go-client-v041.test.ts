// github.com/atomix/go-client v0.4.1 against the controller running under its ServiceAccount
// token: client.New (which blocks on the first JoinGroup answer), GetDatabases, GetDatabase,
// a missing database, GetPrimitives; and the membership scenario of the upstream peers test,
// with members on one controller replica and the observer on another.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as assert from "uvu/assert";
import { MembershipService } from "../../../gen/atomix/membership/membership_pb.ts";
import { PrimitiveService, PrimitiveType } from "../../../gen/atomix/primitive/primitive_pb.ts";
import { startAtomixController } from "../../support/atomix.ts";
import { buildGoProgram, type GoProcess, runGoProgram, startGoProgram, stepOf } from "../../support/goclient.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { kubectlOrThrow } from "../../support/kubectl.ts";
import type { SampleProcess } from "../../support/sample.ts";
import { suite } from "../../support/suite.ts";

const test = suite("interop: go-client v0.4.1");
const admin = process.env.KUBECONFIG_FOR_TESTS!;
const replicas: SampleProcess[] = [];
const programs: GoProcess[] = [];
let namespace: Awaited<ReturnType<typeof freshNamespace>>;
let binary: string;

const address = (replica: SampleProcess) => `127.0.0.1:${replica.port}`;
const k = (input: string | undefined, ...args: string[]) => kubectlOrThrow(admin, args, input);

test.before(async () => {
  binary = await buildGoProgram("v0.4.1");
  namespace = await freshNamespace(testKubeConfig(), "interop-go-041");
  replicas.push((await startAtomixController("go-041-1")).controller);
  replicas.push((await startAtomixController("go-041-2", "ready")).controller);
});

test.after(async () => {
  await Promise.all(programs.map((program) => program.stop("SIGKILL")));
  await Promise.all(replicas.map((replica) => replica.stop("SIGKILL")));
  await namespace?.remove();
});

test("client.New, GetDatabases, GetDatabase, a missing database, GetPrimitives", async () => {
  // Databases whose storage class does not exist have no partitions, so the client has no storage node to reach.
  for (const name of ["alpha", "beta"]) {
    await k(
      `apiVersion: cloud.atomix.io/v1beta2\nkind: Database\nmetadata: {name: ${name}}\nspec: {template: {spec: {storage: {group: storage.cloud.atomix.io, version: v1beta1, kind: RaftStorageClass, name: absent}}}}\n`,
      "create",
      "-n",
      namespace.name,
      "-f",
      "-",
    );
  }
  const primitives = createClient(
    PrimitiveService,
    createGrpcTransport({ baseUrl: `http://${address(replicas[0]!)}` }),
  );
  await eventually("the databases in the controller's cache", async () => {
    try {
      await primitives.getPrimitives({ database: { name: "alpha", namespace: namespace.name } });
      return (await primitives.createPrimitive({
        database: { name: "alpha", namespace: namespace.name },
        primitive: { name: "ping", namespace: "probe" },
        type: PrimitiveType.VALUE,
      })) !== undefined;
    } catch {
      return false;
    }
  });
  const wanted: Array<[string, string, PrimitiveType]> = [["interop", "users", PrimitiveType.MAP], [
    "interop",
    "hits",
    PrimitiveType.COUNTER,
  ], ["other-app", "users", PrimitiveType.LOCK]];
  for (const [scope, name, type] of wanted) {
    await primitives.createPrimitive({
      database: { name: "alpha", namespace: namespace.name },
      primitive: { name, namespace: scope },
      type,
    });
  }

  const run = await runGoProgram(binary, [
    `--address=${address(replicas[1]!)}`,
    `--namespace=${namespace.name}`,
    "--scenario=databases",
    "--scope=interop",
    "--database=alpha",
    "--missing=gamma",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const created = stepOf(run, "New");
  assert.is(created.error, "", "client.New joined (the first JoinGroup answer came at once)");
  assert.ok((created.elapsedMs as number) < 5_000, `client.New took ${created.elapsedMs} ms`);
  assert.equal(stepOf(run, "GetDatabases").databases, [`${namespace.name}/alpha`, `${namespace.name}/beta`]);
  assert.is(stepOf(run, "GetDatabases").error, "");
  const one = stepOf(run, "GetDatabase");
  assert.is(one.error, "");
  assert.is(one.name, "alpha");
  assert.is(one.namespace, namespace.name);
  const missing = stepOf(run, "GetDatabase-missing");
  assert.is(missing.code, "NotFound", JSON.stringify(missing));
  assert.match(String(missing.error), `database ${namespace.name}/gamma does not exist`);
  assert.ok((missing.elapsedMs as number) < 2_000, `a missing database failed fast (${missing.elapsedMs} ms)`);
  const listed = stepOf(run, "GetPrimitives");
  assert.is(listed.error, "");
  assert.equal(
    (listed.primitives as Array<Record<string, string>>).map((p) => [p.scope, p.name, p.type]),
    [["interop", "hits", "Counter"], ["interop", "users", "Map"]],
    "only the client's scope",
  );
});

test("membership: three pods join, an observer on the other replica sees {1,2,3}, then {1,2} when pod 3 goes, then {}", async () => {
  for (const i of [1, 2, 3]) {
    await k(
      `apiVersion: v1\nkind: Pod\nmetadata: {name: peer-${i}}\nspec: {containers: [{name: app, image: atomix/app:latest}]}\n`,
      "create",
      "-n",
      namespace.name,
      "-f",
      "-",
    );
  }
  const common = [`--namespace=${namespace.name}`, "--scope=peers", "--timeout=5m"];
  const observer = startGoProgram(binary, [`--address=${address(replicas[1]!)}`, "--scenario=observer", ...common]);
  programs.push(observer);
  const lastSeen = () => {
    const changes = observer.steps.filter((s) => s.step === "members" || s.step === "observing");
    return (changes.at(-1)?.members as string[] | undefined)?.join(",");
  };
  await eventually("the observer to start with {}", () => lastSeen() === "");
  const watch = new AbortController();
  const answers: string[][] = [];
  const membership = createClient(
    MembershipService,
    createGrpcTransport({ baseUrl: `http://${address(replicas[1]!)}` }),
  );
  const watching = (async () => {
    try {
      for await (
        const answer of membership.joinGroup({ groupId: { name: "peers", namespace: namespace.name } }, {
          signal: watch.signal,
        })
      ) {
        answers.push(answer.members.map((m) => m.id!.name));
      }
    } catch {
      // aborted
    }
  })();
  // The stream answers at once with the group as it is; wait for that answer before anyone
  // joins, or a quick join could be in it and the stream would never show {}.
  await eventually("the raw stream's first list", () => answers.length > 0);
  assert.equal(answers[0], [], "the stream's first answer is the empty group");
  const members = [1, 2, 3].map((i) =>
    startGoProgram(binary, [`--address=${address(replicas[0]!)}`, "--scenario=member", `--member=peer-${i}`, ...common])
  );
  programs.push(...members);
  await eventually("the observer to see {1,2,3}", () => lastSeen() === "peer-1,peer-2,peer-3", { timeoutMs: 30_000 });
  const records = JSON.parse(await k(undefined, "get", "members.cloud.atomix.io", "-n", namespace.name, "-o", "json"));
  assert.equal(
    records.items.map((
      m: any,
    ) => [m.spec.member, m.metadata.ownerReferences?.[0]?.kind, m.metadata.ownerReferences?.[0]?.name]).sort(),
    [["peer-1", "Pod", "peer-1"], ["peer-2", "Pod", "peer-2"], ["peer-3", "Pod", "peer-3"]],
    "each Member is owned by its Pod",
  );

  // Deleting the Pod removes its member, even while its client is still connected.
  await k(undefined, "delete", "pod", "peer-3", "-n", namespace.name, "--wait=false");
  await eventually("the observer to see {1,2}", () => lastSeen() === "peer-1,peer-2", { timeoutMs: 60_000 });
  await members[2]!.stop("SIGKILL");
  await k(undefined, "delete", "pod", "peer-1", "peer-2", "-n", namespace.name, "--wait=false");
  await eventually("the observer to see {}", () => lastSeen() === "", { timeoutMs: 60_000 });
  await Promise.all(members.map((member) => member.stop("SIGTERM")));

  const seen = observer.steps.filter((s) => s.step === "members");
  for (let i = 1; i < seen.length; i++) {
    assert.not.equal(seen[i]!.members, seen[i - 1]!.members, "never the same list twice in a row");
  }
  // The Go client hands its live member map to watchers, so it can skip a list; a raw stream shows every answer.
  // On SIGTERM a v0.4.1 member closes its group and then joins again for a moment, so the
  // stream may still see a member come and go: stop reading once no Member is left and the
  // stream has said so.
  await eventually(
    "no Member left",
    async () =>
      (await k(undefined, "get", "members.cloud.atomix.io", "-n", namespace.name, "-o", "name")).trim() === "",
  );
  await eventually("the raw stream's latest list to be empty", () => answers.at(-1)?.length === 0);
  watch.abort();
  await watching;
  const lists = answers.map((members) => members.join(","));
  assert.equal(
    lists.filter((list, i) => i === 0 || list !== lists[i - 1]),
    lists,
    "the server never sent the same list twice in a row",
  );
  assert.equal([lists[0], lists.at(-1)], ["", ""]);
  assert.ok(lists.includes("peer-1,peer-2,peer-3") && lists.includes("peer-1,peer-2"), lists.join(" | "));
});

test.run();
