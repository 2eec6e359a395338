// The npm registry reachable here does not serve every platform build of @bufbuild/buf and
// deno, so `npm install` leaves those optional packages out of package-lock.json and
// `npm ci` then refuses the lock as out of sync. This adds a lock entry for each missing
// platform package, marked optional and limited to its os/cpu, so npm ci skips it on
// every other platform. Run after `npm install` changes the lock:
//   node .ci/lock-foreign-platforms.ts
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const packages: Record<string, Record<string, unknown>> = lock.packages;
const platforms: Record<string, [string, string]> = {
  "darwin-arm64": ["darwin", "arm64"],
  "darwin-x64": ["darwin", "x64"],
  "linux-aarch64": ["linux", "arm64"],
  "linux-arm64-glibc": ["linux", "arm64"],
  "linux-x64-glibc": ["linux", "x64"],
  "linux-armv7": ["linux", "arm"],
  "linux-x64": ["linux", "x64"],
  "win32-arm64": ["win32", "arm64"],
  "win32-x64": ["win32", "x64"],
};
let added = 0;
for (const [path, entry] of Object.entries({ ...packages })) {
  const optional = (entry.optionalDependencies ?? {}) as Record<string, string>;
  for (const [name, version] of Object.entries(optional)) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const suffix = Object.keys(platforms).find((platform) =>
      name.endsWith(`-${platform}`) || name.endsWith(`/${platform}`)
    );
    if (!suffix) throw new Error(`${path}: cannot tell the platform of optional dependency ${name}`);
    const [os, cpu] = platforms[suffix]!;
    packages[key] = { version, cpu: [cpu], os: [os], optional: true, ...(entry.dev ? { dev: true } : {}) };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
console.log(`added ${added} lock entries for platform packages the registry does not serve`);
