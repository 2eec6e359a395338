// Pure: the state of one partition's primary election, kept in a Lease (see elections.ts):
//   spec.holderIdentity   the primary ("" when there is none)
//   spec.leaseTransitions the term
//   annotation <candidatesAnnotation>  the candidates in entry order, each with the replica
//                                       that serves its stream and when it last renewed it
// The primary is the first candidate; the term grows by one whenever a new primary is chosen.
import type { KubeObject } from "../../../runtime/mod.ts";
import { isStale } from "./liveness.ts";

export const candidatesAnnotation = "atomix.io/election-candidates";
export const electionLabel = "atomix.io/election";

export interface Candidate {
  id: string;
  replica: string;
  renewed: number;
}

export interface Term {
  term: number;
  primary: string;
  candidates: string[];
}

export type ElectionLease = KubeObject & { spec?: { holderIdentity?: string; leaseTransitions?: number } };

export type CandidateChange = (list: Candidate[]) => Candidate[];

export function electionName(group: string, partition: number): string {
  return `${group}-${partition}-election`;
}

export function termOf(lease: ElectionLease | undefined): Term {
  if (!lease) return { term: 0, primary: "", candidates: [] };
  return {
    term: lease.spec?.leaseTransitions ?? 0,
    primary: lease.spec?.holderIdentity ?? "",
    candidates: candidatesOf(lease).map((candidate) => candidate.id),
  };
}

export function candidatesOf(lease: ElectionLease | undefined): Candidate[] {
  try {
    const parsed = JSON.parse(lease?.metadata.annotations?.[candidatesAnnotation] ?? "[]");
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/**
 * The next state from the current one: apply a change to the candidate list, drop expired
 * candidates, pick the first as primary and count a new term when the primary changes.
 */
export function nextState(
  current: Term & { list: Candidate[] },
  change: CandidateChange,
  now: number,
): { term: number; primary: string; list: Candidate[] } {
  const list = change(current.list.filter((candidate) => !isStale(candidate.renewed, now)));
  const primary = list[0]?.id ?? "";
  const term = primary && primary !== current.primary ? current.term + 1 : current.term;
  return { term, primary, list };
}

/**
 * Adds a candidate at the end. One already in the list (a client that reconnected, here or to
 * another replica) keeps its place, and the entering replica takes it over and renews it.
 */
export const entering = (id: string, replica: string, now: number): CandidateChange => (list) =>
  list.some((c) => c.id === id)
    ? list.map((c) => (c.id === id ? { id, replica, renewed: now } : c))
    : [...list, { id, replica, renewed: now }];

/** Removes a candidate, if `replica` still serves it (another may have taken it over since). */
export const leaving = (id: string, replica: string): CandidateChange => (list) =>
  list.filter((c) => c.id !== id || c.replica !== replica);

/** Renews the candidates this replica serves streams for. */
export const renewing =
  (served: ReadonlySet<string> | ReadonlyMap<string, unknown>, replica: string, now: number): CandidateChange =>
  (list) => list.map((c) => (served.has(c.id) && c.replica === replica ? { ...c, renewed: now } : c));

/** The Lease that records `next`, from the current one (or a new one). */
export function electionLease(
  current: ElectionLease | undefined,
  target: { namespace: string; name: string; group?: string | undefined; partition?: number | undefined },
  next: ReturnType<typeof nextState>,
): ElectionLease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      ...(current?.metadata ?? { name: target.name, namespace: target.namespace }),
      labels: {
        ...current?.metadata.labels,
        [electionLabel]: "true",
        ...(target.group ? { group: target.group } : {}),
        ...(target.partition ? { partition: String(target.partition) } : {}),
      },
      annotations: { ...current?.metadata.annotations, [candidatesAnnotation]: JSON.stringify(next.list) },
    },
    spec: { ...current?.spec, holderIdentity: next.primary, leaseTransitions: next.term },
  };
}
