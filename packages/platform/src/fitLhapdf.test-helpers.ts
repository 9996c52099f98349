import { expect } from "vitest";

/** A reader of the lhagrid1 format written from its description (not from our writer): x·f per (x, Q, pid). */
export function readMember(text: string): {
  xs: number[];
  qs: number[];
  pids: number[];
  xf: (ix: number, iq: number, k: number) => number;
  meta: string;
} {
  const blocks = text.split(/^---$/m);
  const lines = blocks[1]!.trim().split("\n");
  const nums = (l: string) => l.trim().split(/\s+/).map(Number);
  const xs = nums(lines[0]!);
  const qs = nums(lines[1]!);
  const pids = nums(lines[2]!);
  const rows = lines.slice(3).map(nums);
  expect(rows).toHaveLength(xs.length * qs.length);
  return { xs, qs, pids, xf: (ix, iq, k) => rows[ix * qs.length + iq]![k]!, meta: blocks[0]! };
}
