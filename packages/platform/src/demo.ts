import type { Db } from "@hyperensemble/db";
import { hashPassword } from "./password.ts";
import type { CreateStudyInput } from "./schema.ts";

export const DEMO_ORG = { slug: "demo", name: "Demo collaboration" } as const;
export const DEMO_USER = {
  email: "demo@hyperensemble.local",
  name: "Demo User",
  password: "hyperensemble-demo",
} as const;

/** The demo study of the quickstart: 8 trials × 16 replicas of the built-in closure task. */
export const DEMO_STUDY: CreateStudyInput = {
  name: "Demo: closure test, random search",
  task: { kind: "closure", level: 2 },
  replicas: 16,
  trials: 8,
  folds: 2,
  maxEpochs: 400,
  parallelism: 2,
  sampler: "random",
};

/** Idempotent: the demo organization and its owner exist afterwards (password reset to the demo one). */
export async function seedDemo(db: Db, user: { email: string; name: string; password: string } = DEMO_USER) {
  const passwordHash = await hashPassword(user.password);
  const org = await db.organization.upsert({
    where: { slug: DEMO_ORG.slug },
    create: { slug: DEMO_ORG.slug, name: DEMO_ORG.name },
    update: {},
  });
  const u = await db.user.upsert({
    where: { email: user.email },
    create: { email: user.email, name: user.name, passwordHash },
    update: { passwordHash },
  });
  await db.membership.upsert({
    where: { orgId_userId: { orgId: org.id, userId: u.id } },
    create: { orgId: org.id, userId: u.id, role: "OWNER" },
    update: {},
  });
  return { org, user: u };
}
