// Runs the actions controllers answer (commands in pods and HTTP requests, see Action in
// controller.ts) and remembers their results per parent until the function stops answering them. An id runs
// once at a time and never again after it succeeded; a failed one runs again after a
// backoff while it is still answered. At most `concurrency` run at once per controller;
// each end syncs its parent again. Output is bounded by the exec client; the number of
// actions per parent by the validator. Only the leader starts anything.
import type { Action, ActionResult, CommandAction, HttpAction } from "../controller.ts";
import type { EventRecorder } from "../events.ts";
import type { Exec, ExecOutcome } from "./exec.ts";
import { type HttpOutcome, type HttpSender, methodOf, sendHttp } from "./http.ts";
import { clip } from "./protocol.ts";
import type { KubeObject } from "../kube/objects.ts";
import { rfc3339 } from "../kube/time.ts";
import type { Logger } from "../log.ts";
import { failedWith, noTrace, type TraceContext, traced } from "../trace.ts";

/** Actions one controller runs at once. */
export const defaultActionConcurrency = 8;
export const defaultActionTimeoutSeconds = 60;
/** A failed action's first retry waits this long; each further one twice as long, up to the maximum. */
export const actionBackoffBaseMs = 1_000;
export const actionBackoffMaxMs = 300_000;
/** Characters of stderr an Event quotes. */
export const eventStderrChars = 300;

export function actionBackoffMs(attempt: number): number {
  return Math.min(actionBackoffMaxMs, actionBackoffBaseMs * 2 ** Math.max(0, attempt - 1));
}

/** Where a sync's actions go and its results come from (the runner's ActionRunner of the current term). */
export interface ActionPort {
  /** The results for the parent's next request; `parent` carries those a previous leader recorded. */
  results(key: string, parent?: KubeObject): Record<string, ActionResult>;
  /** `trace` is the context of the sync that answered them: each run is a span under it. */
  submit(key: string, parent: KubeObject, actions: readonly Action[], trace?: TraceContext): void;
  forget(key: string): void;
}

interface Entry {
  action: Action;
  result: ActionResult;
  /** Answered by the parent's latest sync. */
  wanted: boolean;
  /** Shown to the function at least once since it last changed. */
  delivered: boolean;
  timer?: unknown;
  queued?: boolean;
  /** The sync that last answered it: its runs' spans are children of that sync's. */
  trace: TraceContext;
  /** On the parent's journal (so dropping it rewrites the journal). */
  journaled?: boolean;
}

interface ParentState {
  parent: KubeObject;
  entries: Map<string, Entry>;
}

/**
 * What a runner keeps on each parent so the next leader knows what ran: each action's result
 * (output clipped to journalOutputChars) and the term that started it. A parent's journal is
 * written before each command starts and after it ends.
 */
export interface ActionJournal {
  /** The records on the parent as the cache holds it, by action id. */
  read(parent: KubeObject): Record<string, JournalRecord>;
  /** Replaces the parent's records (none removes them); throws when this replica may not write. */
  write(key: string, parent: KubeObject, records: Record<string, JournalRecord>): Promise<void>;
}

/** One action's result as a journal keeps it, with the leadership term that ran it. */
export interface JournalRecord extends ActionResult {
  term: string;
}

/** Characters of stdout and of stderr a journal record keeps (their ends). */
export const journalOutputChars = 512;

export interface ActionRunnerOptions {
  exec: Exec;
  /** Sends HTTP actions; fetch unless given. */
  http?: HttpSender;
  /** Reads the headers of a Secret in a namespace (HttpRequest.headersFromSecret); throws saying why it cannot. */
  secretHeaders?: (namespace: string, name: string) => Promise<Record<string, string>>;
  /** Counts each run's end and times it. */
  observe?: (type: ActionType, result: ActionResult, seconds: number) => void;
  /** Keeps results on the parents, for the next leader; without one they live in memory only. */
  journal?: ActionJournal;
  /** Queues the parent for another sync. */
  requeue(key: string): void;
  events: EventRecorder;
  log: Logger;
  canRun(): boolean;
  concurrency?: number;
  now?: () => Date;
  /** Timers for delays and backoffs (tests give a fake clock). */
  timers?: Timers;
}

/** What an action runs: a command in a pod or an HTTP request. */
export type ActionType = "command" | "http";

export function actionType(action: Action): ActionType {
  return action.http ? "http" : "command";
}

export interface Timers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class ActionRunner implements ActionPort {
  readonly #options: ActionRunnerOptions;
  readonly #parents = new Map<string, ParentState>();
  readonly #ready: Array<[string, Entry]> = [];
  readonly #stopping = new AbortController();
  /** This runner's leadership term, in the journal's records of the commands it starts. */
  readonly #term = Math.random().toString(36).slice(2, 10);
  #inFlight = 0;
  /** Each parent's last journal write, queued behind the one before it. */
  readonly #recording = new Map<string, Promise<void>>();

  constructor(options: ActionRunnerOptions) {
    this.#options = options;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** The results for the parent's next request (copies), marking them as seen. */
  results(key: string, parent?: KubeObject): Record<string, ActionResult> {
    if (parent && this.#options.journal) this.#adopt(key, parent);
    const results: Record<string, ActionResult> = {};
    for (const [id, entry] of this.#parents.get(key)?.entries ?? []) {
      results[id] = structuredClone(entry.result);
      entry.delivered = true;
    }
    return results;
  }

  /**
   * Takes over what a previous leader recorded on the parent and this runner does not know:
   * finished results as they were, and a command started in another term and never recorded
   * as ended as Failed and interrupted (whether it ran to the end is unknown).
   */
  #adopt(key: string, parent: KubeObject): void {
    const records = this.#options.journal!.read(parent);
    let state = this.#parents.get(key);
    for (const [id, record] of Object.entries(records)) {
      if (state?.entries.has(id)) continue;
      const { term, ...recorded } = record;
      if (recorded.phase === "Pending" || (recorded.phase === "Running" && term === this.#term)) continue;
      const result: ActionResult = recorded.phase === "Running"
        ? {
          ...recorded,
          phase: "Failed",
          interrupted: true,
          error: "interrupted: the replica that ran it stopped leading before recording its end",
        }
        : recorded;
      state ??= { parent, entries: new Map() };
      this.#parents.set(key, state);
      const action: Action = result.http
        ? { id, http: { method: result.http.method as HttpAction["http"]["method"], url: result.http.url } }
        : {
          id,
          pod: result.pod ?? "",
          command: result.command ?? [],
          ...(result.container ? { container: result.container } : {}),
        };
      state.entries.set(id, { action, result, wanted: false, delivered: false, trace: noTrace, journaled: true });
    }
  }

  /**
   * Writes the parent's journal: every entry that has started, as it is when the write goes out.
   * A parent's writes go one at a time, so an older record never lands after a newer one (two
   * commands starting together would otherwise race, and the loser's start could be lost).
   */
  #record(key: string): Promise<void> {
    const asked = this.#parents.get(key);
    const previous = this.#recording.get(key) ?? Promise.resolve();
    // The parent's state as it is by then (or as it was, when the parent has no entries left).
    const next = previous.catch(() => undefined).then(() => this.#writeJournal(key, this.#parents.get(key) ?? asked));
    this.#recording.set(key, next);
    const settle = () => {
      if (this.#recording.get(key) === next) this.#recording.delete(key);
    };
    next.then(settle, settle);
    return next;
  }

  async #writeJournal(key: string, state: ParentState | undefined): Promise<void> {
    const journal = this.#options.journal;
    if (!journal || !state) return;
    const records: Record<string, JournalRecord> = {};
    for (const [id, entry] of state.entries) {
      if (entry.result.phase === "Pending") continue;
      records[id] = {
        ...entry.result,
        stdout: entry.result.stdout.slice(-journalOutputChars),
        stderr: entry.result.stderr.slice(-journalOutputChars),
        ...(entry.result.body !== undefined ? { body: entry.result.body.slice(0, journalOutputChars) } : {}),
        term: this.#term,
      };
      entry.journaled = true;
    }
    await journal.write(key, state.parent, records);
  }

  /** Takes a sync's answer once its writes are done: starts new actions, retries failed ones, forgets the rest. */
  submit(key: string, parent: KubeObject, actions: readonly Action[], trace: TraceContext = noTrace): void {
    let state = this.#parents.get(key);
    if (!state && actions.length === 0) return;
    state ??= { parent, entries: new Map() };
    state.parent = parent;
    this.#parents.set(key, state);
    const answered = new Map(actions.map((action) => [action.id, action]));
    let journalChanged = false;
    for (const [id, entry] of state.entries) {
      if (answered.has(id)) continue;
      entry.wanted = false;
      const finished = entry.result.phase === "Succeeded" || entry.result.phase === "Failed";
      if (entry.result.phase === "Pending" || (finished && entry.delivered)) {
        journalChanged ||= entry.journaled === true;
        this.#drop(state, id, entry);
      }
    }
    for (const [id, action] of answered) {
      const entry = state.entries.get(id);
      if (!entry) {
        const created: Entry = { action, result: pendingResult(action), wanted: true, delivered: false, trace };
        state.entries.set(id, created);
        this.#schedule(key, created, (action.delaySeconds ?? 0) * 1000);
      } else {
        entry.wanted = true;
        entry.trace = trace;
        if (entry.result.phase === "Failed" && entry.timer === undefined && !entry.queued) {
          entry.action = action;
          const since = Date.parse(entry.result.finishedAt ?? "") || this.#now().getTime();
          this.#schedule(
            key,
            entry,
            Math.max(0, since + actionBackoffMs(entry.result.attempt) - this.#now().getTime()),
          );
        }
      }
    }
    if (journalChanged && this.#options.canRun()) {
      this.#record(key).catch((error: Error) =>
        this.#options.log.debug("could not update the actions journal", { key, error: error.message })
      );
    }
    if (state.entries.size === 0) this.#parents.delete(key);
    this.#pump();
  }

  /** The parent is gone: nothing more is started for it and its results are dropped. */
  forget(key: string): void {
    const state = this.#parents.get(key);
    if (!state) return;
    for (const [id, entry] of state.entries) this.#drop(state, id, entry);
    this.#parents.delete(key);
  }

  /** Stops starting actions and abandons running ones (leadership lost, shutdown). */
  stop(): void {
    this.#stopping.abort();
    for (const key of [...this.#parents.keys()]) this.forget(key);
    this.#ready.length = 0;
  }

  #drop(state: ParentState, id: string, entry: Entry): void {
    if (entry.timer !== undefined) this.#timers.clear(entry.timer);
    entry.timer = undefined;
    entry.wanted = false;
    state.entries.delete(id);
  }

  #schedule(key: string, entry: Entry, delayMs: number): void {
    if (delayMs <= 0) return this.#enqueue(key, entry);
    entry.timer = this.#timers.set(() => {
      entry.timer = undefined;
      if (entry.wanted) this.#enqueue(key, entry);
    }, delayMs);
  }

  #enqueue(key: string, entry: Entry): void {
    if (this.#stopping.signal.aborted) return;
    entry.queued = true;
    this.#ready.push([key, entry]);
    this.#pump();
  }

  #pump(): void {
    const limit = this.#options.concurrency ?? defaultActionConcurrency;
    while (this.#inFlight < limit && this.#ready.length && this.#options.canRun()) {
      const [key, entry] = this.#ready.shift()!;
      entry.queued = false;
      // Dropped or no longer answered while it waited.
      if (!entry.wanted || this.#parents.get(key)?.entries.get(entry.action.id) !== entry) continue;
      this.#inFlight++;
      void this.#run(key, entry).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #run(key: string, entry: Entry): Promise<void> {
    const { action } = entry;
    const namespace = this.#parents.get(key)!.parent.metadata.namespace ?? "default";
    entry.result = {
      ...pendingResult(action),
      phase: "Running",
      attempt: entry.result.attempt + 1,
      startedAt: rfc3339(this.#now()),
    };
    entry.delivered = false;
    try {
      // The next leader must know this command may have run, before it runs.
      await this.#record(key);
    } catch (error) {
      if (this.#stopping.signal.aborted || this.#parents.get(key)?.entries.get(action.id) !== entry) return;
      entry.result = {
        ...entry.result,
        phase: "Failed",
        error: `not started: its start could not be recorded on the parent: ${(error as Error).message}`,
        finishedAt: rfc3339(this.#now()),
      };
      this.#options.requeue(key);
      return;
    }
    const timeoutMs = (action.timeoutSeconds ?? defaultActionTimeoutSeconds) * 1000;
    const started = performance.now();
    const attributes = {
      "kubefn.action.id": action.id,
      "kubefn.action.attempt": entry.result.attempt,
      "k8s.namespace.name": namespace,
      ...(action.http
        ? { "http.request.method": methodOf(action.http), "url.full": action.http.url }
        : { "k8s.pod.name": action.pod, ...(action.container ? { "k8s.container.name": action.container } : {}) }),
    };
    const outcome = await traced(`action ${action.id}`, entry.trace, attributes, async (_, span) => {
      const outcome: Partial<ExecOutcome & HttpOutcome> = action.http
        ? await this.#send(namespace, action, timeoutMs)
        : await this.#exec(namespace, action, timeoutMs);
      if (outcome.exitCode !== undefined) span.setAttribute("process.exit.code", outcome.exitCode);
      if (outcome.statusCode !== undefined) span.setAttribute("http.response.status_code", outcome.statusCode);
      if (!succeededWith(action, outcome)) {
        failedWith(span, describeFailure({ stderr: "", timedOut: false, ...outcome }));
      }
      return outcome;
    });
    const state = this.#parents.get(key);
    if (this.#stopping.signal.aborted || state?.entries.get(action.id) !== entry) return;
    const succeeded = succeededWith(action, outcome);
    entry.result = {
      ...entry.result,
      ...outcome,
      phase: succeeded ? "Succeeded" : "Failed",
      finishedAt: rfc3339(this.#now()),
    };
    entry.delivered = false;
    this.#options.observe?.(actionType(action), entry.result, (performance.now() - started) / 1000);
    this.#report(state.parent, entry.result, action);
    await this.#record(key).catch((error: Error) =>
      this.#options.log.warn("could not record an action's end on its parent", {
        key,
        id: action.id,
        error: error.message,
      })
    );
    this.#options.requeue(key);
  }

  async #exec(namespace: string, action: CommandAction, timeoutMs: number): Promise<ExecOutcome> {
    try {
      return await this.#options.exec({
        namespace,
        pod: action.pod,
        container: action.container,
        command: action.command,
        timeoutMs,
        signal: this.#stopping.signal,
      });
    } catch (error) {
      return { stdout: "", stderr: "", truncated: false, timedOut: false, error: (error as Error).message };
    }
  }

  async #send(namespace: string, action: HttpAction, timeoutMs: number): Promise<HttpOutcome> {
    let secretHeaders: Record<string, string> | undefined;
    const secret = action.http.headersFromSecret;
    if (secret) {
      try {
        if (!this.#options.secretHeaders) throw new Error("this runner reads no Secrets");
        secretHeaders = await this.#options.secretHeaders(namespace, secret);
      } catch (error) {
        return {
          body: "",
          truncated: false,
          timedOut: false,
          error: `not sent: reading the headers of Secret ${secret}: ${(error as Error).message}`,
        };
      }
    }
    const send = this.#options.http ?? sendHttp;
    return await send({
      request: action.http,
      idempotencyKey: action.id,
      secretHeaders,
      timeoutMs,
      signal: this.#stopping.signal,
    });
  }

  #report(parent: KubeObject, result: ActionResult, action: Action): void {
    const { events, log } = this.#options;
    if (result.phase === "Succeeded") {
      log.debug("action succeeded", { parent: parent.metadata.name, id: action.id, exitCode: result.exitCode });
      if (action.events?.succeeded) {
        events.record(
          parent,
          "Normal",
          action.events.succeeded.reason,
          eventAction(action),
          action.events.succeeded.note,
        );
      }
      return;
    }
    const failed = action.events?.failed ?? { reason: "ActionFailed", note: describeAction(action) };
    const how = describeFailure(result);
    log.info("action failed", { parent: parent.metadata.name, id: action.id, attempt: result.attempt, result: how });
    events.record(parent, "Warning", failed.reason, eventAction(action), `${failed.note}: ${how}`);
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  get #timers(): Timers {
    return this.#options.timers ?? realTimers;
  }
}

function succeededWith(action: Action, outcome: Partial<ExecOutcome & HttpOutcome>): boolean {
  if (action.http) {
    const status = outcome.statusCode;
    if (status === undefined) return false;
    return action.http.successStatusCodes
      ? action.http.successStatusCodes.includes(status)
      : status >= 200 && status < 300;
  }
  return outcome.exitCode !== undefined && (action.successExitCodes ?? [0]).includes(outcome.exitCode);
}

/** The Event's action: "Exec" for a command, "Request" for an HTTP request. */
function eventAction(action: Action): string {
  return action.http ? "Request" : "Exec";
}

/** "POST https://example.com/hook" or "<command> in pod <pod>". */
function describeAction(action: Action): string {
  return action.http
    ? `${methodOf(action.http)} ${action.http.url}`
    : `${action.command.join(" ")} in pod ${action.pod}`;
}

function pendingResult(action: Action): ActionResult {
  const what = action.http ? { http: { method: methodOf(action.http), url: action.http.url } } : {
    pod: action.pod,
    ...(action.container ? { container: action.container } : {}),
    command: [...action.command],
  };
  return {
    id: action.id,
    ...what,
    phase: "Pending",
    attempt: 0,
    stdout: "",
    stderr: "",
    truncated: false,
    timedOut: false,
  };
}

/** "exit code 7: <stderr, trimmed>", "HTTP 503: <body, trimmed>", "timed out after 60 s", or the error. */
export function describeFailure(
  result: Pick<ActionResult, "exitCode" | "stderr" | "timedOut" | "error" | "statusCode" | "body">,
): string {
  const stderr = oneLine(result.stderr);
  if (result.timedOut) return result.error ?? "timed out";
  if (result.exitCode !== undefined) return `exit code ${result.exitCode}${stderr ? `: ${stderr}` : ""}`;
  if (result.statusCode !== undefined) {
    const body = oneLine(result.body ?? "");
    return `HTTP ${result.statusCode}${body ? `: ${body}` : ""}`;
  }
  return `${result.error ?? "failed"}${stderr ? `: ${stderr}` : ""}`;
}

/** Output as an Event quotes it: one line, its whitespace runs made single spaces, at most eventStderrChars. */
function oneLine(text: string): string {
  return clip(text.trim().replace(/\s+/g, " "), eventStderrChars);
}
