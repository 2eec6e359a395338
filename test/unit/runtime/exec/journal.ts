// An actions journal in memory, standing in for the parent's annotation and shared by the
// runners of successive leadership terms, for the ActionRunner's tests.
import type { ActionJournal, JournalRecord } from "../../../../runtime/exec/actions.ts";

/** The journal, the phases each write held (by id), and the records as they are now. */
export function memoryJournal() {
  let records: Record<string, JournalRecord> = {};
  const writes: Array<Record<string, string>> = [];
  const journal: ActionJournal = {
    read: () => structuredClone(records),
    write: async (_key, _parent, next) => {
      records = structuredClone(next);
      writes.push(Object.fromEntries(Object.entries(next).map(([id, record]) => [id, record.phase])));
    },
  };
  return { journal, writes, records: () => records };
}
