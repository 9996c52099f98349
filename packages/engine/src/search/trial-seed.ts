/**
 * The sampler seed of a study seeded `studySeed`: one seed for the whole study, because samplers are
 * deterministic given (seed, history) and vary with the history themselves (a seed that changed per
 * trial would reshuffle a grid and re-shift Sobol's sequence on every ask). The platform's fill
 * (packages/platform/src/study.ts) and the form's preview (apps/web/src/lib/spec.ts) both use it, so
 * the preview shows the configurations the study will run first.
 */
export function samplerSeed(studySeed: number): number {
  return studySeed >>> 0;
}
