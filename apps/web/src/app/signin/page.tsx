import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthError, CredentialsSignin } from "next-auth";
import { signIn } from "@/auth";
import { signInErrorMessage } from "@/server/auth/credentials";

export const dynamic = "force-dynamic";

async function signInWithPassword(formData: FormData) {
  "use server";
  try {
    await signIn("credentials", {
      email: String(formData.get("email") ?? ""),
      password: String(formData.get("password") ?? ""),
      redirectTo: "/",
    });
  } catch (err) {
    // The same query as next-auth's own redirect, so the page reads one shape (code: throttled-<s>).
    if (err instanceof CredentialsSignin) {
      redirect(`/signin?${new URLSearchParams({ error: "CredentialsSignin", code: err.code })}`);
    }
    if (err instanceof AuthError) redirect("/signin?error=credentials");
    throw err;
  }
}

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ error?: string; code?: string }>;
}) {
  const { error, code } = await searchParams;
  const message = signInErrorMessage(error, code);
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <h1 className="mb-1 text-2xl font-semibold">HyperEnsemble</h1>
      <p className="mb-6 text-sm text-slate-500">Sign in to your organization</p>
      {message ? (
        <p
          role="alert"
          className="mb-4 rounded bg-red-50 p-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300"
        >
          {message}
        </p>
      ) : null}
      <form action={signInWithPassword} className="space-y-4">
        <label className="block text-sm" htmlFor="email">
          Email
          <input
            id="email"
            name="email"
            type="email"
            required
            autoComplete="username"
            className="mt-1 w-full rounded border border-slate-300 px-3 py-2 dark:border-slate-700 dark:bg-slate-800"
          />
        </label>
        <label className="block text-sm" htmlFor="password">
          Password
          <input
            id="password"
            name="password"
            type="password"
            required
            autoComplete="current-password"
            className="mt-1 w-full rounded border border-slate-300 px-3 py-2 dark:border-slate-700 dark:bg-slate-800"
          />
        </label>
        <button
          type="submit"
          className="w-full rounded bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700"
        >
          Sign in
        </button>
      </form>
      <p className="mt-6 flex justify-between text-sm">
        <Link className="text-indigo-700 underline underline-offset-2 dark:text-indigo-300" href="/signup">
          Create an account
        </Link>
        <Link className="text-indigo-700 underline underline-offset-2 dark:text-indigo-300" href="/forgot">
          Forgot your password?
        </Link>
      </p>
    </main>
  );
}
