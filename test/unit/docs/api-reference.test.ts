// The runtime's API reference is complete and builds: `deno doc --lint` over the package's doors
// (the exports of runtime/deno.json) finds no exported symbol without JSDoc, no function without
// a return type, and no public type that refers to one of ours no door exports (other packages'
// types are named below); and `deno doc --html` writes the reference with a page for the
// symbols a newcomer starts from.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const root = join(import.meta.dirname, "..", "..", "..");
const runtime = join(root, "runtime");
const deno = join(root, "node_modules", ".bin", "deno");
/** The doors, as deno.json's exports name them, e.g. "./mod.ts". */
const doors = Object.values(
  JSON.parse(readFileSync(join(runtime, "deno.json"), "utf8")).exports as Record<string, string>,
);

/** Runs deno in runtime/, as a user runs it there; returns its exit status and everything it printed. */
function denoIn(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(deno, args, { cwd: runtime, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Each diagnostic of `deno doc --lint`, as "file:line:col kind: message" with the file relative to the repository. */
export function lintDiagnostics(output: string): string[] {
  return [...output.matchAll(/^error\[([a-z-]+)\]: (.*)\n\s*--> (\S+)$/gm)].map(([, kind, message, where]) =>
    `${where!.replace(`${root}/`, "")} ${kind}: ${message}`
  );
}

test("the diagnostic parser reads deno doc's format", () => {
  const output = [
    "Warning Failed resolving types. Could not find package 'zlib.d.ts'",
    "error[missing-jsdoc]: exported symbol is missing JSDoc documentation",
    `  --> ${root}/runtime/queue.ts:29:14`,
    "   | ",
    "error[private-type-ref]: public type 'A' references private type 'B'",
    ` --> ${root}/runtime/a.ts:3:1`,
    "error: Found 2 documentation lint errors.",
  ].join("\n");
  assert.equal(lintDiagnostics(output), [
    "runtime/queue.ts:29:14 missing-jsdoc: exported symbol is missing JSDoc documentation",
    "runtime/a.ts:3:1 private-type-ref: public type 'A' references private type 'B'",
  ]);
});

/**
 * Other packages' types that public signatures name (client-node's KubeConfig, prom-client's
 * metrics, Connect's router and service descriptors, Hono, TypeBox's builder). deno doc counts every type no door
 * exports as private, other packages' too (denoland/deno#27364; the fix, denoland/deno#34339,
 * skips only non-file: modules, and npm packages in node_modules are file: modules), and
 * re-exporting them makes it lint those packages' own declarations. These, and only these,
 * are accepted; any other diagnostic fails.
 */
const otherPackagesTypes = new Set([
  "KubeConfig",
  "Registry",
  "Counter",
  "Histogram",
  "Gauge",
  "ConnectRouter",
  "DescService",
  "DescMessage",
  "GenService",
  "GenServiceMethods",
  "MessageShape",
  "Hono",
  // TypeBox's builder functions, which the TypeBox types are spelled through (schema/typebox.ts).
  "Unsafe",
  "_Object_",
]);

/** A diagnostic that only says a public type names another package's type. */
export function namesOtherPackagesType(diagnostic: string): boolean {
  const referenced = /private-type-ref: public type '[^']+' references private type '([^']+)'$/.exec(diagnostic)?.[1];
  return referenced !== undefined && otherPackagesTypes.has(referenced);
}

test("the filter accepts references to other packages' types and nothing else", () => {
  const ok = "runtime/kube/client.ts:157:3 private-type-ref: public type 'A.prototype.b' references private type " +
    "'KubeConfig'";
  const ours = "runtime/a.ts:3:1 private-type-ref: public type 'A' references private type 'Options'";
  const undocumented = "runtime/a.ts:3:1 missing-jsdoc: exported symbol is missing JSDoc documentation";
  assert.equal([ok, ours, undocumented].map(namesOtherPackagesType), [true, false, false]);
});

test("deno doc --lint finds nothing to report in the doors", () => {
  assert.ok(doors.includes("./mod.ts"), 'runtime/deno.json exports mod.ts as "."');
  const { status, output } = denoIn(["doc", "--lint", ...doors]);
  const diagnostics = lintDiagnostics(output);
  // Exit 0, or a failure that is the lint's own, every diagnostic of which was read here.
  const found = Number(/Found (\d+) documentation lint errors?/.exec(output)?.[1] ?? 0);
  assert.ok(status === 0 || found > 0, output.slice(-2000));
  assert.is(diagnostics.length, found, "every diagnostic deno doc counted was parsed");
  assert.equal(diagnostics.filter((diagnostic) => !namesOtherPackagesType(diagnostic)), [], "deno doc --lint");
});

test("deno doc --html writes the reference, with pages for the key symbols", () => {
  const out = mkdtempSync(join(tmpdir(), "kubefn-api-reference-"));
  try {
    const { status, output } = denoIn(["doc", "--html", "--name=@kubefn/runtime", `--output=${out}`, ...doors]);
    assert.is(status, 0, output.slice(-2000));
    // The one warning deno doc 2.9 prints: it looks up @types/node's `/// <reference path>`
    // siblings as packages (denoland/deno#36751). Any other warning fails.
    const warnings = output.split("\n").filter((line) => line.startsWith("Warning"));
    assert.equal(
      warnings.filter((line) =>
        !/^Warning Failed resolving types\. Could not find package '[^']+' from referrer '[^']*\/@types\/node\/index\.d\.ts'\.$/
          .test(line)
      ),
      [],
      "deno doc --html warnings",
    );
    assert.ok(existsSync(join(out, "index.html")), "index.html");
    // mod.ts is the main module (its symbols are under ~/); each other door has a folder named after its file.
    for (const page of ["~/customKind.html", "~/controller.html", "testing/~/runSync.html"]) {
      assert.ok(existsSync(join(out, page)), page);
    }
    assert.ok(existsSync(join(out, "control-plane", "~", "startControlPlane.html")), "startControlPlane");
    assert.ok(existsSync(join(out, "run", "~", "runProgram.html")), "runProgram");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
