/**
 * What the platform's demo study runs: 16-replica closure trials small enough that 8 of them finish
 * in well under three minutes on two CPU cores, and the space its sampler draws from (Optuna
 * distribution JSON).
 */
export const demoTrialDefaults = {
  task: { kind: "closure", level: 2, seed: 7 },
  replicas: 16,
  folds: 2,
  maxEpochs: 400,
  reportEvery: 40,
} as const;

/** Active only when another parameter satisfies the condition (conditional spaces). */
export interface Condition {
  param: string;
  in?: (string | number | boolean)[];
  gte?: number;
  lte?: number;
}

export type Distribution =
  | { type: "int"; low: number; high: number; step?: number; log?: boolean; when?: Condition }
  | { type: "float"; low: number; high: number; step?: number; log?: boolean; when?: Condition }
  | { type: "categorical"; choices: (string | number | boolean)[]; when?: Condition };

/** NNPDF's search space, scaled down for the demo (METHOD.md §5). */
export const demoSearchSpace: Record<string, Distribution> = {
  n_layers: { type: "int", low: 1, high: 3 },
  units_1: { type: "int", low: 10, high: 40 },
  units_2: { type: "int", low: 10, high: 40, when: { param: "n_layers", gte: 2 } },
  units_3: { type: "int", low: 10, high: 40, when: { param: "n_layers", gte: 3 } },
  activation: { type: "categorical", choices: ["tanh", "sigmoid"] },
  initializer: { type: "categorical", choices: ["glorot_normal", "glorot_uniform"] },
  optimizer: { type: "categorical", choices: ["adam", "nadam", "amsgrad"] },
  learning_rate: { type: "float", low: 1e-3, high: 3e-2, log: true },
  stopping_patience: { type: "float", low: 0.1, high: 0.3 },
};
