// The control-plane build refuses a missing or too old Go with a message that says what to do.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkGo } from "../../../../runtime/control-plane/build.ts";
import { runGo } from "../../../../runtime/control-plane/go.ts";

async function withPath<T>(path: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    return await body();
  } finally {
    process.env.PATH = saved;
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

test("a machine without Go is told that Go >= 1.26 is needed", async () => {
  const empty = mkdtempSync(join(tmpdir(), "no-go-"));
  try {
    const error = await withPath(empty, () => rejection(checkGo()));
    assert.match(error.message, "Go was not found on PATH");
    assert.match(error.message, ">= 1.26");
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("a Go older than 1.26 is refused by name", async () => {
  const dir = mkdtempSync(join(tmpdir(), "old-go-"));
  try {
    // A stand-in that answers `go env GOVERSION` the way Go 1.25 does.
    writeFileSync(join(dir, "go"), "#!/bin/sh\necho go1.25.7\n");
    chmodSync(join(dir, "go"), 0o755);
    const error = await withPath(`${dir}:/usr/bin:/bin`, () => rejection(checkGo()));
    assert.match(error.message, "Go go1.25.7 is too old");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Go on this machine is accepted and named", async () => {
  assert.match(await checkGo(), /^go1\.(2[6-9]|[3-9]\d)/);
});

test("a Go build runs in its directory with the local toolchain, and a failed one names what failed with the end of its output", async () => {
  const dir = mkdtempSync(join(tmpdir(), "go-run-"));
  try {
    // A stand-in go that records its directory and environment, and fails `go build broken`.
    writeFileSync(
      join(dir, "go"),
      `#!/bin/sh\nif [ "$2" = broken ]; then for i in $(seq 1 40); do echo "line $i" >&2; done; exit 2; fi\necho "$(pwd) $GOTOOLCHAIN $CGO_ENABLED $GOFLAGS" > ${
        join(dir, "ran")
      }\n`,
    );
    chmodSync(join(dir, "go"), 0o755);
    const lines: string[] = [];
    await withPath(
      `${dir}:/usr/bin:/bin`,
      () => runGo(dir, ["build", "ok"], (line) => lines.push(line), "[test]", "ok"),
    );
    assert.is(readFileSync(join(dir, "ran"), "utf8").trim(), `${dir} local 0 -mod=readonly -buildvcs=false`);
    const error = await withPath(
      `${dir}:/usr/bin:/bin`,
      () => rejection(runGo(dir, ["build", "broken"], (line) => lines.push(line), "[test]", "the broken thing")),
    );
    assert.match(error.message, "building the broken thing failed (go build exited 2)");
    assert.match(error.message, "line 40");
    assert.match(error.message, "line 11\n");
    assert.not.match(error.message, "line 10\n", "only the last 30 lines are kept");
    assert.equal(lines, [], "no progress line for builds shorter than 30 s");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
