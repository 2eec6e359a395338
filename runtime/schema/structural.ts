// TypeBox schemas (JSON Schema) to the structural OpenAPI v3 schema a CRD holds. The two
// differ in a few places, converted here: a union of literals becomes an enum, a union with
// null becomes nullable, a record becomes additionalProperties, a number-valued
// exclusiveMinimum/Maximum becomes OpenAPI 3.0's boolean form, and a schema that accepts
// anything keeps unknown fields. What a CRD cannot hold (a union of objects, patterns on
// property names, references) is refused with the path of the field, when the manifests are
// generated rather than when the API server rejects them. Pure.

type Schema = Record<string, unknown>;

/** Keywords copied as they are, when present. */
const kept = [
  "description",
  "title",
  "default",
  "format",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "enum",
  "nullable",
  "example",
];
/** Keywords dropped: meaningful to TypeBox or JSON Schema tooling, not to the API server. */
const dropped = new Set(["$id", "$schema", "examples", "$comment", "readOnly", "writeOnly", "deprecated"]);
const handled = new Set([
  ...kept,
  ...dropped,
  "type",
  "properties",
  "required",
  "additionalProperties",
  "patternProperties",
  "items",
  "anyOf",
  "oneOf",
  "const",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "uniqueItems",
]);

/** The error for a schema a CRD cannot hold, naming the field. */
export class SchemaError extends Error {
  /**
   * Makes the error; its message is "<path>: <problem>".
   *
   * @param path the field, e.g. "spec.replicas".
   * @param problem what a CRD cannot hold there.
   */
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = "SchemaError";
  }
}

const isSchema = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What a node carries over as it is: the kept keywords, then every x-kubernetes-* option. */
function carried(schema: Schema): Schema {
  const out: Schema = {};
  for (const key of kept) if (key in schema) out[key] = schema[key];
  for (const [key, value] of Object.entries(schema)) if (key.startsWith("x-kubernetes-")) out[key] = value;
  return out;
}

/** The literal a const-only schema stands for, if it is one. */
function literalOf(schema: Schema): { value: unknown } | undefined {
  return "const" in schema ? { value: schema.const } : undefined;
}

/** Converts one schema node; `path` names it in errors ("spec.replicas"). */
export function structural(schema: unknown, path: string): Schema {
  if (!isSchema(schema)) throw new SchemaError(path, "is not a schema object");
  for (const key of Object.keys(schema)) {
    if (!handled.has(key) && !key.startsWith("x-kubernetes-")) {
      throw new SchemaError(path, `uses "${key}", which a CRD's schema cannot hold`);
    }
  }
  const union = (schema.anyOf ?? schema.oneOf) as unknown;
  if (union !== undefined && schema["x-kubernetes-int-or-string"] === true) {
    // Kubernetes' own form for quantities: int-or-string, with the anyOf clients read; kept whole.
    return { ...carried(schema), anyOf: union };
  }
  if (union !== undefined) return structuralUnion(schema, union, path);

  const out: Schema = {};
  if (typeof schema.type === "string") out.type = schema.type;
  else if (schema.type !== undefined) {
    throw new SchemaError(path, `has type ${JSON.stringify(schema.type)}; a CRD field has one type`);
  }
  Object.assign(out, carried(schema));

  const literal = literalOf(schema);
  if (literal) {
    out.type ??= typeOfValue(literal.value, path);
    out.enum = [literal.value];
  }
  for (const bound of ["exclusiveMinimum", "exclusiveMaximum"] as const) {
    const value = schema[bound];
    if (typeof value === "number") {
      out[bound === "exclusiveMinimum" ? "minimum" : "maximum"] = value;
      out[bound] = true;
    } else if (typeof value === "boolean") out[bound] = value;
  }
  if (schema.uniqueItems === true) {
    throw new SchemaError(path, 'uses uniqueItems, which a CRD cannot hold; use "x-kubernetes-list-type": "set"');
  }

  if (Array.isArray(out.enum) && out.type === undefined && out.enum.length) {
    const types = new Set(out.enum.map((value) => typeOfValue(value, path)));
    if (types.size !== 1) throw new SchemaError(path, "is an enum of values of different types");
    out.type = [...types][0];
  }

  if (out.type === "object" || schema.properties !== undefined || schema.patternProperties !== undefined) {
    out.type ??= "object";
    if (isSchema(schema.properties)) {
      const properties: Schema = {};
      for (const [name, child] of Object.entries(schema.properties)) {
        properties[name] = structural(child, `${path}.${name}`);
      }
      if (Object.keys(properties).length) out.properties = properties;
    }
    if (Array.isArray(schema.required) && schema.required.length) out.required = [...schema.required];
    const values = recordValues(schema, path);
    if (values !== undefined) {
      if (out.properties) throw new SchemaError(path, "has both fixed properties and free keys; a CRD allows one");
      out.additionalProperties = structural(values, `${path}[*]`);
    }
  }
  if (out.type === "array" || schema.items !== undefined) {
    out.type ??= "array";
    if (schema.items === undefined) throw new SchemaError(path, "is an array without a schema for its items");
    out.items = structural(schema.items, `${path}[*]`);
  }
  if (out.type === undefined && !out["x-kubernetes-int-or-string"] && !out["x-kubernetes-preserve-unknown-fields"]) {
    // Type.Any(), Type.Unknown() and Type.Object({}, { additionalProperties: true }) accept anything.
    out["x-kubernetes-preserve-unknown-fields"] = true;
  }
  return out;
}

/** The schema of a record's values: TypeBox's patternProperties (any key) or additionalProperties. */
function recordValues(schema: Schema, path: string): unknown {
  if (isSchema(schema.patternProperties)) {
    const entries = Object.entries(schema.patternProperties);
    if (entries.length !== 1 || !/^\^?\.\*\$?$|^\^\(\.\*\)\$$/.test(entries[0]![0])) {
      throw new SchemaError(
        path,
        "restricts its keys by pattern, which a CRD cannot do; use Type.Record(Type.String(), ...)",
      );
    }
    return entries[0]![1];
  }
  if (isSchema(schema.additionalProperties)) return schema.additionalProperties;
  if (schema.additionalProperties === true && !isSchema(schema.properties)) return {};
  return undefined;
}

function structuralUnion(schema: Schema, union: unknown, path: string): Schema {
  if (!Array.isArray(union) || union.length === 0) throw new SchemaError(path, "has an empty union");
  const members = union.filter(isSchema);
  const nullable = members.some((member) => member.type === "null");
  const rest = members.filter((member) => member.type !== "null");
  const base = carried(schema);
  if (rest.length === 1) {
    return { ...structural(rest[0], path), ...base, ...(nullable ? { nullable: true } : {}) };
  }
  const literals = rest.map(literalOf);
  if (literals.every((literal) => literal !== undefined)) {
    const values = literals.map((literal) => literal!.value);
    const types = new Set(values.map((value) => typeOfValue(value, path)));
    if (types.size !== 1) throw new SchemaError(path, "is a union of literals of different types");
    return { type: [...types][0], enum: values, ...base, ...(nullable ? { nullable: true } : {}) };
  }
  const types = new Set(rest.map((member) => member.type));
  if (types.size === 2 && types.has("string") && (types.has("integer") || types.has("number"))) {
    return { "x-kubernetes-int-or-string": true, ...base };
  }
  throw new SchemaError(
    path,
    "is a union a CRD cannot hold (only literals, a type or null, and integer-or-string); make it one object with optional fields",
  );
}

function typeOfValue(value: unknown, path: string): string {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  throw new SchemaError(path, `has a literal ${JSON.stringify(value)}; a CRD enum holds strings, numbers or booleans`);
}
