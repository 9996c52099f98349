/**
 * One thread of the fused CPU kernel: instantiates the build it is given over the shared region,
 * then runs its entry point (`kernel_run` or `member_run`) whenever the host bumps the command generation. Plain JavaScript so that it
 * starts under Node, tsx and vitest alike.
 */
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

const { build, entry, module, memory, buffer, offset, thread, stackTop, addonPath, ctl: C } = workerData;
let run;
if (build === "native") {
  const addon = createRequire(import.meta.url)(addonPath);
  const view = new Uint8Array(buffer);
  const fn = entry === "member_run" ? addon.memberRun : addon.run;
  run = (steps) => fn(view, offset, thread, steps);
} else {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  instance.exports.__stack_pointer.value = stackTop;
  const fn = instance.exports[entry];
  run = (steps) => fn(offset, thread, steps);
}
const ctl = new Int32Array(buffer, offset, C.words);
let gen = Atomics.load(ctl, C.gen);
parentPort.postMessage("ready");
for (;;) {
  Atomics.wait(ctl, C.gen, gen);
  gen = Atomics.load(ctl, C.gen);
  if (Atomics.load(ctl, C.cmd) === 2) break;
  const rc = run(Atomics.load(ctl, C.steps));
  if (rc !== 0) Atomics.compareExchange(ctl, C.rc, 0, rc);
  Atomics.add(ctl, C.done, 1);
  Atomics.notify(ctl, C.done);
}
parentPort.close();
