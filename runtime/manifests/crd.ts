// CustomResourceDefinitions from a schema of the spec and status: the parts every CRD of a
// controller on the runtime shares (a status subresource with observedGeneration and
// conditions, printer columns ending in Age). Pure: it returns the object to write as YAML.
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

/** A namespaced CRD with one served version, a status subresource and printer columns. */
export function crd(options: {
  group: string;
  version: string;
  plural: string;
  kind: string;
  shortNames: string[];
  spec: Record<string, unknown>;
  required?: string[];
  /** CEL rules on spec. */
  validations?: Array<{ rule: string; message: string }>;
  status: Record<string, unknown>;
  columns: Array<{ name: string; type: string; jsonPath: string }>;
  /** Groups of kinds that `kubectl get <category>` lists together. */
  categories?: string[];
}) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${options.plural}.${options.group}` },
    spec: {
      group: options.group,
      scope: "Namespaced",
      names: {
        plural: options.plural,
        singular: options.kind.toLowerCase(),
        kind: options.kind,
        listKind: `${options.kind}List`,
        shortNames: options.shortNames,
        ...(options.categories ? { categories: options.categories } : {}),
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
                spec: {
                  type: "object",
                  ...(options.required ? { required: options.required } : {}),
                  properties: options.spec,
                  ...(options.validations ? { "x-kubernetes-validations": options.validations } : {}),
                },
                status: {
                  type: "object",
                  properties: { ...options.status, observedGeneration: { type: "integer" }, conditions },
                },
              },
            },
          },
        },
      ],
    },
  };
}
