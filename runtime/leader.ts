// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics and defaults.
// A candidate takes the Lease when it is free or when its holder has not renewed it for a
// lease duration (measured on this replica's clock from when it last saw the record change);
// the leader renews every retry period and stops writing the moment its last successful
// renewal is older than the renew deadline. Followers watch the Lease, so a Lease released
// on graceful shutdown is taken over at once instead of at the next retry. The Lease's
// requests are exempt from the client's connection limit: a burst of writes waiting for a
// connection does not hold a renewal back.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { microTime } from "./kube/time.ts";
import type { Informer } from "./cache/informer.ts";
import type { Informers } from "./cache/informers.ts";
import { isConflict, isNotFound, type KubeClient } from "./kube/client.ts";
import { builtinKinds } from "./kube/kinds.ts";
import type { KubeObject } from "./kube/objects.ts";
import type { Logger } from "./log.ts";
import { defaultLeaseDurationSeconds, defaultRenewDeadlineSeconds, defaultRetryPeriodSeconds } from "./defaults.ts";

/** The shortest wait one attempt on the Lease gets, even right at the renew deadline. */
const minAttemptMs = 250;

/** Which Lease a LeaderElector campaigns for, with what timings, and whom it tells. */
export interface LeaderElectionOptions {
  /** The client that reads, creates and updates the Lease. */
  client: KubeClient;
  /** The shared registry: the Lease is watched through it, like every other object. */
  informers: Informers;
  /** Where it logs gaining, losing and releasing the Lease. */
  log: Logger;
  /** The Lease's name; replicas of one program share it. */
  leaseName: string;
  /** The Lease's namespace. */
  leaseNamespace: string;
  /** This candidate's holderIdentity; default hostname_uuid. */
  identity?: string;
  /** Seconds after the holder's last renewal before another candidate may take the Lease; default 15. */
  leaseDurationSeconds?: number;
  /** Seconds the leader keeps trying to renew before it stops writing and steps down; default 10. */
  renewDeadlineSeconds?: number;
  /** Seconds between attempts to take or renew the Lease; default 2. */
  retryPeriodSeconds?: number;
  /** Called once this candidate holds the Lease. */
  onStartedLeading(): void;
  /** Called when it no longer leads (renewal failed, or stop()); awaited before the Lease is released. */
  onStoppedLeading(): void | Promise<void>;
  /** Called with the holder's identity each time the Lease is seen with a new holder (this candidate included). */
  onNewLeader?(identity: string): void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

export const defaultIdentity = () => `${hostname()}_${randomUUID()}`;

/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics and defaults:
 * a candidate takes the Lease when it is free or its holder has not renewed it for a lease
 * duration; the leader renews every retry period and stops writing as soon as its last renewal
 * is older than the renew deadline. The manager makes one when leader election is on.
 */
export class LeaderElector {
  /** This candidate's name in the Lease's holderIdentity. */
  readonly identity: string;
  readonly #options: LeaderElectionOptions;
  readonly #leaseMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryMs: number;
  readonly #watch: Informer;
  #leading = false;
  #lastRenewal = -Infinity;
  #observed: { holder: string; renewTime: string | undefined; at: number } | undefined;
  #leader = "";
  #wake: (() => void) | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;

  /**
   * Makes a candidate; it campaigns once start() is called.
   *
   * @throws Error when the timings do not satisfy lease duration > renew deadline > 1.2 × retry period.
   */
  constructor(options: LeaderElectionOptions) {
    this.#options = options;
    this.identity = options.identity ?? defaultIdentity();
    this.#leaseMs = (options.leaseDurationSeconds ?? defaultLeaseDurationSeconds) * 1000;
    this.#renewDeadlineMs = (options.renewDeadlineSeconds ?? defaultRenewDeadlineSeconds) * 1000;
    this.#retryMs = (options.retryPeriodSeconds ?? defaultRetryPeriodSeconds) * 1000;
    if (!(this.#leaseMs > this.#renewDeadlineMs && this.#renewDeadlineMs > this.#retryMs * 1.2)) {
      throw new Error("leader election needs leaseDuration > renewDeadline > 1.2 × retryPeriod (client-go's rule)");
    }
    this.#watch = options.informers.for(builtinKinds.Lease, {
      namespaces: [options.leaseNamespace],
      fieldSelector: `metadata.name=${options.leaseName}`,
    });
    this.#watch.onChange((change) => {
      const lease = change.object as Lease;
      if (change.type === "deleted") this.#observed = undefined;
      else this.#observe(lease);
      if (!this.#leading) this.#wake?.();
    });
  }

  /** True while this replica leads and its last renewal is within the renew deadline. */
  canWrite(): boolean {
    return this.#leading && performance.now() - this.#lastRenewal < this.#renewDeadlineMs;
  }

  /** True while this replica holds the Lease (it may still be past its renew deadline; see canWrite). */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** The identity that holds the Lease as last seen ("" when free or unknown). */
  get leader(): string {
    return this.#leader;
  }

  /** Starts watching the Lease and campaigning for it. */
  start(): void {
    this.#watch.start();
    this.#loop = this.#run();
  }

  /** Stops campaigning; a leader releases the Lease so another replica can take it at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    const wasLeading = this.#leading;
    if (wasLeading) {
      this.#leading = false;
      await this.#options.onStoppedLeading();
      await this.#release();
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let renewed = false;
      try {
        renewed = await this.#tryAcquireOrRenew(AbortSignal.timeout(this.#attemptTimeoutMs()));
      } catch (error) {
        this.#options.log.warn("leader election: could not reach the Lease", { error: (error as Error).message });
      }
      if (this.#stopped) break;
      if (renewed) {
        this.#lastRenewal = performance.now();
        if (!this.#leading) {
          this.#leading = true;
          this.#options.log.info("became the leader", { identity: this.identity, lease: this.#options.leaseName });
          this.#options.onStartedLeading();
        }
      } else if (this.#leading && performance.now() - this.#lastRenewal >= this.#renewDeadlineMs) {
        this.#leading = false;
        this.#options.log.error("lost the lease: could not renew before the deadline", { identity: this.identity });
        await this.#options.onStoppedLeading();
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#wake = undefined;
          resolve();
        }, this.#leading ? this.#retryMs : this.#followerDelay());
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  /**
   * How long one attempt to take or renew the Lease may wait on the API server: a leader, no
   * longer than its renew deadline allows (so a hung request cannot keep it from stepping down,
   * as client-go bounds renewals by RenewDeadline); a follower, one renew deadline.
   */
  #attemptTimeoutMs(): number {
    if (!this.#leading) return Math.ceil(this.#renewDeadlineMs);
    // Whole milliseconds: AbortSignal.timeout() throws on a fraction.
    return Math.ceil(Math.max(minAttemptMs, this.#lastRenewal + this.#renewDeadlineMs - performance.now()));
  }

  /** A follower retries at the retry period, or right when the current lease will have expired if sooner. */
  #followerDelay(): number {
    if (!this.#observed || !this.#observed.holder) return this.#retryMs;
    const expiresIn = this.#observed.at + this.#leaseMs - performance.now();
    return Math.max(10, Math.min(this.#retryMs, expiresIn + 10));
  }

  #observe(lease: Lease): void {
    const holder = lease.spec?.holderIdentity ?? "";
    const renewTime = lease.spec?.renewTime;
    if (!this.#observed || this.#observed.holder !== holder || this.#observed.renewTime !== renewTime) {
      this.#observed = { holder, renewTime, at: performance.now() };
    }
    if (holder !== this.#leader) {
      this.#leader = holder;
      if (holder) this.#options.onNewLeader?.(holder);
    }
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, leaseName, leaseNamespace } = this.#options;
    const now = microTime(new Date());
    const leaseSeconds = this.#leaseMs / 1000;
    let lease: Lease;
    try {
      lease = await client.get<Lease>(builtinKinds.Lease, leaseNamespace, leaseName, { signal, exempt: true });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        const created = await client.create<Lease>(builtinKinds.Lease, {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: leaseName, namespace: leaseNamespace },
          spec: {
            holderIdentity: this.identity,
            leaseDurationSeconds: leaseSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        }, { signal, exempt: true });
        this.#observe(created);
        return true;
      } catch (createError) {
        if (isConflict(createError)) return false;
        throw createError;
      }
    }
    this.#observe(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const ours = holder === this.identity;
    if (
      !ours && holder && this.#observed &&
      performance.now() < this.#observed.at + (spec.leaseDurationSeconds ?? leaseSeconds) * 1000
    ) {
      return false;
    }
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: leaseSeconds,
        renewTime: now,
        acquireTime: ours ? spec.acquireTime : now,
        leaseTransitions: ours ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      const updated = await client.update(builtinKinds.Lease, next, { signal, exempt: true });
      this.#observe(updated);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** Gives the Lease up (client-go's ReleaseOnCancel): no holder, a 1 s duration. */
  async #release(): Promise<void> {
    const { client, leaseName, leaseNamespace, log } = this.#options;
    try {
      const lease = await client.get<Lease>(builtinKinds.Lease, leaseNamespace, leaseName, { exempt: true });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = microTime(new Date());
      await client.update(builtinKinds.Lease, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      }, { exempt: true });
      log.info("released the lease", { identity: this.identity, lease: leaseName });
    } catch (error) {
      log.warn("could not release the lease", { error: (error as Error).message });
    }
  }
}
