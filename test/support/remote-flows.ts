// Runs the partition-group and database e2e flows, unchanged, with every Atomix function served
// as an HTTP hook by a separate process on `runtime` (test/support/atomix.ts reads
// ATOMIX_E2E_FUNCTIONS). Both files' suites run in one process, one after the other, as uvu's
// own CLI would run two files.
import type { HookRuntime } from "./hooks.ts";
export async function runFlowsWithRemoteFunctions(runtime: HookRuntime): Promise<void> {
  const uvu = globalThis as { UVU_DEFER?: number; UVU_QUEUE?: unknown[][]; UVU_INDEX?: number };
  uvu.UVU_DEFER = 1;
  uvu.UVU_QUEUE = [[`partition groups, functions on ${runtime}`], [`databases, functions on ${runtime}`]];
  process.env.ATOMIX_E2E_FUNCTIONS = runtime;
  uvu.UVU_INDEX = 0;
  await import("../e2e/functions/atomix-controller/partition-groups.test.ts");
  uvu.UVU_INDEX = 1;
  await import("../e2e/functions/atomix-controller/databases.test.ts");
  await (await import("uvu")).exec();
}
