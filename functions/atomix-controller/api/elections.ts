// Primary elections per partition (ControllerService.EnterElection), with their state in the
// Kubernetes API so that any controller replica can serve any candidate and terms survive
// restarts and leader changes (the state itself: election-state.ts). Each change is a
// compare-and-swap update of the partition's Lease; the replica serving a candidate's stream
// renews it, and any replica drops candidates whose replica stopped renewing them.
import { follow, type Informer, isConflict, isNotFound, type ServiceContext } from "../../../runtime/run.ts";
import { type Access, builtinKinds } from "../../../runtime/mod.ts";
import {
  type CandidateChange,
  candidatesOf,
  electionLabel,
  type ElectionLease,
  electionLease,
  electionName,
  entering,
  leaving,
  nextState,
  renewing,
  type Term,
  termOf,
} from "./election-state.ts";
import { Heartbeat } from "./liveness.ts";

/** The API access EnterElection needs. */
export const access: Access[] = [{
  kind: builtinKinds.Lease,
  verbs: ["get", "list", "watch", "create", "update"],
  why: "EnterElection state",
}];

const maxCasAttempts = 20;

interface Election {
  namespace: string;
  name: string;
  group?: string | undefined;
  partition?: number | undefined;
}

export class Elections {
  readonly #context: ServiceContext;
  readonly #leases: Informer;
  /** Elections with streams served here: "namespace/name" → member id → open streams. */
  readonly #local = new Map<string, Election & { members: Map<string, number> }>();
  readonly #heartbeat: Heartbeat;

  constructor(context: ServiceContext) {
    this.#context = context;
    // Created now, so that it starts (and syncs) with the other informers.
    this.#leases = context.informers.for(builtinKinds.Lease, { labelSelector: electionLabel, namespaces: "all" });
    this.#heartbeat = new Heartbeat(context, () => this.#renewAll());
  }

  /** Enters a candidate and yields each term of its election until the signal aborts; then it leaves. */
  async *enter(
    namespace: string,
    group: string,
    partition: number,
    member: string,
    signal: AbortSignal,
  ): AsyncGenerator<Term> {
    await this.#leases.synced;
    this.#heartbeat.start();
    const election: Election = { namespace, name: electionName(group, partition), group, partition };
    const key = `${namespace}/${election.name}`;
    const local = this.#local.get(key) ?? { ...election, members: new Map<string, number>() };
    local.members.set(member, (local.members.get(member) ?? 0) + 1);
    this.#local.set(key, local);
    try {
      await this.#update(election, entering(member, this.#context.identity, Date.now()));
      // Only terms that still include this member, and never the same term twice in a row.
      yield* follow(this.#leases, {
        snapshot: () => termOf(this.#leases.get(key) as ElectionLease | undefined),
        concerns: (change) => `${change.object.metadata.namespace}/${change.object.metadata.name}` === key,
        skip: (term) => !term.candidates.includes(member),
        signal,
      });
    } finally {
      const count = (local.members.get(member) ?? 1) - 1;
      if (count > 0) local.members.set(member, count);
      else local.members.delete(member);
      if (local.members.size === 0) this.#local.delete(key);
      if (count <= 0) {
        // Checked again on each attempt: a stream for the same member may have entered here
        // since, and then the candidate stays.
        const leave = leaving(member, this.#context.identity);
        const change: CandidateChange = (list) => (this.#local.get(key)?.members.has(member) ? list : leave(list));
        await this.#update(election, change).catch((error: Error) =>
          this.#context.log.warn("could not remove an election candidate", {
            election: key,
            member,
            error: error.message,
          })
        );
      }
    }
  }

  /** Renews this replica's candidates in every election it serves (and drops expired ones). */
  async #renewAll(): Promise<void> {
    for (const [key, local] of this.#local) {
      try {
        await this.#update(local, renewing(local.members, this.#context.identity, Date.now()));
      } catch (error) {
        this.#context.log.warn("could not renew election candidates", {
          election: key,
          error: (error as Error).message,
        });
      }
    }
  }

  /** Compare-and-swap of one election's Lease; creates it on first use. Returns the new term. */
  async #update(election: Election, change: CandidateChange): Promise<Term> {
    const { client } = this.#context;
    for (let attempt = 0; attempt < maxCasAttempts; attempt++) {
      let lease: ElectionLease | undefined;
      try {
        lease = await client.get<ElectionLease>(builtinKinds.Lease, election.namespace, election.name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const next = nextState({ ...termOf(lease), list: candidatesOf(lease) }, change, Date.now());
      const body = electionLease(lease, election, next);
      try {
        const written = lease
          ? await client.update(builtinKinds.Lease, body)
          : await client.create(builtinKinds.Lease, body);
        this.#leases.remember(written);
        return termOf(written);
      } catch (error) {
        if (isConflict(error)) continue;
        throw error;
      }
    }
    throw new Error(`election ${election.namespace}/${election.name}: too many concurrent updates`);
  }
}
