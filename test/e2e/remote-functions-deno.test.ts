// The partition-group and database flows, unchanged, with every Atomix function served as an
// HTTP hook by a separate deno process (runtime/hooks) and called by the controller with
// --remote-functions: the same kubectl results as in-process. Both files' suites run in this
// one process, one after the other, as uvu's own CLI would run two files.
const uvu = globalThis as { UVU_DEFER?: number; UVU_QUEUE?: unknown[][]; UVU_INDEX?: number };
uvu.UVU_DEFER = 1;
uvu.UVU_QUEUE = [["partition groups, functions on deno"], ["databases, functions on deno"]];
process.env.ATOMIX_E2E_FUNCTIONS = "deno";
uvu.UVU_INDEX = 0;
await import("./partition-groups.test.ts");
uvu.UVU_INDEX = 1;
await import("./databases.test.ts");
await (await import("uvu")).exec();
