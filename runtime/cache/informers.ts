// The shared informer registry: one informer per kind, however many controllers need it.
import type { KubeClient } from "../kube/client.ts";
import { kindKey, type Kind } from "../kube/kinds.ts";
import type { Logger } from "../log.ts";
import { Informer, type InformerOptions } from "./informer.ts";

export class Informers {
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #namespaces: readonly string[] | "all";
  readonly #informers = new Map<string, Informer>();
  readonly #onRestart: ((kind: Kind, reason: string) => void) | undefined;
  #started = false;

  constructor(options: {
    client: KubeClient;
    log: Logger;
    namespaces: readonly string[] | "all";
    onRestart?: (kind: Kind, reason: string) => void;
  }) {
    this.#client = options.client;
    this.#log = options.log;
    this.#namespaces = options.namespaces;
    this.#onRestart = options.onRestart;
  }

  /** The informer for a kind, created on first use (and started at once if the registry runs). */
  for(kind: Kind, overrides: Partial<InformerOptions> = {}): Informer {
    const key = kindKey(kind);
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer({
        kind,
        client: this.#client,
        log: this.#log,
        namespaces: this.#namespaces,
        onRestart: (reason) => this.#onRestart?.(kind, reason),
        ...overrides,
      });
      this.#informers.set(key, informer);
      if (this.#started) informer.start();
    }
    return informer;
  }

  get all(): Informer[] {
    return [...this.#informers.values()];
  }

  get hasSynced(): boolean {
    return this.all.every((informer) => informer.hasSynced);
  }

  start(): void {
    this.#started = true;
    for (const informer of this.#informers.values()) informer.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.all.map((informer) => informer.synced));
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((informer) => informer.stop()));
  }
}
