// gen/ and runtime/gen/ must be exactly what `buf generate` writes from proto/ and
// runtime/proto/, both must pass `buf lint`, and the wire and JSON contract must not break
// against the first committed version of proto/.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const root = join(import.meta.dirname, "..", "..");
const buf = join(root, "node_modules", ".bin", "buf");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

for (
  const { template, out } of [{ template: "buf.gen.yaml", out: "gen" }, {
    template: "runtime/buf.gen.yaml",
    out: "runtime/gen",
  }]
) {
  test(`${out}/ is exactly what buf generate --template ${template} produces`, () => {
    const scratch = mkdtempSync(join(tmpdir(), "gen-check-"));
    try {
      const result = spawnSync(buf, ["generate", "--template", template, "--output", scratch], {
        cwd: root,
        encoding: "utf8",
      });
      assert.is(result.status, 0, result.stderr);
      const expected = files(join(scratch, out)).map((file) => relative(join(scratch, out), file)).sort();
      const actual = files(join(root, out)).map((file) => relative(join(root, out), file)).sort();
      assert.equal(actual, expected, `${out}/ has other files than buf generate writes`);
      for (const file of expected) {
        assert.ok(
          readFileSync(join(root, out, file), "utf8") === readFileSync(join(scratch, out, file), "utf8"),
          `${out}/${file} differs from buf generate's output: run npm run generate`,
        );
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}

test("buf lint passes", () => {
  const result = spawnSync(buf, ["lint"], { cwd: root, encoding: "utf8" });
  assert.is(result.status, 0, `${result.stdout}${result.stderr}`);
});

test("buf breaking finds no wire or JSON break against the first committed proto/", () => {
  const first =
    execFileSync("git", ["log", "--reverse", "--format=%H", "--", "proto"], { cwd: root, encoding: "utf8" }).split(
      "\n",
    )[0];
  assert.ok(first, "proto/ has no commit to compare with");
  const result = spawnSync(buf, ["breaking", "--against", `.git#ref=${first}`], { cwd: root, encoding: "utf8" });
  assert.is(result.status, 0, `${result.stdout}${result.stderr}`);
});

test.run();
