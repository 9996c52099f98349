import * as tf from "@tensorflow/tfjs";

export type OptimiserName = "adam" | "nadam" | "amsgrad" | "rmsprop" | "sgd" | "adadelta";

export interface OptimiserConfig {
  name: OptimiserName;
  learningRate: number;
  /** Per-replica gradient-norm clip (norm over all of a replica's parameters); none when absent. */
  clipnorm?: number;
  momentum?: number;
}

/** Keras defaults. */
const beta1 = 0.9;
const beta2 = 0.999;
const epsilon = 1e-7;
const rho = { rmsprop: 0.9, adadelta: 0.95 };

/**
 * Per-row hyperparameters, each row's value repeated over its P columns (trials packed into one
 * program may differ in learning rate, clipnorm and momentum). A row without clipping gets
 * clipnorm +∞ (scale exactly 1), a row without momentum 0 (the momentum update then reduces exactly
 * to the plain one).
 */
interface RowHyperparameters {
  learningRate: tf.Tensor2D;
  /** [R, 1]: it divides the per-row gradient norm. */
  clipnorm?: tf.Tensor2D;
  momentum?: tf.Tensor2D;
}

const clips = (c: number | undefined) => c !== undefined && c > 0;

/**
 * Optimisers acting on the flat stacked parameters [R, P]. Each replica's state evolves only from its
 * own gradient row, so batched and single-replica runs follow the same trajectories. With `rows`
 * (one config per row, all of `config.name`), learning rate, clipnorm and momentum are per row.
 */
export class StackedOptimiser {
  private step = 0;
  private readonly slots: tf.Variable[] = [];
  private rows?: RowHyperparameters;

  constructor(
    readonly config: OptimiserConfig,
    shape: [number, number],
    rows?: OptimiserConfig[],
  ) {
    const nSlots = { adam: 2, nadam: 2, amsgrad: 3, rmsprop: 2, sgd: 1, adadelta: 2 }[config.name];
    for (let i = 0; i < nSlots; i++) {
      const zeros = tf.zeros(shape);
      this.slots.push(tf.variable(zeros, false));
      zeros.dispose();
    }
    if (rows) {
      if (rows.length !== shape[0])
        throw new Error(`optimiser: ${rows.length} row configs for ${shape[0]} rows`);
      if (rows.some((r) => r.name !== config.name))
        throw new Error(`optimiser: every row must use ${config.name}`);
      // Expanded to the full [R, P] shape: same-shape products take every backend's fast path (the
      // cpu backend's broadcasting one is several times slower) and give the same float32 numbers.
      const P = shape[1];
      const column = (f: (r: OptimiserConfig) => number, width = P) => {
        const v = new Float32Array(rows.length * width);
        rows.forEach((r, i) => {
          v.fill(f(r), i * width, (i + 1) * width);
        });
        return tf.tensor2d(v, [rows.length, width]);
      };
      this.rows = {
        learningRate: column((r) => r.learningRate),
        ...(rows.some((r) => clips(r.clipnorm))
          ? { clipnorm: column((r) => (clips(r.clipnorm) ? r.clipnorm! : Number.POSITIVE_INFINITY), 1) }
          : {}),
        ...(rows.some((r) => (r.momentum ?? 0) > 0) ? { momentum: column((r) => r.momentum ?? 0) } : {}),
      };
    }
  }

  /** Clip each replica's gradient row to norm ≤ clipnorm. */
  private clip(g: tf.Tensor2D): tf.Tensor2D {
    const c = this.rows ? this.rows.clipnorm : this.config.clipnorm;
    if (c === undefined || (typeof c === "number" && !clips(c))) return g;
    const norm = tf.sqrt(tf.sum(tf.square(g), 1, true));
    const scale = tf.minimum(1, tf.div(c, tf.maximum(norm, 1e-30)));
    return tf.mul(g, scale);
  }

  /** Apply one step; `active` [R, 1] (1 = training, 0 = stopped) freezes stopped replicas. */
  apply(params: tf.Variable, grad: tf.Tensor2D, active: tf.Tensor2D): void {
    this.step += 1;
    const t = this.step;
    const lr = this.rows ? this.rows.learningRate : this.config.learningRate;
    const rowMomentum = this.rows ? this.rows.momentum : undefined;
    // with per-row momentum the momentum path runs for every row (0 reduces it exactly)
    const mu = rowMomentum ?? (this.rows ? 0 : (this.config.momentum ?? 0));
    const hasMomentum = rowMomentum !== undefined || (typeof mu === "number" && mu > 0);
    const s = this.slots;
    tf.tidy(() => {
      const g = this.clip(grad);
      let update: tf.Tensor;
      switch (this.config.name) {
        case "adam":
        case "amsgrad":
        case "nadam": {
          const m = tf.add(tf.mul(s[0]!, beta1), tf.mul(g, 1 - beta1));
          const v = tf.add(tf.mul(s[1]!, beta2), tf.mul(tf.square(g), 1 - beta2));
          s[0]!.assign(m);
          s[1]!.assign(v);
          let vUse: tf.Tensor = v;
          if (this.config.name === "amsgrad") {
            vUse = tf.maximum(s[2]!, v);
            s[2]!.assign(vUse);
          }
          const vHat = tf.div(vUse, 1 - beta2 ** t);
          let mHat: tf.Tensor;
          if (this.config.name === "nadam") {
            // Nesterov momentum: look one step ahead with the bias-corrected moment.
            mHat = tf.add(
              tf.mul(m, beta1 / (1 - beta1 ** (t + 1))),
              tf.mul(g, (1 - beta1) / (1 - beta1 ** t)),
            );
          } else {
            mHat = tf.div(m, 1 - beta1 ** t);
          }
          update = tf.div(tf.mul(mHat, lr), tf.add(tf.sqrt(vHat), epsilon));
          break;
        }
        case "rmsprop": {
          const v = tf.add(tf.mul(s[0]!, rho.rmsprop), tf.mul(tf.square(g), 1 - rho.rmsprop));
          s[0]!.assign(v);
          const step = tf.div(tf.mul(g, lr), tf.add(tf.sqrt(v), epsilon));
          if (hasMomentum) {
            const vel = tf.add(tf.mul(s[1]!, mu), step);
            s[1]!.assign(vel);
            update = vel;
          } else update = step;
          break;
        }
        case "sgd": {
          if (hasMomentum) {
            const vel = tf.sub(tf.mul(s[0]!, mu), tf.mul(g, lr));
            s[0]!.assign(vel);
            update = tf.neg(vel);
          } else update = tf.mul(g, lr);
          break;
        }
        case "adadelta": {
          const eg = tf.add(tf.mul(s[0]!, rho.adadelta), tf.mul(tf.square(g), 1 - rho.adadelta));
          s[0]!.assign(eg);
          const delta = tf.mul(tf.div(tf.sqrt(tf.add(s[1]!, epsilon)), tf.sqrt(tf.add(eg, epsilon))), g);
          s[1]!.assign(tf.add(tf.mul(s[1]!, rho.adadelta), tf.mul(tf.square(delta), 1 - rho.adadelta)));
          update = tf.mul(delta, lr);
          break;
        }
      }
      params.assign(tf.sub(params, tf.mul(update, active)));
    });
  }

  /** Keep only the rows at these positions (stopped replicas leave the stack). */
  select(positions: tf.Tensor1D): void {
    this.slots.forEach((v, i) => {
      const g = tf.gather(v, positions, 0);
      const kept = tf.variable(g, false);
      g.dispose();
      v.dispose();
      this.slots[i] = kept;
    });
    if (this.rows) {
      const old = this.rows;
      const pick = (t: tf.Tensor2D) => tf.gather(t, positions, 0) as tf.Tensor2D;
      this.rows = {
        learningRate: pick(old.learningRate),
        ...(old.clipnorm ? { clipnorm: pick(old.clipnorm) } : {}),
        ...(old.momentum ? { momentum: pick(old.momentum) } : {}),
      };
      tf.dispose([
        old.learningRate,
        ...(old.clipnorm ? [old.clipnorm] : []),
        ...(old.momentum ? [old.momentum] : []),
      ]);
    }
  }

  dispose(): void {
    for (const v of this.slots) v.dispose();
    if (this.rows) {
      const r = this.rows;
      tf.dispose([r.learningRate, ...(r.clipnorm ? [r.clipnorm] : []), ...(r.momentum ? [r.momentum] : [])]);
    }
  }
}
