// atomix.membership.MembershipService/JoinGroup. Each joined member is a Member resource in
// the group's namespace (owned by its Pod when a Pod of that name exists there, so deleting
// the Pod removes it). Every stream, wherever it is connected, follows the Member resources
// through the shared cache: the current list at once, then each change, never the same list
// twice in a row. A Member whose stream ends is deleted; the replica serving a stream renews
// its Member every few seconds, and any replica deletes Members nobody renewed for a while
// (their replica was killed), so no stale Member outlives a crash.
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { JoinGroupResponseSchema, MembershipService } from "../../gen/atomix/membership/membership_pb.ts";
import { isConflict, isNotFound } from "../../runtime/kube/client.ts";
import { builtinKinds } from "../../runtime/kube/kinds.ts";
import type { KubeObject } from "../../runtime/kube/objects.ts";
import type { ServiceContext } from "../../runtime/manager.ts";
import { MemberKind, type Member } from "../kinds.ts";
import { fromKube, invalid, namespaceOf } from "./errors.ts";
import { recordName } from "./names.ts";

/** How often a replica renews the Members of the streams it serves. */
export const memberRenewIntervalMs = 5_000;
/** A Member not renewed for this long is presumed gone with its replica, and deleted. */
export const memberExpiryMs = 15_000;
export const replicaAnnotation = "membership.cloud.atomix.io/replica";
export const renewedAnnotation = "membership.cloud.atomix.io/renewed";

export interface MemberView {
  name: string;
  namespace: string;
  host: string;
  port: number;
}

type MemberRecord = Member & { spec?: Member["spec"] & { memberNamespace?: string } };

/** The members of one group, sorted by name, from the cached Member resources of its namespace. */
export function membersOf(records: KubeObject[], group: string): MemberView[] {
  return (records as MemberRecord[])
    .filter((record) => record.spec?.group === group && !record.metadata.deletionTimestamp)
    .map((record) => ({
      name: record.spec?.member ?? "",
      namespace: record.spec?.memberNamespace ?? record.metadata.namespace ?? "",
      host: record.spec?.host ?? "",
      port: record.spec?.port ?? 0,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** True when the Member was last renewed longer ago than the expiry. */
export function isExpired(record: KubeObject, now: number): boolean {
  const renewed = Number(record.metadata.annotations?.[renewedAnnotation]);
  return Number.isFinite(renewed) && now - renewed > memberExpiryMs;
}

export class Membership {
  readonly #context: ServiceContext;
  /** Members joined through this replica: "namespace/resource name" → open streams. */
  readonly #local = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(context: ServiceContext) {
    this.#context = context;
    // Created now, so that it starts (and syncs) with the others before the replica is ready.
    context.informers.for(MemberKind);
  }

  get #members() {
    return this.#context.informers.for(MemberKind);
  }

  #startTimer(): void {
    this.#timer ??= setInterval(() => void this.#renewAndSweep(), memberRenewIntervalMs);
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async *join(
    namespace: string,
    group: string,
    member: { name: string; namespace: string; host: string; port: number } | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<MemberView[]> {
    const informer = this.#members;
    await informer.synced;
    this.#startTimer();
    let wake: (() => void) | undefined;
    let changed = true;
    const unsubscribe = informer.onChange((change) => {
      if (change.object.metadata.namespace !== namespace) return;
      changed = true;
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    const key = member && `${namespace}/${recordName(group, member.name)}`;
    try {
      if (member && key) {
        this.#local.set(key, (this.#local.get(key) ?? 0) + 1);
        await this.#record(namespace, group, member);
      }
      let last: string | undefined;
      while (!signal.aborted) {
        if (changed) {
          changed = false;
          const members = membersOf(informer.list(namespace), group);
          const text = JSON.stringify(members);
          if (text !== last) {
            last = text;
            yield members;
            continue;
          }
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (changed || signal.aborted) resolve();
        });
        wake = undefined;
      }
    } finally {
      unsubscribe();
      signal.removeEventListener("abort", onAbort);
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
  async #record(namespace: string, group: string, member: { name: string; namespace: string; host: string; port: number }): Promise<void> {
    const name = recordName(group, member.name);
    const annotations = { [replicaAnnotation]: this.#context.identity, [renewedAnnotation]: String(Date.now()) };
    const spec = { group, member: member.name, memberNamespace: member.namespace, host: member.host, port: member.port };
    let owner: KubeObject | undefined;
    if (member.namespace === namespace) {
      try {
        owner = await this.#context.client.get(builtinKinds.Pod, namespace, member.name);
      } catch (error) {
        if (!isNotFound(error)) throw fromKube(error, `looking up Pod ${namespace}/${member.name}`);
      }
    }
    const body: MemberRecord = {
      apiVersion: MemberKind.apiVersion,
      kind: MemberKind.kind,
      metadata: {
        name,
        namespace,
        labels: { app: "atomix", "atomix.io/member": "true" },
        annotations,
        ...(owner ? { ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: owner.metadata.name, uid: owner.metadata.uid! }] } : {}),
      },
      spec,
    };
    try {
      this.#members.remember(await this.#context.client.create(MemberKind, body));
    } catch (error) {
      if (!isConflict(error)) throw fromKube(error, `recording member ${member.name} of group ${namespace}/${group}`);
      // It exists (a reconnect, or a stale record): take it over with the current address.
      const patched = await this.#context.client
        .patch(MemberKind, namespace, name, { metadata: { annotations }, spec })
        .catch((patchError: unknown) => {
          throw fromKube(patchError, `recording member ${member.name} of group ${namespace}/${group}`);
        });
      this.#members.remember(patched);
    }
  }

  async #remove(namespace: string, name: string): Promise<void> {
    const current = this.#members.get(`${namespace}/${name}`);
    try {
      await this.#context.client.delete(MemberKind, namespace, name, current?.metadata.uid ? { uid: current.metadata.uid } : {});
      if (current) this.#members.forget(current);
    } catch (error) {
      if (!isNotFound(error)) this.#context.log.warn("could not remove a member whose stream ended", { member: `${namespace}/${name}`, error: (error as Error).message });
    }
  }

  async #renewAndSweep(): Promise<void> {
    const now = Date.now();
    for (const key of this.#local.keys()) {
      const [namespace, name] = key.split("/") as [string, string];
      try {
        const patched = await this.#context.client.patch(MemberKind, namespace, name, {
          metadata: { annotations: { [replicaAnnotation]: this.#context.identity, [renewedAnnotation]: String(now) } },
        });
        this.#members.remember(patched);
      } catch (error) {
        // A 404 means its Pod went away (and the garbage collector took the Member): it stays gone.
        if (!isNotFound(error)) this.#context.log.warn("could not renew a member", { member: key, error: (error as Error).message });
      }
    }
    for (const record of this.#members.list()) {
      if (this.#local.has(`${record.metadata.namespace}/${record.metadata.name}`) || !isExpired(record, now)) continue;
      try {
        await this.#context.client.delete(MemberKind, record.metadata.namespace, record.metadata.name, { resourceVersion: record.metadata.resourceVersion });
        this.#members.forget(record);
        this.#context.log.info("removed a member nobody renewed", { member: `${record.metadata.namespace}/${record.metadata.name}` });
      } catch (error) {
        if (!isNotFound(error) && !isConflict(error)) this.#context.log.warn("could not remove an expired member", { member: record.metadata.name, error: (error as Error).message });
      }
    }
  }
}

export function registerMembershipService(router: ConnectRouter, membership: Membership): void {
  router.service(MembershipService, {
    async *joinGroup(request, call) {
      const group = request.groupId?.name;
      if (!group) throw invalid("group_id.name is required");
      const namespace = namespaceOf(request.groupId?.namespace, "group_id.namespace");
      let member;
      if (request.member) {
        const name = request.member.id?.name;
        if (!name) throw invalid("member.id.name is required (leave member unset to observe)");
        if (request.member.port < 0 || request.member.port > 65535) throw invalid(`member.port must be from 0 to 65535, got ${request.member.port}`);
        member = { name, namespace: request.member.id?.namespace || namespace, host: request.member.host, port: request.member.port };
      }
      try {
        for await (const members of membership.join(namespace, group, member, call.signal)) {
          yield create(JoinGroupResponseSchema, {
            groupId: { name: group, namespace },
            members: members.map((m) => ({ id: { name: m.name, namespace: m.namespace }, host: m.host, port: m.port })),
          });
        }
      } catch (error) {
        throw fromKube(error, `joining group ${namespace}/${group}`);
      }
    },
  });
}
