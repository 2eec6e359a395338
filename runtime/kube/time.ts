// The two timestamp formats of the Kubernetes API.

/** Kubernetes MicroTime (Events, Leases): RFC 3339 with microseconds. */
export const microTime = (date: Date): string => date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

/** Kubernetes Time (conditions, metadata): RFC 3339 with seconds. */
export const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");
