// The image runs the sources compiled to JavaScript (deploy/Containerfile): the compiled
// entry points must start and answer --help like the TypeScript ones.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const node = process.execPath;
const out = mkdtempSync(join(tmpdir(), "atomix-build-"));

test.after(() => rmSync(out, { recursive: true, force: true }));

test("npm run build compiles every entry point, and each compiled product starts", async () => {
  await run(node, [
    join(root, "node_modules", "typescript", "bin", "tsc"),
    "-p",
    join(root, "tsconfig.build.json"),
    "--outDir",
    out,
  ], { cwd: root });
  // Laid out as in the image: package.json and node_modules beside the compiled files.
  copyFileSync(join(root, "package.json"), join(out, "package.json"));
  symlinkSync(join(root, "node_modules"), join(out, "node_modules"));
  for (
    const entry of [
      "main.js",
      "functions/atomix-operator/main.js",
      "functions/rss-operator/main.js",
      "functions/metacontroller/main.js",
    ]
  ) {
    const { stdout } = await run(node, ["--max-semi-space-size=1", join(out, entry), "--help"], { cwd: out });
    assert.match(stdout, /--kubeconfig/, `${entry} --help lists the runtime's flags`);
  }
});

test.run();
