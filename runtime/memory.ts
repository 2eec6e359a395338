// Gives memory back after a burst of work. V8 grows its heap into new pages while a burst
// allocates, and keeps them after the objects in them have died: a process that synced a
// thousand parents stays at twice its resting size with a third of its heap in use. An
// ordinary collection frees the objects but not the pages; a last-resort collection (several
// full collections that compact and release empty pages) gives them back to the system.
// Compacting costs a few tens of milliseconds of one core, so it runs only once the process
// has been idle (almost no CPU) for a while and either its heap holds much more than it uses,
// or its RSS has grown well past where the last idle period left it: V8 also keeps freed pages
// in a pool outside the heap's committed size, which only the resident size shows.
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Logger } from "./log.ts";
/** Committed heap beyond what is in use, or RSS grown since the last idle period, that is worth a compaction. */
export const compactionSlackBytes = 16 * 2 ** 20;
/** How often idleness is sampled. */
const defaultSampleMs = 2_000;
/** CPU share (of one core) under which a sample counts as idle. */
const idleCpuShare = 0.02;

export interface CompactionOptions {
  /** Seconds the process must have been idle; 0 turns compaction off. */
  idleSeconds: number;
  log: Logger;
  /** Heap committed beyond the used heap, or RSS grown past the last idle floor, worth compacting; default compactionSlackBytes. */
  slackBytes?: number;
  /** How often idleness is sampled, in milliseconds; default 2000. */
  sampleMs?: number;
  /** Called after each compaction with the RSS before and after (tests and metrics). */
  compacted?: (before: number, after: number) => void;
}

export interface Compaction {
  /** Compactions run so far. */
  readonly count: number;
  stop(): void;
}

/**
 * V8's last-resort collection, through its gc extension (exposed now if the process was not
 * started with --expose-gc); undefined where there is none: on Bun, whose JavaScriptCore heap
 * this does not manage, and where the extension cannot be had.
 */
export function lastResortCollector(): (() => void) | undefined {
  if ("Bun" in globalThis) return undefined;
  try {
    let gc = (globalThis as { gc?: (options?: unknown) => unknown }).gc;
    if (typeof gc !== "function") {
      // The gc extension is installed in contexts made after the flag is set.
      setFlagsFromString("--expose-gc");
      gc = runInNewContext("gc") as typeof gc;
    }
    if (typeof gc !== "function") return undefined;
    const collect = gc;
    return () => void collect({ type: "major", execution: "sync", flavor: "last-resort" });
  } catch {
    return undefined;
  }
}

/** Samples the process's CPU (every 2 s) and compacts the heap once it has been idle long enough. */
export function startIdleCompaction(options: CompactionOptions): Compaction {
  let count = 0;
  const state: Compaction = {
    get count() {
      return count;
    },
    stop: () => undefined,
  };
  if (options.idleSeconds <= 0) return state;
  const collect = lastResortCollector();
  if (!collect) {
    options.log.debug("memory compaction is not available on this runtime");
    return state;
  }
  const slack = options.slackBytes ?? compactionSlackBytes;
  const sampleMs = options.sampleMs ?? defaultSampleMs;
  let idleMs = 0;
  // The RSS the last idle period ended at (after a compaction, or when there was nothing to do).
  let floor: number | undefined;
  let cpu = process.cpuUsage();
  let at = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    const share = (used.user + used.system) / 1000 / Math.max(1, now - at);
    cpu = process.cpuUsage();
    at = now;
    idleMs = share < idleCpuShare ? idleMs + sampleMs : 0;
    if (idleMs < options.idleSeconds * 1000) return;
    const heap = getHeapStatistics();
    const before = process.memoryUsage.rss();
    floor ??= before;
    if (heap.total_heap_size - heap.used_heap_size < slack && before - floor < slack) {
      floor = Math.min(floor, before);
      return;
    }
    const started = performance.now();
    collect();
    count++;
    const after = process.memoryUsage.rss();
    // What compaction could not give back is the new floor: the next compaction waits for growth past it.
    floor = after;
    idleMs = 0;
    cpu = process.cpuUsage();
    at = performance.now();
    options.log.debug("memory compacted after a burst of work", {
      rssBeforeMiB: Math.round(before / 2 ** 20),
      rssAfterMiB: Math.round(after / 2 ** 20),
      ms: Math.round(performance.now() - started),
    });
    options.compacted?.(before, after);
  }, sampleMs);
  (timer as { unref?: () => void }).unref?.();
  state.stop = () => clearInterval(timer);
  return state;
}
