import type { ReactNode } from "react";
import { SettingsNav } from "@/components/settings-nav";
import { PageHeader } from "@/components/ui";

export default async function SettingsLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ org: string }>;
}) {
  const { org } = await params;
  return (
    <div className="space-y-4">
      <PageHeader title="Organisation settings" />
      <SettingsNav org={org} />
      {children}
    </div>
  );
}
