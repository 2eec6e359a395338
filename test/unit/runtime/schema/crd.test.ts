// Custom kinds as data: TypeBox schemas in, the structural CRD schema out (or an error naming
// the field a CRD cannot hold), and parents checked against the schema with one line per field.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { customKind, IntOrString, PreserveUnknown } from "../../../../runtime/mod.ts";
import { Type } from "../../../../runtime/schema.ts";
import { crdOf, SchemaError } from "../../../../runtime/manifests.ts";
import { structural } from "../../../../runtime/schema/structural.ts";
import { parentProblems } from "../../../../runtime/schema/check.ts";
import { pluralOf } from "../../../../runtime/schema/kind.ts";

const Gadget = customKind({
  group: "example.com",
  version: "v1alpha1",
  kind: "Gadget",
  shortNames: ["gd"],
  categories: ["toys"],
  spec: Type.Object({
    size: Type.Integer({ minimum: 1, default: 3, description: "How many" }),
    mode: Type.Union([Type.Literal("fast"), Type.Literal("safe")]),
    level: Type.Optional(Type.Enum(["low", "high"])),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    port: IntOrString(),
    ratio: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    note: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    template: Type.Optional(PreserveUnknown()),
    anything: Type.Optional(Type.Unknown()),
    items: Type.Array(Type.Object({ name: Type.String() }), {
      maxItems: 4,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
    }),
  }),
  status: Type.Object({ phase: Type.Optional(Type.String()) }),
  columns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
  validations: [{ rule: "self.size <= 10", message: "at most 10" }],
});

type Crd = {
  metadata: { name: string };
  spec: {
    scope: string;
    names: Record<string, unknown>;
    versions: Array<{ name: string; schema: { openAPIV3Schema: any }; additionalPrinterColumns: unknown[] }>;
  };
};

test("crdOf: names, scope, printer columns and the status subresource from the kind", () => {
  const crd = crdOf(Gadget) as unknown as Crd;
  assert.is(crd.metadata.name, "gadgets.example.com");
  assert.is(crd.spec.scope, "Namespaced");
  assert.equal(crd.spec.names, {
    plural: "gadgets",
    singular: "gadget",
    kind: "Gadget",
    listKind: "GadgetList",
    shortNames: ["gd"],
    categories: ["toys"],
  });
  const version = crd.spec.versions[0]!;
  assert.is(version.name, "v1alpha1");
  assert.equal(version.additionalPrinterColumns, [
    { name: "Size", type: "integer", jsonPath: ".spec.size" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ]);
  const status = version.schema.openAPIV3Schema.properties.status;
  assert.equal(Object.keys(status.properties), ["phase", "observedGeneration", "conditions"]);
});

test("crdOf: TypeBox's JSON Schema becomes a structural schema", () => {
  const spec = (crdOf(Gadget) as unknown as Crd).spec.versions[0]!.schema.openAPIV3Schema.properties.spec;
  assert.equal(spec.required, ["size", "mode", "port", "items"]);
  assert.equal(spec["x-kubernetes-validations"], [{ rule: "self.size <= 10", message: "at most 10" }]);
  const p = spec.properties;
  assert.equal(p.size, { type: "integer", description: "How many", default: 3, minimum: 1 });
  assert.equal(p.mode, { type: "string", enum: ["fast", "safe"] });
  assert.equal(p.level, { type: "string", enum: ["low", "high"] });
  assert.equal(p.labels, { type: "object", additionalProperties: { type: "string" } });
  assert.equal(p.port, { "x-kubernetes-int-or-string": true });
  assert.equal(p.ratio, { type: "number", minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true });
  assert.equal(p.note, { type: "string", nullable: true });
  assert.equal(p.template, { type: "object", "x-kubernetes-preserve-unknown-fields": true });
  assert.equal(p.anything, { "x-kubernetes-preserve-unknown-fields": true });
  assert.equal(p.items, {
    type: "array",
    maxItems: 4,
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["name"],
    items: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
  });
});

test("x-kubernetes-* options on a union are kept with the union's conversion", () => {
  const rule = [{ rule: "self != 'b'", message: "not b" }];
  assert.equal(
    structural(Type.Union([Type.Literal("a"), Type.Literal("b")], { "x-kubernetes-validations": rule }), "spec.l"),
    { type: "string", enum: ["a", "b"], "x-kubernetes-validations": rule },
  );
});

test("what a CRD cannot hold is refused when the manifests are made, naming the field", () => {
  const refused = (schema: unknown, pattern: RegExp) =>
    assert.throws(
      () => structural(schema, "spec"),
      (error: unknown) => error instanceof SchemaError && pattern.test((error as Error).message),
    );
  refused(
    Type.Object({ a: Type.Union([Type.Object({ x: Type.String() }), Type.Object({ y: Type.String() })]) }),
    /^spec\.a: is a union/,
  );
  refused(Type.Object({ tags: Type.Array(Type.String(), { uniqueItems: true }) }), /^spec\.tags: uses uniqueItems/);
  refused({ type: "object", properties: { r: { $ref: "#/x" } } }, /^spec\.r: uses "\$ref"/);
  refused({ type: "object", patternProperties: { "^a": { type: "string" } } }, /^spec: restricts its keys by pattern/);
  refused(
    Type.Object({ l: Type.Union([Type.Literal("a"), Type.Literal(1)]) }),
    /^spec\.l: is a union of literals of different types/,
  );
});

test("customKind refuses a declaration the API server would, and pluralizes in English", () => {
  const spec = Type.Object({});
  assert.throws(() => customKind({ group: "nodots", version: "v1", kind: "A", spec }), /must be a DNS name with a dot/);
  assert.throws(() => customKind({ group: "a.b", version: "1", kind: "A", spec }), /must look like v1/);
  assert.throws(() => customKind({ group: "a.b", version: "v1", kind: "lower", spec }), /CamelCase/);
  assert.equal(["policy", "class", "box", "website", "key"].map(pluralOf), [
    "policies",
    "classes",
    "boxes",
    "websites",
    "keys",
  ]);
  const cluster = customKind({ group: "a.b", version: "v1", kind: "Zone", scope: "Cluster", spec });
  assert.is(cluster.namespaced, false);
  assert.is((crdOf(cluster) as unknown as Crd).spec.scope, "Cluster");
});

test("a parent is checked against its kind's schema, one line per field", () => {
  const gadget = (spec: unknown) => ({ apiVersion: Gadget.apiVersion, kind: "Gadget", metadata: { name: "g" }, spec });
  assert.equal(parentProblems(Gadget, gadget({ size: 2, mode: "fast", port: 80, items: [] })), []);
  assert.equal(parentProblems(Gadget, gadget({ size: 0, mode: "slow", port: 80, items: [{ name: 1 }] })), [
    "spec.size: must be >= 1",
    'spec.mode: must be one of "fast", "safe"',
    "spec.items[0].name: must be string",
  ]);
  assert.equal(parentProblems(Gadget, gadget({ mode: "fast", port: 80, items: [] })), ["spec.size: is required"]);
  assert.equal(parentProblems(Gadget, { apiVersion: Gadget.apiVersion, kind: "Gadget", metadata: { name: "g" } }), [
    "spec: is required",
  ]);
});

test("the check covers every keyword the structural schema holds", () => {
  const gadget = (spec: Record<string, unknown>) => ({
    apiVersion: Gadget.apiVersion,
    kind: "Gadget",
    metadata: { name: "g" },
    spec: { size: 2, mode: "fast", port: 80, items: [], ...spec },
  });
  assert.equal(parentProblems(Gadget, gadget({ port: true, labels: { a: 1 }, ratio: 1, note: null })), [
    "spec.labels.a: must be string",
    "spec.port: must be integer or string",
    "spec.ratio: must be < 1",
  ]);
  assert.equal(
    parentProblems(
      Gadget,
      gadget({ items: [{ name: "a" }, { name: "b" }, { name: "c" }, { name: "d" }, { name: "e" }] }),
    ),
    ["spec.items: must have at most 4 items"],
  );
  assert.equal(parentProblems(Gadget, gadget({ level: "mid", template: { any: ["thing"] }, anything: 7 })), [
    'spec.level: must be one of "low", "high"',
  ]);
  const Named = customKind({
    group: "a.b",
    version: "v1",
    kind: "Named",
    spec: Type.Object({ name: Type.String({ minLength: 2, maxLength: 3, pattern: "^[a-z]+$" }) }),
  });
  const named = (name: string) => ({
    apiVersion: Named.apiVersion,
    kind: "Named",
    metadata: { name: "n" },
    spec: { name },
  });
  assert.equal(parentProblems(Named, named("abcd")), ["spec.name: must be at most 3 characters"]);
  assert.equal(parentProblems(Named, named("A")), [
    "spec.name: must be at least 2 characters",
    "spec.name: must match ^[a-z]+$",
  ]);
});

test("an int-or-string's pattern holds for its string form, as the API server applies it", () => {
  const Sized = customKind({
    group: "a.b",
    version: "v1",
    kind: "Sized",
    spec: Type.Object({
      memory: Type.Union([Type.Integer(), Type.String()], {
        "x-kubernetes-int-or-string": true,
        pattern: "^[0-9]+(Mi|Gi)?$",
      }),
    }),
  });
  const sized = (memory: unknown) => ({
    apiVersion: Sized.apiVersion,
    kind: "Sized",
    metadata: { name: "s" },
    spec: { memory },
  });
  assert.equal(parentProblems(Sized, sized("lots")), ["spec.memory: must match ^[0-9]+(Mi|Gi)?$"]);
  assert.equal(parentProblems(Sized, sized("512Mi")), []);
  assert.equal(parentProblems(Sized, sized(512)), [], "an integer is not matched against the pattern");
  assert.equal(parentProblems(Sized, sized(1.5)), ["spec.memory: must be integer or string"]);
});

test("a pattern JavaScript cannot compile is left to the API server, not a failure of every sync", () => {
  const Odd = customKind({
    group: "a.b",
    version: "v1",
    kind: "Odd",
    spec: Type.Object({ a: Type.String({ pattern: "(?i)abc" }), b: Type.String({ pattern: "^\\-x$" }) }),
  });
  const odd = (a: string, b: string) => ({
    apiVersion: Odd.apiVersion,
    kind: "Odd",
    metadata: { name: "o" },
    spec: { a, b },
  });
  assert.equal(parentProblems(Odd, odd("anything", "-x")), [], "(?i) is RE2's; \\- compiles without the u flag");
  assert.equal(parentProblems(Odd, odd("anything", "y")), ["spec.b: must match ^\\-x$"]);
});

test.run();
