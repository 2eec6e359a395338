// Group membership behind MembershipService/JoinGroup (the records: membership-state.ts).
// Every stream, wherever it is connected, follows the Member resources through the shared
// cache. A Member whose stream ends is deleted; the replica serving a stream renews its
// Member, and any replica deletes Members nobody renewed (their replica was killed), so no
// stale Member outlives a crash.
import { follow, isConflict, isNotFound, type ServiceContext } from "../../../runtime/run.ts";
import { type Access, builtinKinds, type KubeObject } from "../../../runtime/mod.ts";
import { MemberKind } from "../kinds.ts";
import { fromKube } from "./errors.ts";
import { Heartbeat } from "./liveness.ts";
import { expiredMembers, memberRecord, membersOf, type MemberView, renewal } from "./membership-state.ts";
import { recordName } from "./names.ts";

/** The API access JoinGroup needs: Member records, and the Pod that owns each. */
export const access: Access[] = [
  { kind: MemberKind, verbs: ["list", "watch", "create", "patch", "delete"], why: "JoinGroup members" },
  { kind: builtinKinds.Pod, verbs: ["get"], why: "a Member is owned by its Pod" },
];

export class Membership {
  readonly #context: ServiceContext;
  /** Members joined through this replica: "namespace/resource name" → open streams. */
  readonly #local = new Map<string, number>();
  readonly #heartbeat: Heartbeat;

  constructor(context: ServiceContext) {
    this.#context = context;
    // Created now, so that it starts (and syncs) with the others before the replica is ready.
    context.informers.for(MemberKind);
    this.#heartbeat = new Heartbeat(context, () => this.#renewAndSweep());
  }

  get #members() {
    return this.#context.informers.for(MemberKind);
  }

  /** Joins `member` (or only observes, without one) and yields the group's members until the signal aborts. */
  async *join(
    namespace: string,
    group: string,
    member: MemberView | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<MemberView[]> {
    const informer = this.#members;
    await informer.synced;
    this.#heartbeat.start();
    const key = member && `${namespace}/${recordName(group, member.name)}`;
    try {
      if (member && key) {
        this.#local.set(key, (this.#local.get(key) ?? 0) + 1);
        await this.#record(namespace, group, member);
      }
      yield* follow(informer, {
        snapshot: () => membersOf(informer.list(namespace), group),
        concerns: (change) => change.object.metadata.namespace === namespace,
        signal,
      });
    } finally {
      if (member && key) {
        const count = (this.#local.get(key) ?? 1) - 1;
        if (count > 0) this.#local.set(key, count);
        else {
          this.#local.delete(key);
          await this.#remove(namespace, key.slice(namespace.length + 1));
        }
      }
    }
  }

  /** Creates (or takes over) the Member resource for a joining member. */
  async #record(namespace: string, group: string, member: MemberView): Promise<void> {
    const { client, identity } = this.#context;
    const failed = (error: unknown) =>
      fromKube(error, `recording member ${member.name} of group ${namespace}/${group}`);
    let pod: KubeObject | undefined;
    if (member.namespace === namespace) {
      try {
        pod = await client.get(builtinKinds.Pod, namespace, member.name);
      } catch (error) {
        if (!isNotFound(error)) throw fromKube(error, `looking up Pod ${namespace}/${member.name}`);
      }
    }
    const body = memberRecord(namespace, group, member, identity, Date.now(), pod);
    try {
      this.#members.remember(await client.create(MemberKind, body));
    } catch (error) {
      if (!isConflict(error)) throw failed(error);
      // It exists (a reconnect, or a stale record): take it over with the current address.
      const patch = { metadata: { annotations: body.metadata.annotations }, spec: body.spec };
      this.#members.remember(
        await client.patch(MemberKind, namespace, body.metadata.name, patch).catch((patchError: unknown) =>
          Promise.reject(failed(patchError))
        ),
      );
    }
  }

  async #remove(namespace: string, name: string): Promise<void> {
    const current = this.#members.get(`${namespace}/${name}`);
    try {
      await this.#context.client.delete(
        MemberKind,
        namespace,
        name,
        current?.metadata.uid ? { uid: current.metadata.uid } : {},
      );
      if (current) this.#members.forget(current);
    } catch (error) {
      if (!isNotFound(error)) {
        this.#context.log.warn("could not remove a member whose stream ended", {
          member: `${namespace}/${name}`,
          error: (error as Error).message,
        });
      }
    }
  }

  async #renewAndSweep(): Promise<void> {
    const { client, identity, log } = this.#context;
    const now = Date.now();
    for (const key of this.#local.keys()) {
      const [namespace, name] = key.split("/") as [string, string];
      try {
        this.#members.remember(
          await client.patch(MemberKind, namespace, name, { metadata: { annotations: renewal(identity, now) } }),
        );
      } catch (error) {
        // A 404 means its Pod went away (and the garbage collector took the Member): it stays gone.
        if (!isNotFound(error)) log.warn("could not renew a member", { member: key, error: (error as Error).message });
      }
    }
    for (const record of expiredMembers(this.#members.list(), this.#local, now)) {
      try {
        await client.delete(MemberKind, record.metadata.namespace, record.metadata.name, {
          resourceVersion: record.metadata.resourceVersion,
        });
        this.#members.forget(record);
        log.info("removed a member nobody renewed", { member: `${record.metadata.namespace}/${record.metadata.name}` });
      } catch (error) {
        if (!isNotFound(error) && !isConflict(error)) {
          log.warn("could not remove an expired member", {
            member: record.metadata.name,
            error: (error as Error).message,
          });
        }
      }
    }
  }
}
