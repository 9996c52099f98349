/**
 * The device-neutral trainer: one host loop drives any training kernel (kernel/kernel.ts). It builds
 * the members of every trial of a pack (folds × replicas, pseudo-data, splits, initial parameters,
 * per-member settings), steps the kernel from one event to the next (a trial's report point or epoch
 * limit, or the kernel's longest step), and at each event reads the members' state back to report,
 * prune, cancel, end trials (their best parameters and predictions) and compact the stack. Early
 * stopping with best weights runs inside the kernel between events, by the rule of kernel.ts.
 */

import type { KernelBackend, KernelMember, KernelSpec, TrainingKernel } from "../kernel/kernel.ts";
import { initialParameters, parameterLayout } from "../model/mlp.ts";
import { deriveSeed, Stream } from "../rng.ts";
import {
  buildMembers,
  type EnsembleFit,
  type EnsembleSetup,
  packConflict,
  type TrainingOptions,
  TrialCancelledError,
  TrialPrunedError,
} from "./members.ts";

/** One trial of a pack: its ensemble and its own reports, pruning and cancellation. */
export interface PackedTrial {
  setup: EnsembleSetup;
  opts?: TrainingOptions;
}

export interface HostOptions {
  /** Longest run of epochs handed to one kernel step (default: the backend's maxEpochsPerStep). */
  maxEpochsPerStep?: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Shrink the stack when at most this fraction of its members is still training. */
const compactBelow = 0.6;

interface TrialState {
  setup: EnsembleSetup;
  opts: TrainingOptions;
  /** Member indices of this trial in the pack, in buildMembers order. */
  ids: number[];
  running: boolean;
  resolve: (fit: EnsembleFit) => void;
  reject: (err: unknown) => void;
}

/**
 * Train several trials with the same task, architecture (layer sizes, activation) and optimiser kind
 * as one stacked program on `backend`'s kernel: their members (folds × replicas each) share one
 * stack. Everything else is per member: seeds, replicas, folds, training fraction, initializer,
 * dropout rate, learning rate, clipnorm, momentum, positivity, patience, maximum epochs. Each trial
 * reports, is pruned or cancelled on its own (its members are frozen and leave the stack; the
 * others go on unchanged), and its promise settles as soon as its own members have stopped, with the
 * fit it would get trained alone (same seeds → same numbers to float32 rounding of the kernels).
 */
export function trainPackedOn(
  backend: KernelBackend,
  trials: PackedTrial[],
  options: HostOptions = {},
): Promise<EnsembleFit>[] {
  if (trials.length === 0) return [];
  const first = trials[0]!.setup;
  for (const t of trials.slice(1)) {
    const why = packConflict(first, t.setup);
    if (why) throw new Error(`trainPacked: ${why}`);
  }
  const states: TrialState[] = [];
  const promises = trials.map(
    (t) =>
      new Promise<EnsembleFit>((resolve, reject) => {
        states.push({ setup: t.setup, opts: t.opts ?? {}, ids: [], running: true, resolve, reject });
      }),
  );
  // One trial's rejection (pruned, cancelled) is its caller's to handle whenever it awaits that
  // trial; it must not surface as an unhandled rejection while the caller awaits another one.
  for (const p of promises) p.catch(() => undefined);
  void yieldToEventLoop()
    .then(() => runPack(backend, states, options))
    .catch((err: unknown) => {
      for (const t of states) if (t.running) t.reject(err);
    });
  return promises;
}

/**
 * The kernel stack of several packable setups: every setup's members (buildMembers order), their
 * settings and initial parameters, in setup order; `ids[i]` are setup i's member indices.
 */
export function stackSpec(setups: EnsembleSetup[]): { spec: KernelSpec; ids: number[][] } {
  const { task, arch, optimiser } = setups[0]!;
  const layout = parameterLayout(arch);
  const members: KernelMember[] = [];
  const init: Float32Array[] = [];
  const ids = setups.map((setup) =>
    buildMembers(setup).map((m) => {
      members.push({
        member: m,
        settings: {
          optimiser: setup.optimiser,
          dropout: setup.arch.dropout,
          dropoutSeed: deriveSeed(setup.seed, Stream.dropout, m.replica, m.fold),
          positivity: setup.positivity ?? 0,
          patience: setup.patienceEpochs,
        },
      });
      init.push(initialParameters(setup.arch, layout, setup.seed, m.replica));
      return members.length - 1;
    }),
  );
  const params = new Float32Array(members.length * layout.size);
  init.forEach((p, s) => {
    params.set(p, s * layout.size);
  });
  return { spec: { task, arch, layout, optimiser: optimiser.name, members, params }, ids };
}

/** Early-stopping state of every member, mirrored from the kernel at each event (by member index). */
class MemberMirror {
  readonly bestVal: Float64Array;
  readonly bestEpoch: Int32Array;
  readonly stopEpoch: Int32Array;
  readonly active: Uint8Array;
  constructor(S: number) {
    this.bestVal = new Float64Array(S).fill(Number.POSITIVE_INFINITY);
    this.bestEpoch = new Int32Array(S);
    this.stopEpoch = new Int32Array(S);
    this.active = new Uint8Array(S).fill(1);
  }

  async read(kernel: TrainingKernel, stack: number[]): Promise<void> {
    const st = await kernel.state();
    stack.forEach((s, p) => {
      this.bestVal[s] = st.bestValidation[p]!;
      this.bestEpoch[s] = st.bestEpoch[p]!;
      this.stopEpoch[s] = st.stopEpoch[p]!;
      this.active[s] = st.active[p]!;
    });
  }

  activeCount(ids: number[]): number {
    return ids.filter((s) => this.active[s] === 1).length;
  }

  meanBest(ids: number[]): number {
    const finite = ids.map((s) => this.bestVal[s]!).filter(Number.isFinite);
    return finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length);
  }

  /**
   * The epoch a trial's training ended at, once none of its members is active: that of its last
   * member to stop by patience, or `epoch` when the host stopped some (epoch limit).
   */
  endEpoch(ids: number[], epoch: number): number {
    if (this.activeCount(ids) > 0 || ids.some((s) => this.stopEpoch[s] === 0)) return epoch;
    return Math.max(...ids.map((s) => this.stopEpoch[s]!));
  }
}

async function runPack(backend: KernelBackend, trials: TrialState[], options: HostOptions): Promise<void> {
  const { spec, ids } = stackSpec(trials.map((t) => t.setup));
  trials.forEach((t, i) => {
    t.ids = ids[i]!;
  });
  const { members } = spec;
  const P = spec.layout.size;
  const S = members.length;
  const kernel = await backend.create(spec);
  /** Member index at each stack position. */
  let stack = members.map((_, s) => s);
  const mirror = new MemberMirror(S);
  const finalBest = new Float32Array(S * P);
  const maxStep = Math.max(1, options.maxEpochsPerStep ?? backend.maxEpochsPerStep);
  let epoch = 0;
  let lastYield = performance.now();

  const positionsOf = (ids: number[]) => {
    const set = new Set(ids);
    return stack.flatMap((s, p) => (set.has(s) ? [p] : []));
  };
  const saveBest = async (positions: number[]) => {
    if (positions.length === 0) return;
    const best = await kernel.readParameters("best", positions);
    positions.forEach((p, i) => {
      finalBest.set(best.subarray(i * P, (i + 1) * P), stack[p]! * P);
    });
  };
  const stopMembers = (ids: number[]) => {
    const live = ids.filter((s) => mirror.active[s] === 1);
    for (const s of live) mirror.active[s] = 0;
    const positions = positionsOf(live);
    if (positions.length > 0) kernel.freeze(positions);
  };
  // a trial that ended leaves only frozen rows: they go at the next compaction
  let trialEnded = false;
  const end = (t: TrialState, outcome: { fit: EnsembleFit } | { error: unknown }) => {
    t.running = false;
    trialEnded = true;
    stopMembers(t.ids);
    if ("fit" in outcome) t.resolve(outcome.fit);
    else t.reject(outcome.error);
  };

  try {
    for (;;) {
      for (const t of trials)
        if (t.running && t.opts.signal?.aborted) end(t, { error: new TrialCancelledError(epoch) });
      const running = trials.filter((t) => t.running);
      if (running.length === 0) break;
      // the next event: a running trial's report point or epoch limit, or the kernel's longest step
      const next = Math.min(
        epoch + maxStep,
        ...running.map((t) =>
          Math.min(t.setup.maxEpochs, (Math.floor(epoch / t.setup.reportEvery) + 1) * t.setup.reportEvery),
        ),
      );
      await kernel.step(next - epoch);
      epoch = next;
      await mirror.read(kernel, stack);
      for (const t of running) if (epoch >= t.setup.maxEpochs) stopMembers(t.ids);
      // report every n epochs, and once more when early stopping ends training between reports
      const ended = new Map<TrialState, number>();
      await Promise.all(
        running.map(async (t) => {
          const active = mirror.activeCount(t.ids);
          const at = active === 0 ? mirror.endEpoch(t.ids, epoch) : epoch;
          if (active === 0) ended.set(t, at);
          const last = at === t.setup.maxEpochs || active === 0;
          if (!t.opts.onReport || !(at % t.setup.reportEvery === 0 || last)) return;
          try {
            const prune = await t.opts.onReport({
              epoch: at,
              value: mirror.meanBest(t.ids),
              activeReplicas: active,
            });
            if (prune === true) end(t, { error: new TrialPrunedError(at) });
          } catch (err) {
            end(t, { error: err });
          }
        }),
      );
      const finished = running.filter((t) => t.running && ended.has(t));
      if (finished.length > 0) {
        await saveBest(positionsOf(finished.flatMap((t) => t.ids)));
        for (const t of finished) {
          if (t.opts.signal?.aborted) end(t, { error: new TrialCancelledError(epoch) });
          else end(t, { fit: await trialFit(kernel, t, members, finalBest, P, mirror, ended.get(t)!) });
        }
      }
      // the last trial has ended: release everything before its caller resumes
      if (!trials.some((t) => t.running)) break;
      const keep = stack.flatMap((s, p) => (mirror.active[s] === 1 ? [p] : []));
      if (
        keep.length > 0 &&
        keep.length < stack.length &&
        (trialEnded || keep.length <= compactBelow * stack.length)
      ) {
        await saveBest(stack.flatMap((s, p) => (mirror.active[s] === 1 ? [] : [p])));
        await kernel.compact(keep);
        stack = keep.map((p) => stack[p]!);
        trialEnded = false;
      }
      if (performance.now() - lastYield > 25) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
  } finally {
    kernel.dispose();
  }
}

/** One trial's fit from its members' best parameters (in `best`, indexed by member). */
async function trialFit(
  kernel: TrainingKernel,
  t: TrialState,
  members: KernelMember[],
  best: Float32Array,
  P: number,
  mirror: MemberMirror,
  epochs: number,
): Promise<EnsembleFit> {
  const { ids } = t;
  const parameters = ids.map((s) => best.slice(s * P, (s + 1) * P));
  const own = new Float32Array(ids.length * P);
  parameters.forEach((p, i) => {
    own.set(p, i * P);
  });
  const { predictions, outputs } = await kernel.predict(own);
  const N = predictions.length / ids.length;
  const GF = outputs.length / ids.length;
  return {
    members: ids.map((s) => members[s]!.member),
    predictions: ids.map((_, i) => Float64Array.from(predictions.subarray(i * N, (i + 1) * N))),
    outputs: ids.map((_, i) => Float64Array.from(outputs.subarray(i * GF, (i + 1) * GF))),
    bestValidationChi2: ids.map((s) => mirror.bestVal[s]!),
    bestEpoch: ids.map((s) => mirror.bestEpoch[s]!),
    epochs,
    parameters,
  };
}

/** Train one trial's ensemble (K folds × R replicas stacked) on `backend`'s kernel. */
export function trainOn(
  backend: KernelBackend,
  setup: EnsembleSetup,
  opts: TrainingOptions = {},
  options: HostOptions = {},
): Promise<EnsembleFit> {
  return trainPackedOn(backend, [{ setup, opts }], options)[0]!;
}
