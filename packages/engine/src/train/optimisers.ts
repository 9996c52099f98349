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
 * Optimisers acting on the flat stacked parameters [R, P]. Each replica's state evolves only from its
 * own gradient row, so batched and single-replica runs follow the same trajectories.
 */
export class StackedOptimiser {
  private step = 0;
  private readonly slots: tf.Variable[] = [];

  constructor(
    readonly config: OptimiserConfig,
    shape: [number, number],
  ) {
    const nSlots = { adam: 2, nadam: 2, amsgrad: 3, rmsprop: 2, sgd: 1, adadelta: 2 }[config.name];
    for (let i = 0; i < nSlots; i++) {
      const zeros = tf.zeros(shape);
      this.slots.push(tf.variable(zeros, false));
      zeros.dispose();
    }
  }

  /** Clip each replica's gradient row to norm ≤ clipnorm. */
  private clip(g: tf.Tensor2D): tf.Tensor2D {
    const c = this.config.clipnorm;
    if (!(c !== undefined && c > 0)) return g;
    const norm = tf.sqrt(tf.sum(tf.square(g), 1, true));
    const scale = tf.minimum(1, tf.div(c, tf.maximum(norm, 1e-30)));
    return tf.mul(g, scale);
  }

  /** Apply one step; `active` [R, 1] (1 = training, 0 = stopped) freezes stopped replicas. */
  apply(params: tf.Variable, grad: tf.Tensor2D, active: tf.Tensor2D): void {
    this.step += 1;
    const t = this.step;
    const lr = this.config.learningRate;
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
          const mu = this.config.momentum ?? 0;
          if (mu > 0) {
            const vel = tf.add(tf.mul(s[1]!, mu), step);
            s[1]!.assign(vel);
            update = vel;
          } else update = step;
          break;
        }
        case "sgd": {
          const mu = this.config.momentum ?? 0;
          if (mu > 0) {
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
  }

  dispose(): void {
    for (const v of this.slots) v.dispose();
  }
}
