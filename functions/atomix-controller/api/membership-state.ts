// Pure: group membership as Member resources. Each joined member is a Member in the group's
// namespace, named from the group and member (names.ts), owned by its Pod when one of that
// name exists there, and annotated with the replica serving its stream and when that replica
// last renewed it.
import type { KubeObject } from "../../../runtime/mod.ts";
import { type Member, MemberKind } from "../kinds.ts";
import { isStale } from "./liveness.ts";
import { recordName } from "./names.ts";

export interface MemberView {
  name: string;
  namespace: string;
  host: string;
  port: number;
}

export type MemberRecord = Member & { spec?: Member["spec"] & { memberNamespace?: string } };

export const replicaAnnotation = "membership.cloud.atomix.io/replica";
export const renewedAnnotation = "membership.cloud.atomix.io/renewed";

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
  return Number.isFinite(renewed) && isStale(renewed, now);
}

/** The annotations that say which replica serves a member and when it last renewed it. */
export const renewal = (replica: string, now: number) => ({
  [replicaAnnotation]: replica,
  [renewedAnnotation]: String(now),
});

/** The Member resource for a joining member, owned by `pod` when there is one. */
export function memberRecord(
  namespace: string,
  group: string,
  member: MemberView,
  replica: string,
  now: number,
  pod?: KubeObject,
): MemberRecord {
  return {
    apiVersion: MemberKind.apiVersion,
    kind: MemberKind.kind,
    metadata: {
      name: recordName(group, member.name),
      namespace,
      labels: { app: "atomix", "atomix.io/member": "true" },
      annotations: renewal(replica, now),
      ...(pod
        ? { ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: pod.metadata.name, uid: pod.metadata.uid! }] }
        : {}),
    },
    spec: { group, member: member.name, memberNamespace: member.namespace, host: member.host, port: member.port },
  };
}

/** Members nobody renewed in time, leaving out those whose streams this replica serves ("namespace/name" keys). */
export function expiredMembers(
  records: KubeObject[],
  served: { has(key: string): boolean },
  now: number,
): KubeObject[] {
  return records.filter((record) =>
    !served.has(`${record.metadata.namespace}/${record.metadata.name}`) && isExpired(record, now)
  );
}
