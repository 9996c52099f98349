import { redirect } from "next/navigation";
import { auth } from "@/auth";
import { AuthBox, FormAlert, submitClass, TextField } from "@/components/auth-box";
import { env } from "@/env";
import { signupMode } from "@/server/accounts";
import { actionErrorMessage } from "@/server/action-errors";
import { mayCreateOrg } from "@/server/auth/signup";
import { db } from "@/server/db";
import { createOrgHandler } from "@/server/routers/org/manage.handler";
import { ZCreateOrg } from "@/server/routers/org/schema";
import { slugFromName } from "@/server/routers/org/slug";

export const dynamic = "force-dynamic";

async function createOrg(formData: FormData) {
  "use server";
  const session = await auth();
  if (!session?.user?.id) redirect("/signin");
  const name = String(formData.get("org-name") ?? "");
  const rawSlug = String(formData.get("org-slug") ?? "").trim();
  const parsed = ZCreateOrg.safeParse({ name, slug: rawSlug || slugFromName(name) });
  const back = (error: string) =>
    redirect(`/onboarding?${new URLSearchParams({ error, name, slug: rawSlug })}`);
  if (!parsed.success) back(actionErrorMessage(parsed.error) ?? "invalid input");
  else {
    let slug: string;
    try {
      const created = await createOrgHandler({
        ctx: { db, user: { id: session.user.id } },
        input: parsed.data,
        signup: signupMode,
        platformAdmins: env.HENS_PLATFORM_ADMINS,
      });
      slug = created.slug;
    } catch (err) {
      const message = actionErrorMessage(err);
      if (message) back(message);
      throw err;
    }
    redirect(`/o/${slug}/studies`);
  }
}

export default async function OnboardingPage({
  searchParams,
}: {
  searchParams: Promise<{ error?: string; name?: string; slug?: string }>;
}) {
  const session = await auth();
  if (!session?.user?.id) redirect("/signin");
  const { error, name, slug } = await searchParams;
  const user = await db.user.findUnique({ where: { id: session.user.id }, select: { email: true } });
  const allowed = mayCreateOrg(signupMode, user?.email ?? "", env.HENS_PLATFORM_ADMINS);
  if (!allowed.allowed) {
    return (
      <AuthBox title="Almost there" subtitle="You are signed in but not a member of any organisation yet.">
        <p>{allowed.reason}. Ask a member of your collaboration for an invitation link.</p>
      </AuthBox>
    );
  }
  return (
    <AuthBox title="Create an organisation" subtitle="Your collaboration or team; you will be its owner.">
      <FormAlert message={error} />
      <form action={createOrg} className="space-y-4">
        <TextField id="org-name" label="Organisation name" defaultValue={name} />
        <TextField
          id="org-slug"
          label="Short name in URLs (slug)"
          defaultValue={slug}
          required={false}
          hint="Lower-case letters, digits and hyphens; left empty, it is made from the name."
        />
        <button type="submit" className={submitClass}>
          Create organisation
        </button>
      </form>
    </AuthBox>
  );
}
