import { redirect } from "next/navigation";
import { auth } from "@/auth";
import { db } from "@/server/db";

export const dynamic = "force-dynamic";

export default async function Home() {
  const session = await auth();
  if (!session?.user?.id) redirect("/signin");
  const user = await db.user.findUnique({
    where: { id: session.user.id },
    include: { memberships: { include: { org: true }, orderBy: { createdAt: "asc" }, take: 1 } },
  });
  const first = user?.memberships[0];
  if (!first) {
    return (
      <main className="p-8">
        You are not a member of any organization yet. Ask an admin for an invitation.
      </main>
    );
  }
  redirect(`/o/${first.org.slug}/studies`);
}
