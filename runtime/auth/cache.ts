// A small cache for review results: each answer is kept for a fixed time, callers asking for
// a key while its review is in flight share it, failures are not kept, and the oldest
// entries go first once the cache holds `maxEntries`. Keys never hold a token itself, only
// its hash.

export class ReviewCache<T> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Insertion order is age order: a refreshed entry is deleted and set again. */
  readonly #entries = new Map<string, { value: Promise<T>; expiresAt: number }>();

  constructor(options: { ttlMs: number; maxEntries: number; now?: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The kept answer for `key`, or the answer of `review()`, kept for the TTL when it succeeds. */
  get(key: string, review: () => Promise<T>): Promise<T> {
    if (this.#ttlMs <= 0) return review();
    const now = this.#now();
    const found = this.#entries.get(key);
    if (found && found.expiresAt > now) return found.value;
    if (found) this.#entries.delete(key);
    const entry = { value: review(), expiresAt: now + this.#ttlMs };
    this.#entries.set(key, entry);
    entry.value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
    return entry.value;
  }
}
