// The test runner: runs each test file (uvu) in its own process on the project's Node,
// starts one local control plane for every file that needs a cluster, and closes with
// "N passed, N failed". It fails when any test failed or when no test ran.
//
//   node test/run.ts                 every test
//   node test/run.ts --unit          only tests that need no cluster
//   node test/run.ts smoke lease     only files whose path contains one of the words
//
// TEST_KUBECONFIG=path reuses a running cluster instead of starting one.
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type ControlPlane as Cluster, startControlPlane as startCluster } from "../runtime/control-plane.ts";

const fileTimeoutMs = 15 * 60_000;
const testRoot = fileURLToPath(new URL(".", import.meta.url));
const projectRoot = join(testRoot, "..");
/** Folders whose tests run against the control plane; everything else is a unit test. */
const clusterFolders = ["integration", "e2e", "interop"];

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

async function findTests(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (
      entry.isDirectory() && !(dir === testRoot && (entry.name === "support" || entry.name === "sample")) &&
      entry.name !== "node_modules"
    ) {
      found.push(...(await findTests(path)));
    } else if (entry.isFile() && entry.name.endsWith(".test.ts")) {
      found.push(path);
    }
  }
  return found.sort();
}

const needsCluster = (file: string) => clusterFolders.includes(relative(testRoot, file).split("/")[0]!);

/** Reads uvu's closing summary ("Total: N / Passed: N / Skipped: N"). */
export function parseUvuSummary(output: string): Counts | undefined {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const total = /Total:\s+(\d+)/.exec(plain);
  const passed = /Passed:\s+(\d+)/.exec(plain);
  const skipped = /Skipped:\s+(\d+)/.exec(plain);
  if (!total || !passed) return undefined;
  const counts = { passed: Number(passed[1]), failed: 0, skipped: Number(skipped?.[1] ?? 0) };
  counts.failed = Number(total[1]) - counts.passed - counts.skipped;
  return counts;
}

function runFile(file: string, env: NodeJS.ProcessEnv): Promise<Counts> {
  return new Promise((resolve) => {
    const name = relative(projectRoot, file);
    console.log(`\n── ${name}`);
    const child = spawn(process.execPath, [file], { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    const timer = setTimeout(() => {
      console.log(`${name}: timed out after ${fileTimeoutMs / 60_000} minutes`);
      child.kill("SIGKILL");
    }, fileTimeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      const counts = parseUvuSummary(output);
      if (!counts) {
        console.log(`${name}: exited ${code} without a test summary; counted as one failure`);
        resolve({ passed: 0, failed: 1, skipped: 0 });
      } else if (code !== 0 && counts.failed === 0) {
        console.log(`${name}: exited ${code} after its tests; counted as one failure`);
        resolve({ ...counts, failed: 1 });
      } else {
        resolve(counts);
      }
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unitOnly = args.includes("--unit");
  const words = args.filter((arg) => !arg.startsWith("--"));
  let files = await findTests(testRoot);
  if (unitOnly) files = files.filter((file) => !needsCluster(file));
  if (words.length) files = files.filter((file) => words.some((word) => relative(testRoot, file).includes(word)));
  // Unit tests first: they need nothing and report even when the cluster cannot start.
  files.sort((a, b) => Number(needsCluster(a)) - Number(needsCluster(b)) || a.localeCompare(b));

  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  let cluster: Cluster | undefined;
  const totals: Counts = { passed: 0, failed: 0, skipped: 0 };
  try {
    for (const file of files) {
      if (needsCluster(file) && !env.KUBECONFIG_FOR_TESTS) {
        if (process.env.TEST_KUBECONFIG) {
          env.KUBECONFIG_FOR_TESTS = process.env.TEST_KUBECONFIG;
        } else {
          cluster = await startCluster({ log: (line) => console.log(line) });
          env.KUBECONFIG_FOR_TESTS = cluster.kubeconfig;
          env.TEST_CLUSTER_DIR = cluster.dir;
          env.TEST_CLUSTER_BIN = join(cluster.binaries.dir, "bin");
        }
        env.KUBECONFIG = env.KUBECONFIG_FOR_TESTS;
      }
      const counts = await runFile(file, env);
      totals.passed += counts.passed;
      totals.failed += counts.failed;
      totals.skipped += counts.skipped;
    }
  } catch (error) {
    console.log(`test run aborted: ${(error as Error).message}`);
    totals.failed += 1;
  } finally {
    await cluster?.stop();
  }
  console.log(
    `\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ""}`,
  );
  if (totals.passed === 0) console.log("no test ran");
  return totals.failed > 0 || totals.passed === 0 ? 1 : 0;
}

if (import.meta.main) process.exitCode = await main();
