// Serves controller functions as Metacontroller-compatible HTTP hooks under Deno:
//   HOOK_FUNCTIONS=website.ts deno serve --allow-read --allow-env --port 8080 runtime/hook-server/deno.ts
import { loadDefinitions } from "./load.ts";
import { defaultMaxBodyBytes, hookApp } from "./serve.ts";

const env = (name: string) =>
  (globalThis as unknown as { Deno: { env: { get(name: string): string | undefined } } }).Deno.env.get(name);
const paths = (env("HOOK_FUNCTIONS") ?? "").split(",").filter(Boolean);
if (!paths.length) {
  throw new Error("HOOK_FUNCTIONS is required: the modules whose controllers to serve, comma-separated");
}
const cwd = (globalThis as unknown as { Deno: { cwd(): string } }).Deno.cwd();
const app = hookApp(await loadDefinitions(paths, cwd), {
  maxBodyBytes: Number(env("HOOK_MAX_BODY_BYTES") ?? defaultMaxBodyBytes),
});

export default { fetch: app.fetch };
