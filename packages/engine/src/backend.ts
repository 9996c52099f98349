import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";

/** Fastest first. tensorflow and webgpu count only when their packages resolve and initialise. */
export const backendPreference: BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

const optionalPackage: Partial<Record<BackendName, string>> = {
  tensorflow: "@tensorflow/tfjs-node-gpu",
  webgpu: "@tensorflow/tfjs-backend-webgpu",
};

const available = new Map<BackendName, boolean>();

async function tryBackend(name: BackendName): Promise<boolean> {
  const cached = available.get(name);
  if (cached === false) return false;
  const pkg = optionalPackage[name];
  if (pkg) {
    try {
      // A variable specifier keeps bundlers and the type checker from requiring the optional package.
      await import(/* @vite-ignore */ pkg);
    } catch {
      available.set(name, false);
      return false;
    }
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    if (ok) await tf.ready();
  } catch {
    ok = false;
  }
  ok = ok && tf.getBackend() === name;
  available.set(name, ok);
  return ok;
}

/**
 * Switch TensorFlow.js to the preferred backend when it works, else to the fastest one present, and
 * return the name of the backend that is active (setBackend's return value is checked: a backend that
 * fails to initialise does not count).
 */
export async function selectBackend(preferred?: string): Promise<string> {
  const order = [...backendPreference];
  if (preferred && (order as string[]).includes(preferred)) {
    order.splice(order.indexOf(preferred as BackendName), 1);
    order.unshift(preferred as BackendName);
  }
  for (const name of order) {
    if (tf.getBackend() === name && available.get(name)) return name;
    if (await tryBackend(name)) return name;
  }
  throw new Error("no TensorFlow.js backend could be initialised");
}
