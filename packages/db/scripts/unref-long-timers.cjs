// Preloaded (node --require) into the Prisma CLI. Prisma 6.19's wasm schema engine leaves 10 s and
// 60 s timers armed after a command succeeds, so the CLI would linger for a minute. Long timers
// never carry work we wait for, so they must not keep the process alive.
const LONG_TIMER_MS = 5000;
const originalSetTimeout = globalThis.setTimeout;
const originalSetInterval = globalThis.setInterval;
function unrefIfLong(timer, ms) {
  if (typeof ms === "number" && ms >= LONG_TIMER_MS && timer && typeof timer.unref === "function")
    timer.unref();
  return timer;
}
globalThis.setTimeout = Object.assign(function setTimeout(fn, ms, ...args) {
  return unrefIfLong(originalSetTimeout(fn, ms, ...args), ms);
}, originalSetTimeout);
globalThis.setInterval = Object.assign(function setInterval(fn, ms, ...args) {
  return unrefIfLong(originalSetInterval(fn, ms, ...args), ms);
}, originalSetInterval);
