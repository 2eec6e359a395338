// Checks a parent against its kind's schema before the runtime calls sync, so a function only
// ever sees a spec of the type it declares. The API server enforces the same schema through
// the CRD; this catches objects stored under an older CRD, or a CRD not generated from the kind.
// It checks the structural schema the CRD holds (structural.ts), by hand rather than with
// TypeBox's validator: the subset is small (types, properties, required, items, maps, enums,
// bounds, lengths, patterns, nullable, int-or-string), the answer is then exactly what the CRD
// says, and TypeBox's validator costs a process about 28 MiB of resident memory (measured:
// 42.7 → 70.5 MiB for `import("typebox/value")` on Node 24). Pure.
import type { Kind } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";
import { InvalidParentError } from "../reconcile/failures.ts";
import { type CustomKind, isCustomKind } from "./kind.ts";
import { structural } from "./structural.ts";

type Schema = Record<string, unknown>;

const typeOf = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "array"
    : typeof value === "number"
    ? (Number.isInteger(value) ? "integer" : "number")
    : typeof value;

function fits(type: string, value: unknown): boolean {
  const actual = typeOf(value);
  if (type === "number") return actual === "number" || actual === "integer";
  return actual === type;
}

const patterns = new Map<string, RegExp | undefined>();
/**
 * A schema's pattern as a RegExp: with the u flag when it compiles so, else without; a
 * pattern JavaScript cannot compile at all (RE2 and ECMAScript differ at the edges) is left to
 * the API server rather than failing every sync.
 */
function patternOf(source: string): RegExp | undefined {
  if (!patterns.has(source)) {
    let compiled: RegExp | undefined;
    for (const flags of ["u", ""]) {
      try {
        compiled = new RegExp(source, flags);
        break;
      } catch {
        // try the next
      }
    }
    patterns.set(source, compiled);
  }
  return patterns.get(source);
}

/**
 * One line per field that does not fit a structural schema, each naming the field:
 * "spec.replicas: must be >= 0". Empty when the value fits.
 *
 * @param schema a structural schema node as a CRD holds it (the output of crdOf() under
 *   openAPIV3Schema), not a TypeBox schema.
 * @param value the value to check.
 * @param path how the value is named in the problems, e.g. "spec".
 */
export function schemaProblems(schema: Record<string, unknown>, value: unknown, path: string): string[] {
  if (value === null && schema.nullable === true) return [];
  if (schema["x-kubernetes-int-or-string"] === true) {
    if (!Number.isInteger(value) && typeof value !== "string") return [`${path}: must be integer or string`];
    // A pattern holds for the string form only, as the API server applies it (a quantity's "1Gi").
    const pattern = typeof value === "string" && typeof schema.pattern === "string"
      ? patternOf(schema.pattern)
      : undefined;
    return pattern && !pattern.test(value as string) ? [`${path}: must match ${schema.pattern}`] : [];
  }
  const type = schema.type as string | undefined;
  if (type === undefined) return [];
  if (!fits(type, value)) return [`${path}: must be ${type}`];
  const problems: string[] = [];
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => allowed === value)) {
    problems.push(`${path}: must be one of ${schema.enum.map((allowed) => JSON.stringify(allowed)).join(", ")}`);
  }
  if (typeof value === "number") {
    const { minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf } = schema as Record<string, number>;
    if (minimum !== undefined && (exclusiveMinimum ? value <= minimum : value < minimum)) {
      problems.push(`${path}: must be ${exclusiveMinimum ? ">" : ">="} ${minimum}`);
    }
    if (maximum !== undefined && (exclusiveMaximum ? value >= maximum : value > maximum)) {
      problems.push(`${path}: must be ${exclusiveMaximum ? "<" : "<="} ${maximum}`);
    }
    if (multipleOf !== undefined && value % multipleOf !== 0) {
      problems.push(`${path}: must be a multiple of ${multipleOf}`);
    }
  }
  if (typeof value === "string") {
    // Lengths count code points, as the API server does; counted only when bounded.
    const bounded = typeof schema.minLength === "number" || typeof schema.maxLength === "number";
    const length = bounded ? codePoints(value) : 0;
    if (typeof schema.minLength === "number" && length < schema.minLength) {
      problems.push(`${path}: must be at least ${schema.minLength} characters`);
    }
    if (typeof schema.maxLength === "number" && length > schema.maxLength) {
      problems.push(`${path}: must be at most ${schema.maxLength} characters`);
    }
    const pattern = typeof schema.pattern === "string" ? patternOf(schema.pattern) : undefined;
    if (pattern && !pattern.test(value)) problems.push(`${path}: must match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) {
      problems.push(`${path}: must have at least ${schema.minItems} items`);
    }
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) {
      problems.push(`${path}: must have at most ${schema.maxItems} items`);
    }
    const items = schema.items as Schema | undefined;
    if (items) value.forEach((item, index) => problems.push(...schemaProblems(items, item, `${path}[${index}]`)));
  }
  if (type === "object" && typeof value === "object" && value !== null) {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required ?? []) as string[]) {
      if (object[name] === undefined) problems.push(`${path}.${name}: is required`);
    }
    for (const [name, child] of Object.entries(properties)) {
      if (object[name] !== undefined) problems.push(...schemaProblems(child, object[name], `${path}.${name}`));
    }
    const values = schema.additionalProperties as Schema | undefined;
    if (values && typeof values === "object") {
      for (const [name, child] of Object.entries(object)) {
        if (!(name in properties)) problems.push(...schemaProblems(values, child, `${path}.${name}`));
      }
    }
  }
  return problems;
}

const specSchemas = new WeakMap<CustomKind, Schema>();

/** What is wrong with a parent's spec by its kind's schema; empty for kinds without one. */
export function parentProblems(kind: Kind, parent: KubeObject): string[] {
  if (!isCustomKind(kind)) return [];
  if (parent.spec === undefined) return ["spec: is required"];
  let schema = specSchemas.get(kind);
  if (!schema) specSchemas.set(kind, schema = structural(kind.schema.spec, "spec"));
  return schemaProblems(schema, parent.spec, "spec");
}

/** Throws InvalidParentError, naming each field, when a parent does not fit its kind's schema. */
export function checkParent(kind: Kind, parent: KubeObject): void {
  const problems = parentProblems(kind, parent);
  if (problems.length) throw new InvalidParentError(problems);
}

/** The number of code points in a string, without building an array of them. */
function codePoints(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
    }
    count++;
  }
  return count;
}
