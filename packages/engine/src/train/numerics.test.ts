import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../backend.ts";
import { BlockMatrix } from "../data/covariance.ts";
import { buildDataset } from "../data/dataset.ts";
import { assignFolds } from "../data/replicas.ts";
import { forward, initialParameters, parameterLayout, preprocessingFactor } from "../model/mlp.ts";
import { buildClosureTask } from "../tasks/closure.ts";
import { randomSpd, referenceChi2, referenceForward, testRandom } from "../testing/reference.ts";
import { buildMembers, type EnsembleSetup, lossAndGradient } from "./trainer.ts";
import { WhiteningFactors } from "./whitening.ts";

const task = buildClosureTask(1, 4);

function setupFor(hidden: number[], replicaIds: number[]): EnsembleSetup {
  return {
    task,
    arch: {
      inputDim: 2,
      hidden,
      outputDim: 3,
      activation: "tanh",
      initializer: "glorot_normal",
      dropout: 0,
      preprocessing: { alphaInit: [0.3, 0.8], betaInit: [2.5, 4.5], trainable: true },
    },
    optimiser: { name: "adam", learningRate: 1e-3 },
    seed: 5,
    replicaIds,
    folds: assignFolds(task.dataset, 2, 5),
    trainingFraction: 0.75,
    maxEpochs: 10,
    patienceEpochs: 5,
    reportEvery: 5,
  };
}

/** Float64 reference of the batched training loss: scalar MLP, FK map, Gaussian-elimination chi2. */
function referenceLoss(setup: EnsembleSetup, params: Float64Array): number {
  const layout = parameterLayout(setup.arch);
  const members = buildMembers(setup);
  const ds = setup.task.dataset;
  const n = ds.nPoints;
  const fk = setup.task.head.kind === "fk" ? setup.task.head.fk : new Float64Array();
  const GF = fk.length / n;
  let total = 0;
  members.forEach((m, s) => {
    const p = params.subarray(s * layout.size, (s + 1) * layout.size);
    const out = referenceForward(p, layout.sizes, "tanh", setup.task.modelInputs, {
      x: setup.task.preprocessing!.x,
      alpha: layout.alpha!,
      beta: layout.beta!,
    }).flat();
    const t = Array.from({ length: n }, (_, i) => out.reduce((a, v, j) => a + fk[i * GF + j]! * v, 0));
    total += referenceChi2(ds.cov.toDense().data, n, m.train, t, m.data);
  });
  return total;
}

describe.each(["wasm", "cpu"])("numerics on the %s backend", (backend) => {
  beforeAll(async () => {
    expect(await selectBackend(backend)).toBe(backend);
  });

  it("the stacked forward pass matches a scalar float64 MLP", () => {
    const setup = setupFor([7, 5], [0, 1, 2]);
    const layout = parameterLayout(setup.arch);
    const params = [0, 1, 2].map((r) => initialParameters(setup.arch, layout, 9, r));
    const G = task.modelInputs.length;
    const x = task.preprocessing!.x;
    const got = tf.tidy(() =>
      forward(
        setup.arch,
        layout,
        tf.tensor2d(
          params.flatMap((p) => Array.from(p)),
          [3, layout.size],
        ),
        {
          inputs: tf.tile(tf.tensor3d(task.modelInputs.flat(), [1, G, 2]), [3, 1, 1]) as tf.Tensor3D,
          logX: tf.tensor3d(Array.from(x, Math.log), [1, G, 1]),
          log1mX: tf.tensor3d(
            Array.from(x, (v) => Math.log(1 - v)),
            [1, G, 1],
          ),
        },
      ).arraySync(),
    );
    params.forEach((p, r) => {
      const want = referenceForward(p, layout.sizes, "tanh", task.modelInputs, {
        x,
        alpha: layout.alpha!,
        beta: layout.beta!,
      });
      want.forEach((row, g) => {
        row.forEach((v, f) => {
          expect(Math.abs(got[r]![g]![f]! - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
        });
      });
    });
  });

  it("a precomputed fixed preprocessing factor gives the same outputs as computing it", () => {
    const setup = setupFor([5], [0, 1]);
    const layout = parameterLayout(setup.arch);
    const G = task.modelInputs.length;
    const x = task.preprocessing!.x;
    const [a, b] = tf.tidy(() => {
      const p = tf.tensor2d(
        [0, 1].flatMap((r) => Array.from(initialParameters(setup.arch, layout, 4, r))),
        [2, layout.size],
      );
      const c = {
        inputs: tf.tile(tf.tensor3d(task.modelInputs.flat(), [1, G, 2]), [2, 1, 1]) as tf.Tensor3D,
        logX: tf.tensor3d(Array.from(x, Math.log), [1, G, 1]),
        log1mX: tf.tensor3d(
          Array.from(x, (v) => Math.log(1 - v)),
          [1, G, 1],
        ),
      };
      const prefactor = preprocessingFactor(setup.arch, layout, p, c.logX, c.log1mX);
      return [
        forward(setup.arch, layout, p, c).dataSync(),
        forward(setup.arch, layout, p, { ...c, prefactor }).dataSync(),
      ];
    });
    expect(Array.from(b!)).toEqual(Array.from(a!));
  });

  it("the batched loss and its gradient match float64 (value) and finite differences (gradient)", () => {
    const setup = setupFor([6, 4], [0, 1]);
    const layout = parameterLayout(setup.arch);
    const S = buildMembers(setup).length;
    const p32 = new Float32Array(S * layout.size);
    for (let s = 0; s < S; s++) p32.set(initialParameters(setup.arch, layout, 3, s), s * layout.size);
    const { loss, grad } = lossAndGradient(setup, p32);
    const p64 = Float64Array.from(p32);
    const ref = referenceLoss(setup, p64);
    expect(Math.abs(loss - ref) / ref).toBeLessThan(1e-4);
    const rnd = testRandom(17);
    const gmax = grad.reduce((a, g) => Math.max(a, Math.abs(g)), 0);
    for (let k = 0; k < 12; k++) {
      const j = Math.floor(rnd.uniform() * p64.length);
      const h = 1e-5 * Math.max(1, Math.abs(p64[j]!));
      const plus = Float64Array.from(p64);
      const minus = Float64Array.from(p64);
      plus[j]! += h;
      minus[j]! -= h;
      const fd = (referenceLoss(setup, plus) - referenceLoss(setup, minus)) / (2 * h);
      expect(Math.abs(grad[j]! - fd)).toBeLessThan(2e-3 * Math.abs(fd) + 1e-4 * gmax);
    }
  });

  it.each([1, 1e2, 1e4])("float32 whitened chi2 agrees with float64 to 1e-4 (condition %d)", (cond) => {
    const n = 40;
    const rnd = testRandom(cond);
    const full = randomSpd(n, cond, 100 + cond);
    // a block-diagonal covariance too (two independent sub-datasets), exercising the blocked path
    const blocked = Float64Array.from(full, (v, k) => (Math.floor(k / n) < 25 === k % n < 25 ? v : 0));
    for (const cov of [full, blocked]) {
      const sets = [0, 1, 2].map(() =>
        Array.from({ length: n }, (_, i) => i).filter(() => rnd.uniform() < 0.75),
      );
      const resid = Array.from({ length: 3 * n }, () => Math.fround(rnd.normal()));
      const w = new WhiteningFactors(BlockMatrix.fromSquare({ n, data: cov }), sets).tensors([0, 1, 2]);
      const got = tf.tidy(() => w.apply(tf.tensor2d(resid, [3, n])).dataSync());
      w.dispose();
      sets.forEach((set, s) => {
        const r = resid.slice(s * n, (s + 1) * n);
        const want = referenceChi2(cov, n, set, r, new Array(n).fill(0)) * set.length;
        expect(Math.abs(got[s]! - want) / want).toBeLessThan(1e-4);
      });
    }
  });
});

describe("positivity penalty", () => {
  it("adds λ Σ relu(−f) over the model outputs to the training loss", async () => {
    await selectBackend("wasm");
    const setup = setupFor([4], [0]);
    const layout = parameterLayout(setup.arch);
    const S = buildMembers(setup).length;
    const p = new Float32Array(S * layout.size);
    for (let s = 0; s < S; s++) p.set(initialParameters(setup.arch, layout, 2, s), s * layout.size);
    const plain = lossAndGradient(setup, p).loss;
    const penalised = lossAndGradient({ ...setup, positivity: 10 }, p).loss;
    let negative = 0;
    for (let s = 0; s < S; s++) {
      const out = referenceForward(
        p.subarray(s * layout.size, (s + 1) * layout.size),
        layout.sizes,
        "tanh",
        task.modelInputs,
        {
          x: task.preprocessing!.x,
          alpha: layout.alpha!,
          beta: layout.beta!,
        },
      );
      for (const row of out) for (const v of row) negative += Math.max(0, -v);
    }
    expect(negative).toBeGreaterThan(0);
    expect(Math.abs(penalised - plain - 10 * negative) / (10 * negative)).toBeLessThan(1e-4);
  });
});

describe("tabular head", () => {
  it("a diagonal covariance uses elementwise whitening with the same chi2", async () => {
    await selectBackend("wasm");
    const ds = buildDataset({
      subsets: [{ name: "a", inputs: [[1], [2], [3]], values: [1, 2, 3], stat: [0.5, 1, 2] }],
    });
    const w = new WhiteningFactors(ds.cov, [[0, 2]]).tensors([0]);
    const got = tf.tidy(() => w.apply(tf.tensor2d([1, 1, 1], [1, 3])).dataSync()[0]!);
    w.dispose();
    expect(got).toBeCloseTo(1 / 0.25 + 1 / 4, 5);
  });
});
