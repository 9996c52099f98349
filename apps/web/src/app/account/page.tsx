import Link from "next/link";
import { redirect } from "next/navigation";
import { auth } from "@/auth";
import { AccountSettings } from "@/components/account-settings";
import { linkClass, PageHeader } from "@/components/ui";

export const dynamic = "force-dynamic";

export default async function AccountPage() {
  const session = await auth();
  if (!session?.user?.id) redirect("/signin");
  return (
    <main id="main" className="mx-auto max-w-3xl space-y-4 p-6">
      <p>
        <Link className={linkClass} href="/">
          ← Back to your organisation
        </Link>
      </p>
      <PageHeader title="Your account" />
      <AccountSettings />
    </main>
  );
}
