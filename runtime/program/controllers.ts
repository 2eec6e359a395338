// The controllers a manager runs, as a set that may change while it runs: the static ones a
// program declares, and ones added, replaced and removed at run time (Metacontroller's
// CompositeControllers). A controller added while this replica leads starts once the caches of
// its kinds have synced; every controller starts and stops with leadership.
import type { ControllerDefinition } from "../controller.ts";
import { kindKey } from "../kube/kinds.ts";
import type { Logger } from "../log.ts";
import { defaultDrainTimeoutMs } from "../defaults.ts";
import { ControllerRunner, type RunnerOptions } from "../reconcile/runner.ts";

/**
 * The controllers a manager runs, as a set that may change while it runs: those the program
 * declares, and those a component adds, replaces or removes (Metacontroller's
 * CompositeControllers). They start when this replica leads (or at once, without leader
 * election) and stop when it no longer does.
 */
export class ControllerSet {
  readonly #options: Omit<RunnerOptions, "siblings">;
  readonly #log: Logger;
  readonly #runners = new Map<string, ControllerRunner>();
  #registered = false;
  #running = false;

  /**
   * Makes the set; the manager does, with what every controller shares (client, cache, metrics,
   * Events, write gate, workers per controller).
   *
   * @throws Error when two definitions have the same name.
   */
  constructor(options: Omit<RunnerOptions, "siblings">, definitions: readonly ControllerDefinition<any>[] = []) {
    this.#options = options;
    this.#log = options.log;
    for (const definition of definitions) this.#create(definition);
  }

  /** The runner of every controller in the set, declared or added. */
  get #all(): ControllerRunner[] {
    return [...this.#runners.values()];
  }

  /** Whether a controller of this name is in the set. */
  has(name: string): boolean {
    return this.#runners.has(name);
  }

  /** Subscribes every controller to its informers; call before they start. */
  register(): void {
    this.#registered = true;
    for (const runner of this.#runners.values()) runner.register();
  }

  /** Starts every controller's workers, and those of controllers added from now on. */
  start(): void {
    this.#running = true;
    for (const runner of this.#runners.values()) runner.start();
  }

  /**
   * Stops every controller: no new syncs, and in-flight ones are given `drainTimeoutMs`
   * milliseconds to finish (default 5000).
   */
  async stop(drainTimeoutMs = defaultDrainTimeoutMs): Promise<void> {
    this.#running = false;
    await Promise.all(this.#all.map((runner) => runner.stop(drainTimeoutMs)));
  }

  /** Adds a controller at run time (or replaces the one of that name), and runs it if the set runs. */
  async put(definition: ControllerDefinition<any>): Promise<void> {
    await this.remove(definition.name);
    const runner = this.#create(definition);
    if (!this.#registered) return;
    runner.register();
    const { informers } = this.#options;
    const kinds = [definition.parent, ...definition.children, ...(definition.related?.kinds ?? [])];
    await Promise.all(kinds.map((kind) => informers.for(kind).synced));
    // Removed or replaced while its caches synced: that one is not to run.
    if (this.#running && this.#runners.get(definition.name) === runner) runner.start();
    this.#log.info("controller added", { controller: definition.name, parent: kindKey(definition.parent) });
  }

  /** Stops and forgets a controller added at run time; its children stay (their owner references remain). */
  async remove(name: string): Promise<void> {
    const runner = this.#runners.get(name);
    if (!runner) return;
    this.#runners.delete(name);
    runner.unregister();
    await runner.stop();
    this.#log.info("controller removed", { controller: name });
  }

  #create(definition: ControllerDefinition<any>): ControllerRunner {
    if (this.#runners.has(definition.name)) throw new Error(`two controllers are named ${definition.name}`);
    const parent = kindKey(definition.parent);
    const siblings = () =>
      this.#all.filter((other) => other.name !== definition.name && kindKey(other.definition.parent) === parent).map((
        other,
      ) => other.name);
    const runner = new ControllerRunner(definition, { ...this.#options, siblings });
    this.#runners.set(definition.name, runner);
    return runner;
  }
}
