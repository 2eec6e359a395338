// A unary Connect call with JSON, made by curl (the real client users reach for): POSTs the body
// to the URL and returns the HTTP status and the parsed answer ({} for an empty body).
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function curlJson(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const { stdout } = await run("curl", [
    "-sS",
    "-H",
    "Content-Type: application/json",
    "-d",
    JSON.stringify(body),
    "-w",
    "\n%{http_code}",
    url,
  ]);
  const newline = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(newline + 1)), json: JSON.parse(stdout.slice(0, newline) || "{}") };
}
