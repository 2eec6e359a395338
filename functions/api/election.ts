// Primary election per partition (ControllerService.EnterElection), with its state in the
// Kubernetes API so that any controller replica can serve any candidate and terms survive
// restarts and leader changes. One Lease per partition holds it:
//   spec.holderIdentity  the primary ("" when there is none)
//   spec.leaseTransitions the term
//   annotation <candidatesAnnotation>  the candidates in entry order, each with the replica
//                                       that serves its stream and when that replica last renewed it
// The primary is the first candidate; the term grows by one whenever a new primary is chosen.
// Replicas renew their own candidates every few seconds; a candidate whose replica stopped
// renewing is dropped by any other replica.
import { Informer } from "../../runtime/cache/informer.ts";
import { isConflict, isNotFound, type KubeClient } from "../../runtime/kube/client.ts";
import { builtinKinds } from "../../runtime/kube/kinds.ts";
import type { KubeObject } from "../../runtime/kube/objects.ts";
import type { Logger } from "../../runtime/log.ts";

export const candidatesAnnotation = "atomix.io/election-candidates";
export const electionLabel = "atomix.io/election";
/** How often a replica renews the candidates whose streams it serves. */
export const renewIntervalMs = 5_000;
/** A candidate not renewed for this long is presumed gone with its replica. */
export const candidateExpiryMs = 15_000;
const maxCasAttempts = 20;

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

type Lease = KubeObject & { spec?: { holderIdentity?: string; leaseTransitions?: number } };

export function electionName(group: string, partition: number): string {
  return `${group}-${partition}-election`;
}

export function termOf(lease: Lease | undefined): Term {
  if (!lease) return { term: 0, primary: "", candidates: [] };
  return {
    term: lease.spec?.leaseTransitions ?? 0,
    primary: lease.spec?.holderIdentity ?? "",
    candidates: candidatesOf(lease).map((candidate) => candidate.id),
  };
}

export function candidatesOf(lease: Lease | undefined): Candidate[] {
  try {
    const parsed = JSON.parse(lease?.metadata.annotations?.[candidatesAnnotation] ?? "[]");
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/**
 * The next state from the current one: apply a change to the candidate list, drop expired
 * candidates, pick the first as primary and count a new term when the primary changes. Pure.
 */
export function nextState(current: Term & { list: Candidate[] }, change: (list: Candidate[]) => Candidate[], now: number): { term: number; primary: string; list: Candidate[] } {
  const list = change(current.list.filter((candidate) => now - candidate.renewed < candidateExpiryMs));
  const primary = list[0]?.id ?? "";
  const term = primary && primary !== current.primary ? current.term + 1 : current.term;
  return { term, primary, list };
}

export class Elections {
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #replica: string;
  readonly #informer: Informer;
  /** Local streams: election key → member ids served here. */
  readonly #local = new Map<string, { namespace: string; name: string; members: Map<string, number> }>();
  readonly #listeners = new Map<string, Set<(term: Term) => void>>();
  #started = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: { client: KubeClient; log: Logger; replica: string }) {
    this.#client = options.client;
    this.#log = options.log;
    this.#replica = options.replica;
    this.#informer = new Informer({ kind: builtinKinds.Lease, client: options.client, log: options.log, namespaces: "all", labelSelector: electionLabel });
    this.#informer.onChange((change) => {
      const key = `${change.object.metadata.namespace}/${change.object.metadata.name}`;
      const term = change.type === "deleted" ? termOf(undefined) : termOf(change.object as Lease);
      for (const listener of this.#listeners.get(key) ?? []) listener(term);
    });
  }

  async #start(): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      this.#informer.start();
      this.#timer = setInterval(() => void this.#renewAll(), renewIntervalMs);
    }
    await this.#informer.synced;
  }

  stop(): Promise<void> {
    clearInterval(this.#timer);
    return this.#informer.stop();
  }

  /** Enters a candidate and yields each term of its election until the signal aborts; then it leaves. */
  async *enter(namespace: string, group: string, partition: number, member: string, signal: AbortSignal): AsyncGenerator<Term> {
    await this.#start();
    const name = electionName(group, partition);
    const key = `${namespace}/${name}`;
    const queue: Term[] = [];
    let wake: (() => void) | undefined;
    const listener = (term: Term) => {
      queue.push(term);
      wake?.();
    };
    let listeners = this.#listeners.get(key);
    if (!listeners) this.#listeners.set(key, (listeners = new Set()));
    listeners.add(listener);
    const local = this.#local.get(key) ?? { namespace, name, members: new Map<string, number>() };
    local.members.set(member, (local.members.get(member) ?? 0) + 1);
    this.#local.set(key, local);
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      let last = "";
      const joined = await this.#update(namespace, name, group, partition, (list) =>
        list.some((c) => c.id === member) ? list : [...list, { id: member, replica: this.#replica, renewed: Date.now() }],
      );
      queue.unshift(joined);
      while (!signal.aborted) {
        while (queue.length) {
          const term = queue.shift()!;
          const text = JSON.stringify(term);
          // Only terms that still include this member, and never the same term twice in a row.
          if (text !== last && term.candidates.includes(member)) {
            last = text;
            yield term;
          }
        }
        if (signal.aborted) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      listeners.delete(listener);
      const count = (local.members.get(member) ?? 1) - 1;
      if (count > 0) local.members.set(member, count);
      else local.members.delete(member);
      if (local.members.size === 0) this.#local.delete(key);
      if (count <= 0) {
        await this.#update(namespace, name, group, partition, (list) => list.filter((c) => c.id !== member)).catch((error: Error) =>
          this.#log.warn("could not remove an election candidate", { election: key, member, error: error.message }),
        );
      }
    }
  }

  /** Renews this replica's candidates in every election it serves (and drops expired ones). */
  async #renewAll(): Promise<void> {
    for (const [key, local] of this.#local) {
      const now = Date.now();
      try {
        await this.#update(local.namespace, local.name, undefined, undefined, (list) =>
          list.map((c) => (local.members.has(c.id) && c.replica === this.#replica ? { ...c, renewed: now } : c)),
        );
      } catch (error) {
        this.#log.warn("could not renew election candidates", { election: key, error: (error as Error).message });
      }
    }
  }

  /** Compare-and-swap of one election's Lease; creates it on first use. Returns the new term. */
  async #update(namespace: string, name: string, group: string | undefined, partition: number | undefined, change: (list: Candidate[]) => Candidate[]): Promise<Term> {
    for (let attempt = 0; attempt < maxCasAttempts; attempt++) {
      let lease: Lease | undefined;
      try {
        lease = await this.#client.get<Lease>(builtinKinds.Lease, namespace, name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const current = { ...termOf(lease), list: candidatesOf(lease) };
      const next = nextState(current, change, Date.now());
      const body: Lease = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: {
          ...(lease?.metadata ?? { name, namespace }),
          labels: { ...lease?.metadata.labels, [electionLabel]: "true", ...(group ? { group } : {}), ...(partition ? { partition: String(partition) } : {}) },
          annotations: { ...lease?.metadata.annotations, [candidatesAnnotation]: JSON.stringify(next.list) },
        },
        spec: { ...lease?.spec, holderIdentity: next.primary, leaseTransitions: next.term },
      };
      try {
        const written = lease ? await this.#client.update(builtinKinds.Lease, body) : await this.#client.create(builtinKinds.Lease, body);
        this.#informer.remember(written);
        return termOf(written);
      } catch (error) {
        if (isConflict(error)) continue;
        throw error;
      }
    }
    throw new Error(`election ${namespace}/${name}: too many concurrent updates`);
  }
}
