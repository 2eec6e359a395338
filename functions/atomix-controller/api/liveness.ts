// Liveness of records kept for open streams (election candidates, group members): the
// replica serving a stream renews its records every few seconds, and any replica drops a
// record nobody renewed for a while, so records do not outlive a replica that was killed.
import type { ServiceContext } from "../../../runtime/run.ts";

/** How often a replica renews the records of the streams it serves. */
export const renewIntervalMs = 5_000;
/** A record not renewed for this long is presumed gone with its replica. */
export const expiryMs = 15_000;

/** True when a record last renewed at `renewed` (ms since the epoch) has expired at `now`. */
export const isStale = (renewed: number, now: number) => now - renewed > expiryMs;

/**
 * Calls `tick` every renewIntervalMs from the first start() until the manager stops. A tick
 * still running when the next is due is not overlapped.
 */
export class Heartbeat {
  readonly #tick: () => Promise<void>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running = false;

  constructor(context: Pick<ServiceContext, "onStop">, tick: () => Promise<void>) {
    this.#tick = tick;
    context.onStop(() => this.stop());
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.#beat(), renewIntervalMs);
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #beat(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#tick();
    } finally {
      this.#running = false;
    }
  }
}
