// CustomResourceDefinitions of the Go originals as Kubernetes 1.36 takes them. Pure.
//
// The era-a controller shipped apiextensions.k8s.io/v1beta1 CRDs without schemas, which
// Kubernetes stopped serving in 1.22. The same definitions as apiextensions.k8s.io/v1: the
// one `version` becomes the one served and stored entry of `versions`, `subresources` and
// `additionalPrinterColumns` move into it, and since v1 requires a structural schema, a
// definition without one gets an object schema that keeps every field (what v1beta1 did).

type Json = Record<string, any>;

export function crdToV1(crd: Json): Json {
  if (crd.apiVersion === "apiextensions.k8s.io/v1") return crd;
  if (crd.apiVersion !== "apiextensions.k8s.io/v1beta1" || crd.kind !== "CustomResourceDefinition") {
    throw new Error(`not a CustomResourceDefinition of apiextensions.k8s.io/v1beta1: ${crd.apiVersion} ${crd.kind}`);
  }
  const { version, versions, validation, subresources, additionalPrinterColumns, preserveUnknownFields: _, ...rest } =
    crd.spec ?? {};
  const listed: Json[] = versions ?? [{ name: version, served: true, storage: true }];
  if (!listed.length || listed.some((entry) => !entry.name)) {
    throw new Error(`CRD ${crd.metadata?.name} names no version`);
  }
  const commonSchema = validation?.openAPIV3Schema;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crd.metadata.name, ...(crd.metadata.labels ? { labels: crd.metadata.labels } : {}) },
    spec: {
      ...rest,
      versions: listed.map((entry) => {
        const schema = entry.schema?.openAPIV3Schema ?? commonSchema;
        const columns = entry.additionalPrinterColumns ?? additionalPrinterColumns;
        return {
          name: entry.name,
          served: entry.served ?? true,
          storage: entry.storage ?? listed.length === 1,
          schema: { openAPIV3Schema: schema ?? { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          ...((entry.subresources ?? subresources) ? { subresources: entry.subresources ?? subresources } : {}),
          ...(columns ? { additionalPrinterColumns: columns.map(columnToV1) } : {}),
        };
      }),
    },
  };
}

/** v1beta1 printer columns name their path JSONPath, v1 jsonPath. */
function columnToV1(column: Json): Json {
  const { JSONPath, ...rest } = column;
  return JSONPath === undefined ? column : { ...rest, jsonPath: JSONPath };
}
