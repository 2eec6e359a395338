// The runtime's tunable defaults, each with its unit in its name. The flags of a program
// (program/config.ts) and the parts that use them (leader election, the runner, the review
// cache) read them here, so parsing flags loads none of those parts.

/** Leader election, client-go's defaults: how long a Lease holds after the last renewal. */
export const defaultLeaseDurationSeconds = 15;
/** How long the leader keeps trying to renew before it stops writing. */
export const defaultRenewDeadlineSeconds = 10;
/** How often a candidate tries to take or renew the Lease. */
export const defaultRetryPeriodSeconds = 2;

/** Workers (concurrent syncs) per controller unless configured. */
export const defaultConcurrency = 4;
/** Connections to the API server that requests other than watches and the Lease share at most. */
export const defaultKubeApiConnections = 32;
/** How long such a connection stays open idle (client-go's IdleConnTimeout). */
export const kubeApiIdleConnectionMs = 90_000;
/** How long a stopping controller waits for in-flight syncs. */
export const defaultDrainTimeoutMs = 5_000;
/** A process still running this long after SIGTERM exits anyway (Kubernetes' grace period is 30 s). */
export const shutdownTimeoutMs = 25_000;

/** Who may call the RPC API: anyone, or callers whose bearer token Kubernetes reviews. */
export const apiAuthModes = ["none", "kubernetes"] as const;
/** How RPC callers are checked: "none" (anyone), or "kubernetes" (TokenReview, then SubjectAccessReview per RPC). */
export type ApiAuthMode = (typeof apiAuthModes)[number];
/** How long a review's answer is kept, as Kubernetes' webhook caches do but briefly. */
export const defaultReviewCacheTtlSeconds = 10;

// What one RPC client may ask of the server (server/limits.ts).
/** grpc-go's default for received messages (MaxRecvMsgSize). */
export const defaultMaxMessageBytes = 4 * 1024 * 1024;
/** Request headers (HTTP/1.1) or header list (HTTP/2, uncompressed): room for long bearer tokens. */
export const defaultMaxHeaderBytes = 64 * 1024;
/** Streams one HTTP/2 connection may have open; RFC 9113 recommends no fewer than 100. */
export const defaultMaxConcurrentStreams = 100;
/** Seconds a program must have been idle after a burst of work before its heap is compacted (memory.ts). */
export const defaultCompactionIdleSeconds = 10;
