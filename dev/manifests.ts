// Regenerates every committed manifest under deploy/ from the products' manifest.ts files:
//   npm run manifests
// test/unit/manifests.test.ts fails when a committed file differs from what this writes.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { manifests as atomixController } from "../functions/atomix-controller/manifest.ts";
import { manifests as atomixOperator } from "../functions/atomix-operator/manifest.ts";
import { manifests as metacontroller } from "../functions/metacontroller/manifest.ts";
import { manifests as rssOperator } from "../functions/rss-operator/manifest.ts";

/** The folder users apply manifests from. */
export const deployDir = join(import.meta.dirname, "..", "deploy");

/** Every generated file, by path under deploy/, with the product that makes it. */
export function generatedManifests(): Array<{ product: string; path: string; yaml: string }> {
  const products = {
    "atomix-controller": atomixController,
    "atomix-operator": atomixOperator,
    "rss-operator": rssOperator,
    metacontroller,
  };
  return Object.entries(products).flatMap(([product, manifests]) =>
    Object.entries(manifests()).map(([path, yaml]) => ({ product, path, yaml }))
  );
}

if (import.meta.main) {
  for (const { path, yaml } of generatedManifests()) {
    mkdirSync(dirname(join(deployDir, path)), { recursive: true });
    writeFileSync(join(deployDir, path), yaml);
    console.log(`deploy/${path}`);
  }
}
