import { studyEvents } from "../../events";

// A micro-cache for a study's read aggregates. Many people watching one study (and a 10k-trial
// study's aggregates) would otherwise repeat the same scans; entries are dropped on the study's
// change notification (LISTEN/NOTIFY, the same hint the live page uses) and live at most TTL_MS
// anyway, so a lost notification costs at most that much staleness. Keys always carry the orgId
// resolved by orgProcedure: nothing is shared across tenants.

const TTL_MS = 2000;
const MAX_ENTRIES = 500;

interface Entry {
  at: number;
  version: number;
  value: Promise<unknown>;
}

const versions = new Map<string, number>();
const entries = new Map<string, Entry>();
let listening = false;

function listen() {
  if (listening) return;
  listening = true;
  studyEvents.subscribe((e) => {
    versions.set(e.studyId, (versions.get(e.studyId) ?? 0) + 1);
  });
}

/** `load()` once per (org, study, key) while the study is unchanged; concurrent callers share it. */
export function cachedStudyRead<T>(
  orgId: string,
  studyId: string,
  key: string,
  load: () => Promise<T>,
  now = Date.now(),
): Promise<T> {
  listen();
  const id = `${orgId}\u0000${studyId}\u0000${key}`;
  const version = versions.get(studyId) ?? 0;
  const hit = entries.get(id);
  if (hit && hit.version === version && now - hit.at < TTL_MS) return hit.value as Promise<T>;
  const value = load();
  entries.delete(id);
  entries.set(id, { at: now, version, value });
  value.catch(() => {
    if (entries.get(id)?.value === value) entries.delete(id);
  });
  if (entries.size > MAX_ENTRIES) {
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
  return value;
}
