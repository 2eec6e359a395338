// Custom kinds declared once, with TypeBox: the schema of spec and status is JSON Schema the
// runtime turns into the CRD (manifests door: crdOf) and checks parents against before sync,
// and its static type is the type of the parent the controller's functions get. Pure.
import type { Static, TSchema, TUnsafe } from "./typebox.ts";
import type { Kind } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";

/** What the runtime itself writes into the status of a parent it owns. */
export interface RuntimeStatus {
  /** The generation of the spec the status describes. */
  observedGeneration?: number;
  /** Kubernetes conditions, keyed by type; the runtime keeps Ready=False for failed syncs. */
  conditions?: Array<{
    type: string;
    status: "True" | "False" | "Unknown";
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
    observedGeneration?: number;
  }>;
}

/** An object of a custom kind: its spec and status typed by the kind's schemas. */
export type CustomObject<Spec, Status> = KubeObject & { spec: Spec; status?: Status & RuntimeStatus };

/** A column `kubectl get` prints (additionalPrinterColumns); Age is always added last. */
export interface PrinterColumn {
  /** The column's heading, e.g. "Image". */
  name: string;
  /** How kubectl formats the value; "date" shows a timestamp as an age, like the Age column. */
  type: "string" | "integer" | "number" | "boolean" | "date";
  /** A simple JSONPath into the object, e.g. ".spec.image" or ".status.conditions[?(@.type=='Ready')].status". */
  jsonPath: string;
  /** What the column shows, for `kubectl explain` readers and tools. */
  description?: string;
  /** 0 (default) shows the column always, higher ones only with -o wide. */
  priority?: number;
}

/** A CEL rule the API server checks on every write of the spec (x-kubernetes-validations). */
export interface ValidationRule {
  /** A CEL expression over `self` (the spec) and, for transition rules, `oldSelf`. */
  rule: string;
  /** The error the API server returns when the rule fails; default: "failed rule: <rule>". */
  message?: string;
  /** A CEL expression over `self` that builds the error message; used instead of `message` when both are set. */
  messageExpression?: string;
  /** The reason the API server reports for a failure; default FieldValueInvalid. */
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
  /** A JSON path under the spec that the failure points at, e.g. ".replicas"; default: the spec itself. */
  fieldPath?: string;
}

/**
 * What customKind() takes: the kind's names, where it lives, its TypeBox schemas and what
 * kubectl shows of it. Only group, version, kind and spec are required.
 */
export interface CustomKindOptions<Spec extends TSchema, Status extends TSchema> {
  /** The API group, e.g. "example.com". */
  group: string;
  /** The version served and stored, e.g. "v1" or "v1alpha1". */
  version: string;
  /** The kind, e.g. "Website". */
  kind: string;
  /** The resource name in URLs; default: the kind in lower case, pluralized in the English way. */
  plural?: string;
  /** Whether objects live in a namespace ("Namespaced", the default) or in the cluster as a whole ("Cluster"). */
  scope?: "Namespaced" | "Cluster";
  /** Abbreviations kubectl accepts for the kind, e.g. ["web"] for `kubectl get web`. */
  shortNames?: string[];
  /** Groups of kinds that `kubectl get <category>` lists together. */
  categories?: string[];
  /** The spec's schema: a TypeBox object (Type.Object), or OpenAPI written by hand and typed with Type.Unsafe<T>({ type: "object", ... }). */
  spec: Spec;
  /** The status's schema, without observedGeneration and conditions, which every kind gets. */
  status?: Status;
  /** Columns `kubectl get` prints after NAME, in order; Age is added last. */
  columns?: PrinterColumn[];
  /** CEL rules on the spec. */
  validations?: ValidationRule[];
}

/** A kind made by customKind(): a Kind whose objects carry the typed spec and status, and what its CRD needs. */
export interface CustomKind<Spec extends TSchema = TSchema, Status extends TSchema = TSchema>
  extends Kind<CustomObject<Static<Spec>, Static<Status>>> {
  /** The API group, e.g. "example.com"; apiVersion is "<group>/<version>". */
  readonly group: string;
  /** The one version served and stored, e.g. "v1". */
  readonly version: string;
  /** Whether objects live in a namespace ("Namespaced") or in the cluster as a whole. */
  readonly scope: "Namespaced" | "Cluster";
  /** Abbreviations kubectl accepts for the kind; empty when none were given. */
  readonly shortNames: readonly string[];
  /** Groups of kinds `kubectl get <category>` lists; empty when none were given. */
  readonly categories: readonly string[];
  /** The printer columns, without the Age column crdOf() adds. */
  readonly columns: readonly PrinterColumn[];
  /** CEL rules on the spec; empty when none were given. */
  readonly validations: readonly ValidationRule[];
  /** The TypeBox schemas as given: the CRD is made from them, and parents are checked against the spec's. */
  readonly schema: { readonly spec: Spec; readonly status: Status | undefined };
}

/** The type of the objects of a kind: `ObjectOf<typeof Website>`. */
export type ObjectOf<K> = K extends Kind<infer T> ? T : never;

/** English plural of a lower-case word: policy → policies, class → classes, website → websites. */
export function pluralOf(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

const dnsSubdomain = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/**
 * Declares a custom kind from TypeBox schemas of its spec and status. The result is a Kind
 * (use it as a controller's parent or child, and `ObjectOf<typeof K>` for its objects), and
 * crdOf() (manifests door) turns it into its CustomResourceDefinition.
 *
 * @param options the kind's group, version and name, its schemas, and what kubectl shows.
 * @throws Error when the group is not a DNS name with a dot, the version does not look like
 *   v1, v1beta1 or v2alpha3, the kind is not CamelCase, or spec or status is not an object schema.
 */
export function customKind<Spec extends TSchema, Status extends TSchema = TSchema>(
  options: CustomKindOptions<Spec, Status>,
): CustomKind<Spec, Status> {
  if (!dnsSubdomain.test(options.group) || !options.group.includes(".")) {
    throw new Error(
      `customKind ${options.kind}: group "${options.group}" must be a DNS name with a dot, e.g. example.com`,
    );
  }
  if (!/^v[0-9]+((alpha|beta)[0-9]+)?$/.test(options.version)) {
    throw new Error(`customKind ${options.kind}: version "${options.version}" must look like v1, v1beta1 or v2alpha3`);
  }
  if (!/^[A-Z][A-Za-z0-9]*$/.test(options.kind)) {
    throw new Error(`customKind "${options.kind}": a kind is CamelCase, starting with a capital letter`);
  }
  if ((options.spec as { type?: unknown } | undefined)?.type !== "object") {
    throw new Error(`customKind ${options.kind}: spec must be a TypeBox object schema (Type.Object({...}))`);
  }
  if (options.status !== undefined && (options.status as { type?: unknown }).type !== "object") {
    throw new Error(`customKind ${options.kind}: status must be a TypeBox object schema (Type.Object({...}))`);
  }
  const scope = options.scope ?? "Namespaced";
  return {
    apiVersion: `${options.group}/${options.version}`,
    kind: options.kind,
    plural: options.plural ?? pluralOf(options.kind.toLowerCase()),
    namespaced: scope === "Namespaced",
    group: options.group,
    version: options.version,
    scope,
    shortNames: options.shortNames ?? [],
    categories: options.categories ?? [],
    columns: options.columns ?? [],
    validations: options.validations ?? [],
    schema: { spec: options.spec, status: options.status },
  };
}

/** Whether a kind was made by customKind() and so carries schemas. */
export const isCustomKind = (kind: Kind): kind is CustomKind =>
  typeof (kind as CustomKind).schema === "object" && (kind as CustomKind).schema !== null;

/**
 * A field that holds an integer or a string (a port name or number, "25%"): x-kubernetes-int-or-string.
 * Its type is `number | string`. The schema is a plain object, so this loads no TypeBox.
 *
 * @param options a description for the field, shown by `kubectl explain`.
 */
export function IntOrString(options: { description?: string } = {}): TUnsafe<number | string> {
  // A plain schema object typed as TypeBox's Unsafe: this file loads no TypeBox at run time.
  return { ...options, "x-kubernetes-int-or-string": true } as unknown as TUnsafe<number | string>;
}

/**
 * A field kept as it is, whatever it holds (x-kubernetes-preserve-unknown-fields): an embedded
 * object, say. Its type is `Record<string, unknown>`; the API server does not prune its fields.
 *
 * @param options a description for the field, shown by `kubectl explain`.
 */
export function PreserveUnknown(options: { description?: string } = {}): TUnsafe<Record<string, unknown>> {
  return {
    ...options,
    type: "object",
    "x-kubernetes-preserve-unknown-fields": true,
  } as unknown as TUnsafe<Record<string, unknown>>;
}
