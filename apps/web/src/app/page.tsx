import { redirect } from "next/navigation";
import { auth } from "@/auth";
import { db } from "@/server/db";

export const dynamic = "force-dynamic";

export default async function Home() {
  const session = await auth();
  if (!session?.user?.id) redirect("/signin");
  const user = await db.user.findUnique({
    where: { id: session.user.id },
    include: { memberships: { include: { org: true }, orderBy: { createdAt: "asc" } } },
  });
  const first = user?.memberships.find((m) => m.org.deletedAt === null);
  // No organisation yet: create one (or, where sign-up is by invitation, read how to get one).
  if (!first) redirect("/onboarding");
  redirect(`/o/${first.org.slug}/studies`);
}
