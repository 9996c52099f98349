import type { Db } from "./client.ts";

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/** An organisation with an owner, one study and `trials` WAITING trials. */
export async function seedStudy(db: Db, trials = 1) {
  const user = await db.user.create({
    data: { email: `u${unique()}@example.test`, passwordHash: "kdf$secret" },
  });
  const org = await db.organization.create({ data: { slug: `org-${unique()}`, name: "Org" } });
  await db.membership.create({ data: { orgId: org.id, userId: user.id, role: "OWNER" } });
  const study = await db.study.create({
    data: {
      orgId: org.id,
      ownerId: user.id,
      name: `study-${unique()}`,
      task: { kind: "closure" },
      searchSpace: {},
      ensemble: { replicas: 4 },
      training: {},
      seed: 1,
      maxTrials: trials,
    },
  });
  const created = [];
  for (let number = 0; number < trials; number++) {
    created.push(
      await db.trial.create({ data: { orgId: org.id, studyId: study.id, number, params: { lr: 0.01 } } }),
    );
  }
  const runner = await db.runner.create({ data: { name: `runner-${unique()}`, device: {}, backend: "cpu" } });
  return { user, org, study, trials: created, runner };
}
