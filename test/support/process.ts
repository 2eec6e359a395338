// For tests that run a program as a process: a free loopback port, and what the program
// writes, collected for the whole run, with a way to wait for a line.
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** A port free on 127.0.0.1 right now (bound, then released); nothing listens on it until someone does. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Output {
  /** Everything written to stdout and stderr so far, as it arrived. */
  text(): string;
  /** Resolves once the output matches; rejects, quoting it, if the process exits first or timeoutMs passes. */
  waitFor(pattern: RegExp, timeoutMs: number, what: string): Promise<void>;
}

/** Collects a child's stdout and stderr (those that are pipes) from now until it exits. */
export function outputOf(child: ChildProcess): Output {
  let text = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk;
    for (const check of waiters) check();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return {
    text: () => text,
    waitFor: (pattern, timeoutMs, what) =>
      new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off("exit", onExit);
          if (error) reject(error);
          else resolve();
        };
        const check = () => pattern.test(text) && done();
        const onExit = (code: number | null) =>
          done(new Error(`exited with ${code} before ${what}:\n${text.slice(-4000)}`));
        const timer = setTimeout(
          () => done(new Error(`${what}: not within ${timeoutMs} ms:\n${text.slice(-4000)}`)),
          timeoutMs,
        );
        waiters.add(check);
        child.on("exit", onExit);
        check();
      }),
  };
}
