// Studies written straight into the database (no training), for the browser tests and bench:web.
// Shapes follow what runners write: TrialResult with per-fold/per-replica chi2 and predictions.
import type { Db } from "@hyperensemble/db";
import { hashPassword } from "@hyperensemble/platform";

const SPACE = {
  n_layers: { type: "int", low: 1, high: 3, log: false, step: 1 },
  units_1: { type: "int", low: 10, high: 45, log: false, step: 1 },
  activation: { type: "categorical", choices: ["tanh", "sigmoid"] },
  learning_rate: { type: "float", low: 0.001, high: 0.03, log: true },
};

/** A deterministic generator (mulberry32) so seeded studies look the same on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function seedMember(
  db: Db,
  args: {
    orgSlug: string;
    orgName?: string;
    email: string;
    password: string;
    role?: "OWNER" | "ADMIN" | "MEMBER" | "VIEWER";
  },
) {
  const org = await db.organization.upsert({
    where: { slug: args.orgSlug },
    create: { slug: args.orgSlug, name: args.orgName ?? args.orgSlug },
    update: {},
  });
  const passwordHash = await hashPassword(args.password);
  const user = await db.user.upsert({
    where: { email: args.email },
    create: { email: args.email, name: args.email.split("@")[0] ?? null, passwordHash },
    update: { passwordHash },
  });
  await db.membership.upsert({
    where: { orgId_userId: { orgId: org.id, userId: user.id } },
    create: { orgId: org.id, userId: user.id, role: args.role ?? "OWNER" },
    update: {},
  });
  return { org, user };
}

/**
 * The physics views' fields (engine TrialResult.predictions: per-sub-dataset χ²/N, stopping epochs,
 * replica curves), drawn after everything else so studies seeded without them are unchanged.
 */
function withPhysics(p: ReturnType<typeof predictions>, r: () => number, replicas: number) {
  const names = ["DIS_A", "DIS_B", "DY_C"];
  const cut = [0, 20, 40, 60];
  const chi2 = () => ({ central: 0.8 + 0.6 * r(), replica: 1.2 + 0.6 * r() });
  return {
    ...p,
    flavours: p.flavours.map((f) => ({
      ...f,
      replicas: Array.from({ length: 6 }, () =>
        f.mean.map((m, i) => m + (f.upper[i]! - m) * 2 * (r() - 0.5)),
      ),
    })),
    // Inputs on a log grid per experiment, as a DIS-like x would be.
    data: {
      ...p.data,
      x: p.data.x.map((i) => 10 ** (-3 + (3 * (i % 20)) / 20)),
      subsets: names.map((name, j) => ({ name, start: cut[j]!, end: cut[j + 1]! })),
    },
    subsetChi2: names.map((name, j) => ({
      name,
      points: 20,
      training: chi2(),
      // The last experiment is "always fitted": never held out.
      heldOut: j < 2 ? chi2() : null,
    })),
    stoppingEpochs: Array.from({ length: 2 * replicas }, () => 20 + Math.floor(80 * r())),
  };
}

function predictions(r: () => number) {
  const x = Array.from({ length: 40 }, (_, i) => 10 ** (-3 + (3 * i) / 39));
  const flavour = (name: string, a: number, b: number) => {
    const truth = x.map((v) => a * v ** 0.5 * (1 - v) ** b);
    const mean = truth.map((t) => t * (1 + 0.05 * (r() - 0.5)));
    const width = mean.map((m) => Math.abs(m) * 0.08 + 0.01);
    return {
      name,
      mean,
      lower: mean.map((m, i) => m - width[i]!),
      upper: mean.map((m, i) => m + width[i]!),
      truth,
    };
  };
  const central = Array.from({ length: 60 }, (_, i) => 1 + Math.sin(i / 6) * 0.3);
  return {
    x,
    xLabel: "x",
    flavours: [flavour("u_v", 2, 3), flavour("d_v", 1, 4), flavour("g", 3, 5)],
    data: {
      x: central.map((_, i) => i),
      central,
      error: central.map(() => 0.05),
      prediction: central.map((c) => c + 0.04 * (r() - 0.5)),
      subsets: [{ name: "all", start: 0, end: 60 }],
    },
  };
}

/**
 * A finished study of `trials` completed trials (every 7th pruned, every 23rd failed), with results,
 * intermediate values for the last `curves` trials and predictions on each result when `withPredictions`.
 */
export async function seedStudy(
  db: Db,
  args: {
    orgId: string;
    ownerId: string;
    name: string;
    trials: number;
    seed?: number;
    state?: "COMPLETED" | "RUNNING";
    curves?: number;
    withPredictions?: boolean;
    /** With withPredictions: the physics views' fields as well (per-sub-dataset χ²/N, …). */
    withPhysics?: boolean;
  },
) {
  const r = rng(args.seed ?? 1);
  const t0 = Date.now() - args.trials * 1000;
  const study = await db.study.create({
    data: {
      orgId: args.orgId,
      ownerId: args.ownerId,
      name: args.name,
      state: args.state ?? "COMPLETED",
      task: { kind: "closure", level: 2 },
      searchSpace: SPACE,
      ensemble: { replicas: 8, folds: 2 },
      training: { maxEpochs: 100, reportEvery: 10 },
      seed: args.seed ?? 1,
      maxTrials: args.trials,
      parallelism: 2,
      gpuSeconds: args.trials * 3.2,
      startedAt: new Date(t0),
      finishedAt: args.state === "RUNNING" ? null : new Date(),
    },
  });
  const batch = 1000;
  for (let from = 0; from < args.trials; from += batch) {
    const rows = [];
    const results = [];
    const inter = [];
    for (let n = from; n < Math.min(args.trials, from + batch); n++) {
      const id = `${study.id}t${n}`;
      const state: "FAIL" | "PRUNED" | "COMPLETE" =
        n % 23 === 22 ? "FAIL" : n % 7 === 6 ? "PRUNED" : "COMPLETE";
      const lr = 10 ** (-3 + 1.5 * r());
      const layers = 1 + Math.floor(3 * r());
      const L1 = 1 + 0.6 * Math.abs(Math.log10(lr) + 2) + 0.2 * r() + 2 / (n + 3);
      const phi2 = 0.05 + 0.1 * layers * r();
      const start = new Date(t0 + n * 1000);
      rows.push({
        id,
        orgId: args.orgId,
        studyId: study.id,
        number: n,
        state,
        params: {
          n_layers: layers,
          units_1: 10 + Math.floor(36 * r()),
          activation: r() < 0.5 ? "tanh" : "sigmoid",
          learning_rate: lr,
        },
        startedAt: start,
        finishedAt: new Date(start.getTime() + 2000 + 2000 * r()),
        error: state === "FAIL" ? "synthetic failure" : null,
      });
      if (state === "COMPLETE") {
        const folds = [L1 * (0.9 + 0.2 * r()), L1 * (0.9 + 0.2 * r())];
        results.push({
          trialId: id,
          orgId: args.orgId,
          value: L1,
          L1,
          L2: Math.max(...folds),
          L3: 1 / phi2,
          phi2,
          foldChi2: folds,
          foldPhi2: [phi2, phi2],
          foldCentralChi2: folds.map((f) => f - phi2),
          replicaChi2: Array.from({ length: 8 }, () => L1 * (0.8 + 0.4 * r())),
          closureBias: 0.9 + 0.2 * r(),
          closureVariance: 1,
          epochs: 100,
          backend: "wasm",
          durationSeconds: 3 + r(),
          // Predictions are ~10 kB each: only small studies carry them on every result.
          ...(args.withPredictions && args.trials <= 200
            ? { predictions: args.withPhysics ? withPhysics(predictions(r), r, 8) : predictions(r) }
            : {}),
        });
      }
      if (n >= args.trials - (args.curves ?? 20) && state !== "FAIL") {
        const steps = state === "PRUNED" ? 3 : 10;
        for (let s = 1; s <= steps; s++)
          inter.push({ orgId: args.orgId, trialId: id, step: s * 10, value: L1 * (1 + 3 / s), attempt: 1 });
      }
    }
    await db.trial.createMany({ data: rows });
    if (results.length) await db.trialResult.createMany({ data: results });
    if (inter.length) await db.intermediateValue.createMany({ data: inter });
  }
  return study;
}
