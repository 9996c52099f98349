/**
 * The sampler seed of trial `number` in a study seeded `studySeed`: the platform builds a fresh
 * sampler per trial with it, so proposals are reproducible from (study seed, history), and the
 * form's preview shows the same first configurations the study will run.
 */
export function trialSeed(studySeed: number, number: number): number {
  return (studySeed + number * 7_919) >>> 0;
}
