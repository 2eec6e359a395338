// The control-plane build refuses a missing or too old Go with a message that says what to do.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkGo } from "../cluster/build.ts";

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

test.run();
