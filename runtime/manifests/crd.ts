// CustomResourceDefinitions from a kind declared with customKind() (crdOf), or from raw
// OpenAPI properties of the spec and status (crd): the parts every CRD of a controller on the
// runtime shares (a status subresource with observedGeneration and
// conditions, printer columns ending in Age). Pure: it returns the object to write as YAML.
import type { KubeObject } from "../kube/objects.ts";
import type { CustomKind } from "../schema/kind.ts";
import { structural } from "../schema/structural.ts";

/** The schema of status.conditions: Kubernetes' Condition, keyed by type. */
export const conditions = {
  type: "array",
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
  items: {
    type: "object",
    required: ["type", "status"],
    properties: {
      type: { type: "string" },
      status: { type: "string" },
      reason: { type: "string" },
      message: { type: "string" },
      lastTransitionTime: { type: "string", format: "date-time" },
      observedGeneration: { type: "integer" },
    },
  },
};

/** What crd() needs to know of a custom kind whose schema is written as OpenAPI by hand. */
export interface CrdOptions {
  /** The API group, e.g. "example.com"; the CRD is named "<plural>.<group>". */
  group: string;
  /** The one version served and stored, e.g. "v1". */
  version: string;
  /** The resource name in URLs, e.g. "websites". */
  plural: string;
  /** The kind, e.g. "Website"; its lower case is the singular name, and "<kind>List" the list kind. */
  kind: string;
  /** Abbreviations kubectl accepts for the kind; may be empty. */
  shortNames: string[];
  /** OpenAPI properties of the spec. */
  spec: Record<string, unknown>;
  /** Names of the spec's properties that must be set. */
  required?: string[];
  /** CEL rules on spec. */
  validations?: Array<{ rule: string; message: string }>;
  /** OpenAPI properties of the status (observedGeneration and conditions are added). */
  status: Record<string, unknown>;
  /** Columns `kubectl get` prints (additionalPrinterColumns), in order; Age is added last. */
  columns: Array<{ name: string; type: string; jsonPath: string }>;
  /** Groups of kinds that `kubectl get <category>` lists together. */
  categories?: string[];
  /** Whether objects live in a namespace ("Namespaced", the default) or in the cluster as a whole ("Cluster"). */
  scope?: "Namespaced" | "Cluster";
}

interface Definition {
  group: string;
  version: string;
  plural: string;
  kind: string;
  scope: "Namespaced" | "Cluster";
  shortNames: readonly string[];
  categories: readonly string[];
  columns: ReadonlyArray<Record<string, unknown>>;
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}

function definition(options: Definition): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${options.plural}.${options.group}` },
    spec: {
      group: options.group,
      scope: options.scope,
      names: {
        plural: options.plural,
        singular: options.kind.toLowerCase(),
        kind: options.kind,
        listKind: `${options.kind}List`,
        ...(options.shortNames.length ? { shortNames: [...options.shortNames] } : {}),
        ...(options.categories.length ? { categories: [...options.categories] } : {}),
      },
      versions: [
        {
          name: options.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [...options.columns, {
            name: "Age",
            type: "date",
            jsonPath: ".metadata.creationTimestamp",
          }],
          schema: {
            openAPIV3Schema: {
              type: "object",
              required: ["spec"],
              properties: {
                spec: options.spec,
                status: {
                  type: "object",
                  ...options.status,
                  properties: {
                    ...(options.status.properties as Record<string, unknown> | undefined),
                    observedGeneration: { type: "integer" },
                    conditions,
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** A CRD with one served version, a status subresource and printer columns, from OpenAPI written by hand. */
export function crd(options: CrdOptions): KubeObject {
  return definition({
    ...options,
    scope: options.scope ?? "Namespaced",
    categories: options.categories ?? [],
    spec: {
      type: "object",
      ...(options.required ? { required: options.required } : {}),
      properties: options.spec,
      ...(options.validations ? { "x-kubernetes-validations": options.validations } : {}),
    },
    status: { properties: options.status },
  });
}

/**
 * The CustomResourceDefinition of a kind declared with customKind(): its TypeBox schemas
 * turned into a structural schema (or a SchemaError naming the field a CRD cannot hold),
 * with a status subresource, observedGeneration and conditions, and its printer columns.
 */
export function crdOf(kind: CustomKind): KubeObject {
  const spec = structural(kind.schema.spec, "spec");
  const status = kind.schema.status ? structural(kind.schema.status, "status") : {};
  return definition({
    group: kind.group,
    version: kind.version,
    plural: kind.plural,
    kind: kind.kind,
    scope: kind.scope,
    shortNames: kind.shortNames,
    categories: kind.categories,
    columns: kind.columns.map((column) => ({ ...column })),
    spec: kind.validations.length
      ? { ...spec, "x-kubernetes-validations": kind.validations.map((rule) => ({ ...rule })) }
      : spec,
    status,
  });
}
