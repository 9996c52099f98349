import { readFileSync, readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/**
 * Lower the calling thread's scheduling priority (its nice value), on Linux, and return its thread
 * id; null where that cannot be done (another OS, no /proc). For background work that shares a
 * machine with a latency-sensitive thread: the web's dataset validation worker yields the cores to
 * the event loop and Postgres, so 50 other clients are not slowed while a large upload factorises.
 * On Linux setpriority(PRIO_PROCESS, tid) applies to that one thread; /proc/thread-self names it.
 */
export function lowerThreadPriority(nice: number): number | null {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    setPriority(tid, nice);
    return tid;
  } catch {
    return null;
  }
}

/** A thread's nice value from /proc (Linux), for tests and diagnostics; null where unreadable. */
export function threadNice(tid: number): number | null {
  try {
    // Fields after the parenthesised command name: state is the first, nice the 17th.
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[16]);
  } catch {
    return null;
  }
}
