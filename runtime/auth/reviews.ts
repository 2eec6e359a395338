// The two questions --api-auth=kubernetes asks the API server: who is this bearer token
// (a TokenReview), and may that user do this (a SubjectAccessReview). The controller's
// ServiceAccount needs "create" on both, and nothing else for them.
import type { KubeClient } from "../kube/client.ts";
import type { KubeObject, ObjectMeta } from "../kube/objects.ts";
import { builtinKinds, groupOf } from "../kube/kinds.ts";

const TokenReviewKind = builtinKinds.TokenReview;
const SubjectAccessReviewKind = builtinKinds.SubjectAccessReview;

export interface User {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type TokenVerdict = { authenticated: true; user: User } | { authenticated: false; error: string };

export interface ResourceAttributes {
  verb: string;
  apiVersion: string;
  resource: string;
  subresource?: string | undefined;
  namespace?: string | undefined;
  name?: string | undefined;
}

export interface AccessVerdict {
  allowed: boolean;
  /** Why, as the authorizer put it (often empty). */
  reason: string;
}

export async function reviewToken(client: KubeClient, token: string, audiences: string[] = []): Promise<TokenVerdict> {
  const review = await client.create<KubeObject>(TokenReviewKind, {
    apiVersion: TokenReviewKind.apiVersion,
    kind: TokenReviewKind.kind,
    metadata: {} as ObjectMeta,
    spec: { token, ...(audiences.length ? { audiences } : {}) },
  });
  const status = (review.status ?? {}) as { authenticated?: boolean; user?: User; error?: string };
  if (status.authenticated && status.user?.username) return { authenticated: true, user: status.user };
  return { authenticated: false, error: status.error || "the API server did not authenticate the token" };
}

export async function reviewAccessOf(
  client: KubeClient,
  user: User,
  attributes: ResourceAttributes,
): Promise<AccessVerdict> {
  const { apiVersion, ...rest } = attributes;
  const review = await client.create<KubeObject>(SubjectAccessReviewKind, {
    apiVersion: SubjectAccessReviewKind.apiVersion,
    kind: SubjectAccessReviewKind.kind,
    metadata: {} as ObjectMeta,
    spec: {
      user: user.username,
      ...(user.uid ? { uid: user.uid } : {}),
      ...(user.groups ? { groups: user.groups } : {}),
      ...(user.extra ? { extra: user.extra } : {}),
      resourceAttributes: { group: groupOf(apiVersion), version: apiVersion.split("/").pop(), ...withoutEmpty(rest) },
    },
  });
  const status = (review.status ?? {}) as {
    allowed?: boolean;
    denied?: boolean;
    reason?: string;
    evaluationError?: string;
  };
  return {
    allowed: status.allowed === true && status.denied !== true,
    reason: status.reason || status.evaluationError || "",
  };
}

function withoutEmpty(attributes: Omit<ResourceAttributes, "apiVersion">): Record<string, string> {
  return Object.fromEntries(
    Object.entries(attributes).filter(([, value]) => value !== undefined && value !== ""),
  ) as Record<string, string>;
}
