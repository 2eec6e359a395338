// Writes a benchmark's results as JSON and as a Markdown table, with the command that made them.
import { mkdirSync, writeFileSync } from "node:fs";
import { arch, cpus, totalmem } from "node:os";
import { join } from "node:path";

export interface Report {
  name: string;
  command: string;
  rows: Array<Record<string, string | number>>;
  notes?: string[];
  /** When the measurements were taken, if not now (a saved run summarized again). */
  date?: string;
}

const resultsDir = join(import.meta.dirname, "results");

export function writeReport(report: Report): void {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"} (${arch()}), ${
    (totalmem() / 2 ** 30).toFixed(0)
  } GiB, Node ${process.versions.node}`;
  const json = { ...report, machine, date: report.date ?? new Date().toISOString() };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${report.name}.json`), JSON.stringify(json, null, 2) + "\n");
  const columns = Object.keys(report.rows[0] ?? {});
  const lines = [
    `# ${report.name}`,
    "",
    `Command: \`${report.command}\``,
    "",
    `Machine: ${machine}; run ${json.date}`,
    "",
    `| ${columns.join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...report.rows.map((row) => `| ${columns.map((column) => String(row[column])).join(" | ")} |`),
    ...(report.notes?.length ? ["", ...report.notes.map((note) => `- ${note}`)] : []),
    "",
  ];
  writeFileSync(join(resultsDir, `${report.name}.md`), lines.join("\n"));
  console.log(JSON.stringify(json));
  console.log(lines.join("\n"));
}
