// Kubernetes names for records keyed by client-chosen strings (primitive names, scopes,
// member names), which need not be valid object names. A readable, sanitized prefix plus a
// fingerprint of the exact key: deterministic (so a second create collides, as it should) and
// distinct for distinct keys.

const maxNameLength = 253;
import { fingerprint } from "../../../runtime/mod.ts";

function sanitize(part: string): string {
  return part
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

export function recordName(...parts: string[]): string {
  const readable = parts.map(sanitize).filter(Boolean).join(".");
  const suffix = fingerprint(JSON.stringify(parts));
  return `${readable.slice(0, maxNameLength - suffix.length - 1).replace(/[.-]+$/, "")}.${suffix}`.replace(/^\./, "");
}
