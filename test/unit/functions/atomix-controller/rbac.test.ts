// The ClusterRole is derived, not kept by hand: each controller's kinds get the verbs the
// runtime uses on them, and each RPC handler declares its own. Here the handlers' source is
// read to check that every (kind, verb) a handler uses is declared, and nothing more.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rbacRules } from "../../../../functions/atomix-controller/manifest.ts";
import { atomixControllers, atomixServiceAccess } from "../../../../functions/atomix-controller/program.ts";
import * as atomixKinds from "../../../../functions/atomix-controller/kinds.ts";
import {
  type Access,
  builtinKinds,
  controller,
  groupOf,
  type Kind,
  kindKey,
  type Verb,
} from "../../../../runtime/mod.ts";
import { childVerbs, controllerAccess, managerAccess, policyRules } from "../../../../runtime/manifests.ts";

const apiFolder = join(import.meta.dirname, "..", "..", "..", "..", "functions", "atomix-controller", "api");

/** The kinds a handler may name, by the expression it names them with. */
const kindsByExpression = new Map<string, Kind>([
  ...Object.entries(atomixKinds).filter(([name]) => name.endsWith("Kind")).map(([name, kind]) =>
    [name, kind as Kind] as const
  ),
  ...Object.entries(builtinKinds).map(([name, kind]) => [`builtinKinds.${name}`, kind] as const),
]);

const clientVerbs: Record<string, Verb[]> = {
  get: ["get"],
  list: ["list"],
  watch: ["watch"],
  create: ["create"],
  update: ["update"],
  patch: ["patch"],
  delete: ["delete"],
  apply: ["create", "patch"],
};

/** "Kind.apiVersion verb" for every client call and cache read in a source file. */
function usedIn(source: string): Set<string> {
  const used = new Set<string>();
  const add = (expression: string, verbs: readonly Verb[]) => {
    const kind = kindsByExpression.get(expression);
    if (!kind) throw new Error(`a handler names a kind by "${expression}", which this test cannot resolve`);
    for (const verb of verbs) used.add(`${kindKey(kind)} ${verb}`);
  };
  for (
    const [, method, expression] of source.matchAll(
      /client\.(get|list|watch|create|update|patch|delete|apply)(?:<[^>(]*>)?\(\s*([A-Za-z_.]+)/g,
    )
  ) add(expression!, clientVerbs[method!]!);
  for (const [, expression] of source.matchAll(/informers\.for\(\s*([A-Za-z_.]+)/g)) {
    add(expression!, ["list", "watch"]);
  }
  return used;
}

const declared = (access: readonly Access[]) =>
  new Set(
    access.flatMap((a) =>
      a.verbs.map((verb) => `${kindKey(a.kind)}${a.subresource ? `/${a.subresource}` : ""} ${verb}`)
    ),
  );

for (const file of readdirSync(apiFolder).filter((name) => name.endsWith(".ts")).sort()) {
  test(`functions/api/${file}: declares exactly the API access it uses`, async () => {
    const used = usedIn(readFileSync(join(apiFolder, file), "utf8"));
    const module = (await import(join(apiFolder, file))) as { access?: Access[] };
    if (used.size === 0) {
      assert.is(module.access, undefined, `${file} uses no API but declares access`);
      return;
    }
    assert.ok(module.access, `${file} uses ${[...used].join(", ")} but exports no access list`);
    assert.equal([...declared(module.access!)].sort(), [...used].sort());
  });
}

test("every handler's access is in the services' list", async () => {
  const all = declared(atomixServiceAccess);
  for (const file of readdirSync(apiFolder).filter((name) => name.endsWith(".ts"))) {
    const { access } = (await import(join(apiFolder, file))) as { access?: Access[] };
    for (const entry of declared(access ?? [])) {
      assert.ok(all.has(entry), `${file}: ${entry} is not in atomixServiceAccess`);
    }
  }
});

test("a controller's kinds get the verbs the runtime uses: parent read and status patch, children written, related read", () => {
  const widgets = atomixKinds.PartitionGroupKind;
  const access = controllerAccess(
    controller({
      name: "w",
      parent: widgets,
      children: [builtinKinds.ConfigMap],
      related: { kinds: [builtinKinds.Secret], select: () => [] },
      sync: () => ({}),
    }),
  );
  assert.equal(
    declared(access),
    declared([
      { kind: widgets, verbs: ["list", "watch"] },
      { kind: widgets, subresource: "status", verbs: ["patch"] },
      { kind: widgets, subresource: "finalizers", verbs: ["update"] },
      { kind: builtinKinds.ConfigMap, verbs: childVerbs },
      { kind: builtinKinds.Secret, verbs: ["list", "watch"] },
    ]),
  );
  const finalizing = controllerAccess(
    controller({ name: "f", parent: widgets, children: [], sync: () => ({}), finalize: () => ({ finalized: true }) }),
  );
  assert.ok(
    declared(finalizing).has(`${kindKey(widgets)} patch`),
    "a finalize hook needs patch on the parent for its finalizer",
  );
  const effects = (declaredEffects: { commands?: boolean; httpSecrets?: boolean }) =>
    policyRules(
      controllerAccess(
        controller({ name: "e", parent: widgets, children: [], effects: declaredEffects, sync: () => ({}) }),
      ),
    ).filter((rule) => rule.apiGroups[0] === "");
  assert.equal(effects({}), [], "no actions declared: no pods/exec, no Secrets");
  assert.equal(effects({ commands: true, httpSecrets: true }), [
    { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
    { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
  ]);
});

test("policyRules merges verbs per resource, in a stable order, one rule per resource", () => {
  const rules = policyRules([
    { kind: builtinKinds.Service, verbs: ["watch", "list"] },
    { kind: builtinKinds.Service, verbs: ["delete", "list"] },
    { kind: builtinKinds.StatefulSet, verbs: ["get"] },
    { kind: builtinKinds.StatefulSet, subresource: "status", verbs: ["patch"] },
  ]);
  assert.equal(rules, [
    { apiGroups: [""], resources: ["services"], verbs: ["list", "watch", "delete"] },
    { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get"] },
    { apiGroups: ["apps"], resources: ["statefulsets/status"], verbs: ["patch"] },
  ]);
});

test("the deployed ClusterRole is the derived one: every controller's kinds, the services' and the manager's, nothing else", () => {
  const expected = policyRules([
    ...atomixControllers().flatMap(controllerAccess),
    ...atomixServiceAccess,
    ...managerAccess({ leaderElection: true, apiAuth: true }),
  ]);
  assert.equal(rbacRules, expected);
  const granted = new Set(
    rbacRules.flatMap((rule) => rule.verbs.map((verb) => `${rule.apiGroups[0]}/${rule.resources[0]} ${verb}`)),
  );
  for (const definition of atomixControllers()) {
    for (const kind of definition.children) {
      for (const verb of childVerbs) {
        assert.ok(
          granted.has(`${groupOf(kind.apiVersion)}/${kind.plural} ${verb}`),
          `${definition.name} child ${kind.kind}: ${verb}`,
        );
      }
    }
  }
  assert.ok(granted.has("coordination.k8s.io/leases update"), "leader election renews its Lease");
  assert.ok(granted.has("events.k8s.io/events create"));
  // --api-auth=kubernetes asks the API server about callers, and may do nothing else for it.
  assert.equal(
    rbacRules.filter((rule) =>
      rule.apiGroups[0]!.startsWith("authentication.") || rule.apiGroups[0]!.startsWith("authorization.")
    ),
    [
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
      { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
    ],
  );
  assert.not.ok([...granted].some((entry) => entry.includes("*")), "no wildcards");
});

test.run();
