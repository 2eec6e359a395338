// The house rules, read from the sources: no import cycles (type-only and dynamic imports
// included); the runtime imports nothing outside runtime/; products import neither
// each other nor the runtime's insides, only its doors (the exports of runtime/deno.json, the
// sources of runtime/package.json's); examples import the runtime only by its package name;
// and parsing a program's flags loads no engine file.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const root = join(import.meta.dirname, "..", "..");
const sourceFolders = ["runtime", "functions", "dev", "test", "bench", "deploy"];

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "dist" ? [] : sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative specifiers a file imports: static, type-only, re-exports and dynamic import(). */
export function importsOf(text: string): string[] {
  const code = text.replace(/^\s*\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
  const found = new Set<string>();
  for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)) {
    found.add(match[1]!);
  }
  return [...found];
}

const files = [
  ...sources("examples"),
  ...sources("runtime"),
  ...sources("functions"),
  ...sources("dev"),
  ...sources("test"),
  ...sources("bench"),
  ...readdirSync(root).filter((name) => name.endsWith(".ts")),
];
const graph = new Map<string, string[]>(
  files.map((
    file,
  ) => [
    file,
    importsOf(readFileSync(join(root, file), "utf8")).map((specifier) =>
      relative(root, resolve(root, dirname(file), specifier))
    ),
  ]),
);
const sourceDoors = JSON.parse(readFileSync(join(root, "runtime", "deno.json"), "utf8")).exports as Record<
  string,
  string
>;
const packageDoors = JSON.parse(readFileSync(join(root, "runtime", "package.json"), "utf8")).exports as Record<
  string,
  { types: string; default: string }
>;
const doors = Object.values(sourceDoors).map((path) => join("runtime", path));
const top = (file: string) => file.split("/")[0]!;
const productOf = (file: string) => (file.startsWith("functions/") ? file.split("/")[1] : undefined);
/**
 * The runtime's own tests (test/<tier>/runtime/) test its parts, and these files measure or
 * probe them, so they may reach past the doors: the API fuzz seeds (the runtime's health and
 * reflection services), the work queue, memory by part, the remote-hook call path, the
 * bare side's owner stamp (the same writes as the runtime's, without it), and the Go build of
 * the original controllers, which reuses the control plane's Go build helper.
 */
const measuresTheRuntime = [
  "bench/originals.ts",
  "bench/side-by-side/main.ts",
  "test/support/fuzz-seeds.ts",
  "bench/queue.ts",
  "bench/memory.ts",
  "bench/hooks.ts",
  "bench/side-by-side/workload.ts",
];
const testsTheRuntime = (file: string) => /^test\/[a-z]+\/runtime\//.test(file) || measuresTheRuntime.includes(file);

/** Strongly connected components with more than one file (Tarjan). */
function cycles(edges: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indexOf.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indexOf.get(next)!));
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || edges.get(node)!.includes(node)) found.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!indexOf.has(node)) visit(node);
  return found;
}

const violations = (rule: (from: string, to: string) => boolean) =>
  [...graph].flatMap(([from, targets]) => targets.filter((to) => rule(from, to)).map((to) => `${from} -> ${to}`));

test("the import checker sees static, type-only, re-exported and dynamic imports, and skips comments", () => {
  const text =
    'import a from "./a.ts";\nimport type { B } from "../b.ts";\nexport { c } from "./c.ts";\nconst d = await import("./d.ts");\nimport "./e.ts";\n// import x from "./commented.ts";\nimport y from "yaml";';
  assert.equal(importsOf(text), ["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts"]);
});

test("no file imports another that imports it back", () => {
  assert.equal(cycles(graph), []);
});

test("the runtime imports nothing outside runtime/: no product, generated Atomix code, dev tool, test or bench", () => {
  assert.equal(violations((from, to) => top(from) === "runtime" && top(to) !== "runtime"), []);
});

test("no product imports another", () => {
  assert.equal(
    violations((from, to) =>
      productOf(from) !== undefined && productOf(to) !== undefined && productOf(from) !== productOf(to)
    ),
    [],
  );
});

test("npm and JSR have the same doors: each compiled door is its source's JavaScript and declarations", () => {
  assert.equal(Object.keys(packageDoors).sort(), Object.keys(sourceDoors).sort());
  for (const [name, source] of Object.entries(sourceDoors)) {
    const compiled = source.replace(/^\.\//, "./dist/").replace(/\.ts$/, "");
    assert.equal(packageDoors[name], { types: `${compiled}.d.ts`, default: `${compiled}.js` }, name);
  }
});

test("examples import the runtime by its package name only, as users do", () => {
  assert.equal(
    violations((from) => top(from) === "examples").filter((edge) =>
      !edge.split(" -> ")[1]!.startsWith(
        edge.split(" -> ")[0]!.split("/").slice(0, 2).join("/") + "/",
      )
    ),
    [],
  );
});

test("outside the runtime, only its doors are imported", () => {
  assert.ok(doors.includes("runtime/mod.ts"), 'runtime/deno.json exports runtime/mod.ts as "."');
  assert.equal(
    violations((from, to) =>
      top(from) !== "runtime" && top(to) === "runtime" && !doors.includes(to) && !testsTheRuntime(from)
    ),
    [],
  );
});

test("parsing flags loads no engine file: program/config.ts reaches only leaves", () => {
  const reached = new Set<string>();
  const walk = (file: string) => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const next of graph.get(file) ?? []) walk(next);
  };
  walk("runtime/program/config.ts");
  assert.equal([...reached].sort(), [
    "runtime/defaults.ts",
    "runtime/kube/kubeconfig-search.ts",
    "runtime/log.ts",
    "runtime/program/config.ts",
  ]);
});

test.run();
