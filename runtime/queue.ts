// A work queue with client-go's contract: a key waits in the queue at most once; a key is
// never handed to two workers at once; a key added while it is being processed is processed
// again once it is done; failures back off per key, exponentially; delayed adds keep the
// earliest deadline. Keys are strings (namespace/name). Two lanes: keys added "low" (a child's
// change, say) wait until no "normal" key does.

/**
 * Which keys a worker takes first: "normal" ones (a parent's own change, a retry, a resync),
 * then "low" ones (a child's or a related object's change, which mostly refreshes a status).
 */
export type Lane = "normal" | "low";

/** First retry delay after a failure (client-go's default item backoff base). */
export const defaultBaseDelayMs = 5;
/** Largest retry delay: 1000 s, as in client-go. */
export const defaultMaxDelayMs = 1_000_000;

/** Told what a WorkQueue does, for metrics; each method is optional. Times are in seconds. */
export interface QueueObserver {
  /** A key entered the queue (not counted when it was already waiting). */
  added?(depth: number): void;
  /** A worker took a key after it waited `waitedSeconds`. */
  started?(depth: number, waitedSeconds: number): void;
  /** A worker finished a key after `workedSeconds`. */
  finished?(workedSeconds: number): void;
  /** A key was re-added because it failed. */
  retried?(): void;
}

/** How a WorkQueue backs off, whom it tells, and what clock it reads. */
export interface WorkQueueOptions {
  /** The first retry delay after a failure, in milliseconds; doubled per further failure. Default 5. */
  baseDelayMs?: number;
  /** The longest retry delay, in milliseconds; default 1 000 000 (1000 s), as in client-go. */
  maxDelayMs?: number;
  /** Told about adds, starts, finishes and retries; default: nobody. */
  observer?: QueueObserver;
  /** The clock, in milliseconds; default performance.now. Tests pass their own. */
  now?: () => number;
}

/**
 * A work queue with client-go's contract: a key waits in the queue at most once, is never
 * handed to two workers at once, and is processed again if added while it was processed;
 * failures back off per key, exponentially; of several delayed adds of a key, the earliest
 * wins. Keys are strings ("namespace/name"). Workers loop on get(), then done().
 */
export class WorkQueue {
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #observer: QueueObserver;
  readonly #now: () => number;
  #items: string[] = [];
  #head = 0;
  /** Low-lane entries in order; one whose key has since moved up is stale and skipped. */
  #lowItems: Array<{ key: string; seq: number }> = [];
  #lowHead = 0;
  /** The live low-lane entry of each key waiting there, by its sequence number. */
  readonly #lowEntries = new Map<string, number>();
  #lowSeq = 0;
  /** Stale entries still in #lowItems. */
  #lowStale = 0;
  /** Keys waiting (not being processed), in either lane. */
  #waiting = 0;
  readonly #dirty = new Set<string>();
  /** The lane of each dirty key: where it waits, or where it goes once its processing is done. */
  readonly #lanes = new Map<string, Lane>();
  readonly #processing = new Set<string>();
  readonly #addedAt = new Map<string, number>();
  readonly #startedAt = new Map<string, number>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, { at: number; lane: Lane; timer: ReturnType<typeof setTimeout> }>();
  #waiters: Array<(key: string | undefined) => void> = [];
  #drainWaiters: Array<() => void> = [];
  #shuttingDown = false;

  /** Makes an empty queue. */
  constructor(options: WorkQueueOptions = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? defaultBaseDelayMs;
    this.#maxDelayMs = options.maxDelayMs ?? defaultMaxDelayMs;
    this.#observer = options.observer ?? {};
    this.#now = options.now ?? (() => performance.now());
  }

  /** Keys waiting to be taken. */
  get length(): number {
    return this.#waiting;
  }

  /** Keys being processed right now. */
  get processing(): number {
    return this.#processing.size;
  }

  /** True once shutDown() was called: adds are ignored from then on. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Queues a key now, in the given lane (default "normal"), unless it is already waiting (then
   * nothing changes, except that a low key added as normal moves up to the normal lane's end) or
   * the queue is shutting down. A key being processed is queued again once done() is called for it.
   */
  add(key: string, lane: Lane = "normal"): void {
    if (this.#shuttingDown) return;
    if (this.#dirty.has(key)) {
      if (lane === "normal" && this.#lanes.get(key) === "low") {
        this.#lanes.set(key, "normal");
        // A waiting key leaves a stale entry in the low lane, skipped from now on.
        if (!this.#processing.has(key)) {
          this.#lowEntries.delete(key);
          this.#items.push(key);
          this.#dropStaleLowEntry();
        }
      }
      return;
    }
    this.#dirty.add(key);
    this.#lanes.set(key, lane);
    this.#addedAt.set(key, this.#now());
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /**
   * Adds the key after a delay; of several pending delays for one key, the earliest wins (in the
   * higher of their lanes).
   */
  addAfter(key: string, delayMs: number, lane: Lane = "normal"): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key, lane);
      return;
    }
    const at = this.#now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) {
      if (lane === "normal") pending.lane = "normal";
      return;
    }
    if (pending) clearTimeout(pending.timer);
    // A timer runs only while its entry is the key's (replacing or shutting down clears it), and
    // reads the lane there: a later normal add may have raised it.
    const timer = setTimeout(() => {
      const { lane: due } = this.#delayed.get(key)!;
      this.#delayed.delete(key);
      this.add(key, due);
    }, delayMs);
    this.#delayed.set(key, { at, lane: pending?.lane === "normal" ? "normal" : lane, timer });
  }

  /** Re-adds a failed key after its backoff: base * 2^failures, capped. Returns the delay. */
  addRateLimited(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delayMs = Math.min(this.#baseDelayMs * 2 ** failures, this.#maxDelayMs);
    this.#observer.retried?.();
    this.addAfter(key, delayMs);
    return delayMs;
  }

  /** Clears a key's failure count (call after it succeeds). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** How many times the key failed since it was last forgotten: the exponent of its next backoff. */
  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Waits for a key; resolves undefined once the queue is shut down and empty. */
  get(): Promise<string | undefined> {
    if (this.length > 0) return Promise.resolve(this.#take());
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks a key as processed; if it was added meanwhile, it goes back in the queue. */
  done(key: string): void {
    this.#processing.delete(key);
    const started = this.#startedAt.get(key);
    this.#startedAt.delete(key);
    if (started !== undefined) this.#observer.finished?.((this.#now() - started) / 1000);
    if (this.#dirty.has(key)) {
      if (this.#shuttingDown) {
        this.#dirty.delete(key);
        this.#lanes.delete(key);
      } else this.#push(key);
    }
    if (this.#processing.size === 0) {
      for (const resolve of this.#drainWaiters.splice(0)) resolve();
    }
  }

  /** Stops accepting keys; workers get undefined once the waiting keys are gone. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    // Waiting keys are dropped: whoever resumes work will list everything again.
    this.#items = [];
    this.#head = 0;
    this.#lowItems = [];
    this.#lowHead = 0;
    this.#lowEntries.clear();
    this.#lowStale = 0;
    this.#waiting = 0;
    this.#dirty.clear();
    this.#lanes.clear();
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
  }

  /** Shuts down, then waits until in-flight keys are done or the timeout passes. Returns whether it drained. */
  async shutDownWithDrain(timeoutMs: number): Promise<boolean> {
    this.shutDown();
    if (this.#processing.size === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const drained = new Promise<boolean>((resolve) => this.#drainWaiters.push(() => resolve(true)));
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    return result;
  }

  #push(key: string): void {
    if (this.#lanes.get(key) === "low") {
      const seq = ++this.#lowSeq;
      this.#lowEntries.set(key, seq);
      this.#lowItems.push({ key, seq });
    } else this.#items.push(key);
    this.#waiting++;
    this.#observer.added?.(this.length);
    const waiter = this.#waiters.shift();
    if (waiter) waiter(this.#take());
  }

  /** The next waiting key: the normal lane's first, else the low lane's first still waiting there. */
  #take(): string {
    let key: string;
    if (this.#head < this.#items.length) {
      key = this.#items[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
    } else {
      for (;;) {
        const entry = this.#lowItems[this.#lowHead++]!;
        if (this.#lowEntries.get(entry.key) === entry.seq) {
          key = entry.key;
          break;
        }
        this.#lowStale--;
      }
      this.#lowEntries.delete(key);
      if (this.#lowHead > 1024 && this.#lowHead * 2 > this.#lowItems.length) {
        this.#lowItems = this.#lowItems.slice(this.#lowHead);
        this.#lowHead = 0;
      }
    }
    this.#waiting--;
    if (this.#waiting === 0 && this.#lowHead < this.#lowItems.length) {
      // Nothing waits: whatever the low lane still holds is stale.
      this.#lowItems = [];
      this.#lowHead = 0;
      this.#lowStale = 0;
    }
    this.#dirty.delete(key);
    this.#lanes.delete(key);
    this.#processing.add(key);
    const now = this.#now();
    const added = this.#addedAt.get(key) ?? now;
    this.#addedAt.delete(key);
    this.#startedAt.set(key, now);
    this.#observer.started?.(this.length, (now - added) / 1000);
    return key;
  }

  /**
   * Counts a stale low-lane entry; once they are most of the lane (keys that keep moving up
   * while normal keys never run out, say), they are dropped.
   */
  #dropStaleLowEntry(): void {
    this.#lowStale++;
    if (this.#lowStale <= 1024 || this.#lowStale * 2 <= this.#lowItems.length - this.#lowHead) return;
    this.#lowItems = this.#lowItems.slice(this.#lowHead).filter((entry) =>
      this.#lowEntries.get(entry.key) === entry.seq
    );
    this.#lowHead = 0;
    this.#lowStale = 0;
  }

  /** Entries in the low lane, stale ones included: for tests of its upkeep. */
  get lowLaneEntries(): number {
    return this.#lowItems.length - this.#lowHead;
  }
}
