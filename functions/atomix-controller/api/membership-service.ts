// atomix.membership.MembershipService: JoinGroup checks the request and streams the group's
// members from Membership (membership.ts) until the client leaves.
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { JoinGroupResponseSchema, MembershipService } from "../../../gen/atomix/membership/membership_pb.ts";
import { fromKube, invalid, namespaceOf } from "./errors.ts";
import type { Membership } from "./membership.ts";
import { serviceAccess } from "../../../runtime/run.ts";
import { MemberKind } from "../kinds.ts";

/** What JoinGroup does in Kubernetes terms (a Member record), checked for the caller with --api-auth=kubernetes. */
export const rpcAccess = serviceAccess(MembershipService, {
  joinGroup: {
    verb: "create",
    kind: MemberKind,
    namespace: (r) => namespaceOf(r.groupId?.namespace, "group_id.namespace"),
    describe: "in group_id.namespace",
  },
});

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
        if (request.member.port < 0 || request.member.port > 65535) {
          throw invalid(`member.port must be from 0 to 65535, got ${request.member.port}`);
        }
        member = {
          name,
          namespace: request.member.id?.namespace || namespace,
          host: request.member.host,
          port: request.member.port,
        };
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
