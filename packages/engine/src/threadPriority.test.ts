import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { threadNice } from "./threadPriority.ts";

const linux = existsSync("/proc/thread-self");

describe.runIf(linux)("lowerThreadPriority (Linux)", () => {
  it("lowers the worker thread's priority and leaves the main thread's alone", async () => {
    const moduleUrl = new URL("./threadPriority.ts", import.meta.url).href;
    const worker = new Worker(
      `const { parentPort } = require("node:worker_threads");
       import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); })
         .then((m) => { parentPort.postMessage(m.lowerThreadPriority(10)); parentPort.once("message", () => process.exit(0)); });`,
      { eval: true },
    );
    const tid = await new Promise<number | null>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    expect(tid).toBeGreaterThan(0);
    const before = threadNice(process.pid);
    expect(threadNice(tid as number)).toBe(Math.max(10, before ?? 0));
    expect(threadNice(process.pid)).toBe(before);
    worker.postMessage("done");
    await new Promise((resolve) => worker.once("exit", resolve));
  }, 60_000);
});
