import type { Metadata } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { THEME_SCRIPT } from "@/components/shell";
import { Providers } from "@/trpc/react";
import "./globals.css";

export const metadata: Metadata = {
  title: "HyperEnsemble",
  description: "Hyperparameter optimisation where every trial trains a whole ensemble",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The CSP nonce of this response (src/proxy.ts). Reading request headers also renders every page per
  // request, which a nonce needs: a page prerendered at build time would carry no nonce at all.
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a constant script, no user input */}
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body className="min-h-screen bg-slate-50 text-slate-900 dark:bg-slate-950 dark:text-slate-100">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
