// Checks a parent against its kind's schema before the runtime calls sync, so a function only
// ever sees a spec of the type it declares. The API server enforces the same schema through
// the CRD; this catches objects stored under an older CRD, or a CRD not generated from the kind.
// Pure.
import Value from "typebox/value";
import type { Kind } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";
import { isCustomKind } from "./kind.ts";

interface SchemaIssue {
  keyword: string;
  instancePath: string;
  message: string;
  params: Record<string, unknown>;
}

/** "/replicas" → "spec.replicas", "/tags/0" → "spec.tags[0]". */
function fieldOf(root: string, pointer: string): string {
  return pointer.split("/").slice(1).reduce(
    (path, part) => {
      const name = part.replaceAll("~1", "/").replaceAll("~0", "~");
      return /^\d+$/.test(name) ? `${path}[${name}]` : `${path}.${name}`;
    },
    root,
  );
}

/** One line per field that does not fit the schema, each naming the field: "spec.replicas: must be >= 0". */
export function schemaProblems(schema: unknown, value: unknown, root: string): string[] {
  const byField = new Map<string, SchemaIssue[]>();
  for (const issue of Value.Errors(schema as never, value) as unknown as SchemaIssue[]) {
    if (issue.keyword === "required") {
      for (const name of (issue.params.requiredProperties as string[] | undefined) ?? []) {
        const field = fieldOf(root, `${issue.instancePath}/${name}`);
        byField.set(field, [{ ...issue, message: "is required" }]);
      }
      continue;
    }
    const field = fieldOf(root, issue.instancePath);
    byField.set(field, [...(byField.get(field) ?? []), issue]);
  }
  return [...byField].map(([field, issues]) => {
    const allowed = issues.filter((issue) => issue.keyword === "const").map((issue) => issue.params.allowedValue);
    if (allowed.length) return `${field}: must be one of ${allowed.map((value) => JSON.stringify(value)).join(", ")}`;
    const types = issues.filter((issue) => issue.keyword === "type").map((issue) => String(issue.params.type));
    if (types.length > 1) return `${field}: must be ${types.join(" or ")}`;
    const messages = [...new Set(issues.filter((issue) => issue.keyword !== "anyOf").map((issue) => issue.message))];
    return `${field}: ${messages.length ? messages.join("; ") : "does not match the schema"}`;
  });
}

/** What is wrong with a parent's spec by its kind's schema; empty for kinds without one. */
export function parentProblems(kind: Kind, parent: KubeObject): string[] {
  if (!isCustomKind(kind)) return [];
  if (parent.spec === undefined) return ["spec: is required"];
  return schemaProblems(kind.schema.spec, parent.spec, "spec");
}
