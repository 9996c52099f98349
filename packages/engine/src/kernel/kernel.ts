/**
 * The training kernel: what one device does for a stack of members, and nothing else.
 *
 * The device-neutral host (train/host.ts) owns members (folds × replicas × packed trials), their
 * pseudo-data and splits, reports, pruning, cancellation, epoch limits and when to compact. A kernel
 * owns the numbers of a stack of S members between report points: parameters, optimiser state,
 * dropout streams and the per-member early-stopping bookkeeping. It is read back only when the host
 * asks (`state`, `readParameters`), so a kernel on another device or on worker threads
 * keeps everything on its side for `step(k)`.
 *
 * Implementations: TF.js (kernel/tfjs.ts, the numerical reference), the WGSL kernels (webgpu/kernel.ts,
 * GPU and Mesa llvmpipe), the fused CPU kernel. The CPU kernel plugs in as the module
 * kernel/cpu/backend.ts exporting `cpuKernelBackend: KernelBackend` (kind "cpu", `available()` false
 * where neither its native addon nor its WebAssembly build loads): kernel/select.ts (auto selection,
 * ENGINE_TRAINER=cpu, the CLI's --engine cpu) and the conformance suite (kernel/conformance.test.ts,
 * which runs over every kernel present) load it when it exists. Float64 references for tests:
 * testing/training.ts.
 *
 * ## What every call must compute (the reference is the TF.js kernel; float32 storage)
 *
 * Notation: member s (stack position p), parameters θ_s in the flat layout of model/layout.ts
 * `parameterLayout` (per layer: kernel [fanIn][fanOut] row-major, then bias [fanOut]; then α [F] and
 * β [F] when the architecture has preprocessing). G model rows x_g ∈ R^D (task.modelInputs), F
 * outputs, N data points.
 *
 * Network: a_0 = x_g; a_{l+1} = act(a_l W_l + b_l) for hidden layers (act: tanh, sigmoid, relu,
 * linear), then dropout (training pass only) a_{l+1} ← a_{l+1} ⊙ m_{l}, m ∈ {0, 1/keep}; last layer
 * linear: h_g = a_L W_L + b_L ∈ R^F.
 * Preprocessing (task.preprocessing): out_{g,f} = h_{g,f} · x_g^{α_f} (1−x_g)^{β_f}, computed as
 * exp(α_f ln x_g + β_f ln(1−x_g)). "fixed" (arch.preprocessing.trainable false): α, β stay at their
 * initial values, the factor may be computed once (`fixedPrefactor`), their gradient is 0 (they
 * count for nothing in the clip norm, their optimiser update is exactly 0). "trainable": α, β get
 * gradients like every other parameter.
 * Head (task.head): T_s = FK · vec(out) (fk: [N][G·F] row-major, index g·F + f), or
 * T_{s,i} = out[index_i] (select).
 * Chi2 (METHOD.md §3): for the member's training set S (validation set V), disjoint, both outside its
 * held-out fold: chi2_S = ‖L_S⁻¹ (T_s − D_s)_S‖² · 1/max(1, |S|), L_S the Cholesky factor of the
 * covariance restricted to S, block diagonal over the covariance's independent blocks. The factors
 * are given per member as `memberWhitening` (kernel/task.ts) lays them out; D_s is the member's
 * (pseudo-)data rounded to float32.
 * Loss of member s: chi2_train(with dropout masks) + λ_s Σ_{g,f} relu(−out_{g,f}) (positivity, with
 * the masks; λ_s = 0: none). The validation chi2 is computed without dropout masks.
 *
 * One epoch e = 1, 2, … (a full-batch step of every member, all at their parameters θ before the
 * epoch):
 * 1. dropout masks of epoch e (see "Dropout streams"), then the loss, its gradient g_s = ∂loss/∂θ_s,
 *    and the validation chi2 v_s at θ_s.
 * 2. Early stopping, for an active member: if it has no validation points, or v_s < best_s:
 *    best_s ← v_s (0 without validation points), bestEpoch_s ← e, bestParams_s ← θ_s (the
 *    parameters before this epoch's update).
 * 3. Optimiser, for an active member: g_s ← g_s · min(1, c_s / max(‖g_s‖₂, 1e-30)) when c_s
 *    (clipnorm) > 0; then the update of train/optimisers.ts `StackedOptimiser` (Keras conventions,
 *    β1 0.9, β2 0.999, ε 1e-7, ρ_rmsprop 0.9, ρ_adadelta 0.95) with the member's learning rate and
 *    momentum, step counter t = e (shared; a frozen member's state may change but never its θ).
 *    Frozen members keep θ unchanged.
 * 4. An active member with validation points and e − bestEpoch_s ≥ patience_s stops: active ← 0,
 *    stopEpoch_s ← e.
 *
 * Dropout streams: member s draws from `new TrialRng(settings.dropoutSeed)` (rng.ts, the engine's trial
 * stream), one epoch's masks per epoch (a stopped member's later draws do not matter); per epoch, hidden layer after hidden layer, G·units
 * draws in row-major order [g][unit], each u = nextUint32() / 2^32, mask = u < keep ? 1/keep : 0,
 * keep = 1 − rate. A member with rate 0 draws nothing. `drawDropoutMasks` (kernel/dropout.ts) is the
 * one implementation; a kernel may reimplement it bit for bit on its device.
 *
 * Numbers: each member's trajectory depends only on its own inputs (batched replica r equals replica
 * r alone, packed trials equal lone trials); compaction only moves rows. Conformance: training and
 * validation chi2 within 1e-5 relative of the float64 reference over 10 epochs, every optimiser.
 */

import type { ParameterLayout } from "../model/layout.ts";
import type { ArchitectureConfig } from "../model/mlp.ts";
import type { Task } from "../tasks/task.ts";
import type { Member } from "../train/members.ts";
import type { OptimiserConfig, OptimiserName } from "../train/optimisers.ts";

/** What may differ between the members of one stack (the trials of a pack differ in these). */
export interface MemberSettings {
  /** Learning rate, clipnorm (absent or ≤ 0: no clipping) and momentum of this member. */
  optimiser: OptimiserConfig;
  /** Dropout rate of the hidden layers (0: none). */
  dropout: number;
  /** Seed of the member's dropout stream: deriveSeed(trialSeed, Stream.dropout, replica, fold). */
  dropoutSeed: number;
  /** Positivity multiplier λ (0: no penalty). */
  positivity: number;
  /** Epochs without a validation improvement before the member stops. */
  patience: number;
}

/** One stacked member: its data and point sets (train/trainer.ts Member) and its settings. */
export interface KernelMember {
  member: Member;
  settings: MemberSettings;
}

/** Everything a kernel needs to hold a stack; uploaded once by `KernelBackend.create`. */
export interface KernelSpec {
  /** Model rows, head, covariance (task.dataset.cov) and preprocessing x. Shared by every member. */
  task: Task;
  /**
   * Layer sizes, activation, initializer and preprocessing mode, shared by every member (the
   * dropout rate here is ignored: it is per member, `MemberSettings.dropout`).
   */
  arch: ArchitectureConfig;
  layout: ParameterLayout;
  /** The optimiser kind every member uses (their rates, clipnorm, momentum may differ). */
  optimiser: OptimiserName;
  members: KernelMember[];
  /** Initial parameters [S][layout.size]. Best parameters start equal to them. */
  params: Float32Array;
}

/** Per stack position, read at a report point. */
export interface KernelState {
  /** Epochs stepped so far (the step counter t of the last epoch). */
  epoch: number;
  /** 1 while training, 0 once stopped (patience) or frozen by the host. */
  active: Uint8Array;
  /** Best validation chi2 so far (+∞ before the first epoch; 0 without validation points). */
  bestValidation: Float64Array;
  /** Epoch of the best validation chi2 (0 before the first epoch). */
  bestEpoch: Int32Array;
  /** Epoch at which the member stopped by patience (0 while active or when frozen by the host). */
  stopEpoch: Int32Array;
  /** Training loss (chi2 with dropout, no penalty) and validation chi2 of the last epoch, pre-update. */
  train: Float32Array;
  validation: Float32Array;
}

/** Predictions and model outputs of n parameter rows. */
export interface KernelPredictions {
  /** T, [n][N] (float32 values). */
  predictions: Float32Array;
  /** Model outputs (preprocessing applied), [n][G·F] (index g·F + f). */
  outputs: Float32Array;
}

/** Loss terms and gradient at the current parameters, for tests (no step, no state change). */
export interface KernelGradient {
  /** Per position: training chi2 (no dropout), validation chi2, positivity penalty Σ relu(−out). */
  train: Float32Array;
  validation: Float32Array;
  penalty: Float32Array;
  /** ∂(chi2_train,s + λ_s penalty_s)/∂θ_s, [S][P], 0 on fixed preprocessing exponents. */
  grad: Float64Array;
}

/**
 * A stack of S members on one device. Positions 0 … size−1 follow `KernelSpec.members` until
 * `compact` renumbers them. Calls are not re-entrant: the host awaits each before the next.
 */
export interface TrainingKernel {
  /** Members in the stack now. */
  readonly size: number;
  /** Run `epochs` epochs (the four steps above) for every member; nothing is read back. */
  step(epochs: number): Promise<void>;
  /** Early-stopping state and last losses of every position (a report point). */
  state(): Promise<KernelState>;
  /** Current or best parameters of the given positions (default: all), [n][P]. */
  readParameters(which: "current" | "best", positions?: number[]): Promise<Float32Array>;
  /**
   * Overwrite current or best parameters of the given positions (default: all) with [n][P]. Writing
   * current parameters does not reset optimiser state; with fixed preprocessing the prefactor is that
   * of the exponents the member was created with.
   */
  writeParameters(which: "current" | "best", data: Float32Array, positions?: number[]): Promise<void>;
  /** Stop these positions now (epoch limit, pruned, cancelled): their θ and best no longer change. */
  freeze(positions: number[]): void;
  /**
   * Keep only these positions, in this order (members that finished leave the stack); each kept
   * member's parameters, best parameters, optimiser state, early-stopping state and dropout stream
   * move with it unchanged.
   */
  compact(keep: number[]): Promise<void>;
  /**
   * Predictions and model outputs at the given parameters [n][P] (any n; a fixed prefactor comes
   * from their own exponents), without touching the stack: the host keeps the best parameters of
   * members that leave the stack and predicts a trial's members together when it ends.
   */
  predict(params: Float32Array): Promise<KernelPredictions>;
  /** Loss terms and gradient at the current parameters (conformance tests). */
  lossAndGradient(): Promise<KernelGradient>;
  /** Release the device memory; the kernel is unusable afterwards. Idempotent. */
  dispose(): void;
}

/** Which implementation: the names `ENGINE_TRAINER` and the runner's registration use. */
export type KernelKind = "tfjs" | "webgpu" | "cpu";

/** A way to make kernels, and whether it works on this machine. */
export interface KernelBackend {
  readonly kind: KernelKind;
  /**
   * Whether this backend can run here (packages resolve, an adapter or the CPU module loads);
   * never throws, caches its answer.
   */
  available(): Promise<boolean>;
  /** What runs, for results and the runner's registration, e.g. "cpu (native avx2, 2 threads)". */
  describe(): Promise<string>;
  /**
   * Longest run of epochs the host should hand to one `step` when no report or limit comes sooner
   * (TF.js: 1, it reads validation back every epoch anyway; device kernels: tens).
   */
  readonly maxEpochsPerStep: number;
  create(spec: KernelSpec): Promise<TrainingKernel>;
}
