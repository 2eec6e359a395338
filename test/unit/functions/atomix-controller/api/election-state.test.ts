// The election's state transitions, as data in and data out.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type Candidate,
  entering,
  leaving,
  nextState,
} from "../../../../../functions/atomix-controller/api/election-state.ts";
import { expiryMs as candidateExpiryMs } from "../../../../../functions/atomix-controller/api/liveness.ts";

const now = 1_000_000;
const c = (id: string, renewed = now): Candidate => ({ id, replica: "r", renewed });
const state = (term: number, primary: string, list: Candidate[]) => ({
  term,
  primary,
  candidates: list.map((x) => x.id),
  list,
});
const add = (id: string) => (list: Candidate[]) => [...list, c(id)];
const remove = (id: string) => (list: Candidate[]) => list.filter((x) => x.id !== id);

const steps: Array<[string, ReturnType<typeof state>, (list: Candidate[]) => Candidate[], number, string, string[]]> = [
  ["the first candidate starts term 1", state(0, "", []), add("a"), 1, "a", ["a"]],
  ["a second candidate keeps the term", state(1, "a", [c("a")]), add("b"), 1, "a", ["a", "b"]],
  ["entry order is kept", state(1, "a", [c("a"), c("b")]), add("c"), 1, "a", ["a", "b", "c"]],
  ["the primary leaving starts the next term", state(1, "a", [c("a"), c("b"), c("c")]), remove("a"), 2, "b", [
    "b",
    "c",
  ]],
  ["a backup leaving keeps the term", state(2, "b", [c("b"), c("c")]), remove("c"), 2, "b", ["b"]],
  ["the last leaving leaves no primary and keeps the count", state(2, "b", [c("b")]), remove("b"), 2, "", []],
  ["a candidate after a vacancy is a new term", state(2, "", []), add("b"), 3, "b", ["b"]],
  [
    "an expired primary is dropped and the next takes over",
    state(4, "x", [c("x", now - candidateExpiryMs - 1), c("y")]),
    (l) => l,
    5,
    "y",
    ["y"],
  ],
  // A client that reconnects: its entry is taken over where it stands, and its old stream's
  // leaving (from the replica that served it) no longer removes it.
  [
    "a candidate entering again keeps its place and term",
    state(3, "a", [c("a"), c("b")]),
    entering("a", "r2", now),
    3,
    "a",
    ["a", "b"],
  ],
  [
    "leaving by a replica that no longer serves the candidate keeps it",
    state(3, "a", [{ id: "a", replica: "r2", renewed: now }, c("b")]),
    leaving("a", "r"),
    3,
    "a",
    ["a", "b"],
  ],
  ["leaving by the replica that serves it removes it", state(3, "a", [c("a"), c("b")]), leaving("a", "r"), 4, "b", [
    "b",
  ]],
];

test("entering again moves the candidate to the entering replica and renews it", () => {
  const stale = now - candidateExpiryMs + 1;
  const next = nextState(state(3, "a", [c("a", stale), c("b")]), entering("a", "r2", now), now);
  assert.equal(next.list[0], { id: "a", replica: "r2", renewed: now });
});

for (const [title, current, change, term, primary, candidates] of steps) {
  test(title, () => {
    const next = nextState(current, change, now);
    assert.equal([next.term, next.primary, next.list.map((x) => x.id)], [term, primary, candidates]);
  });
}

test.run();
