import { headers } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";
import { signIn } from "@/auth";
import { AuthBox, FormAlert, submitClass, TextField } from "@/components/auth-box";
import { linkClass } from "@/components/ui";
import { accountDeps, signupMode } from "@/server/accounts";
import { actionErrorMessage } from "@/server/action-errors";
import { db } from "@/server/db";
import { ZSignUp } from "@/server/routers/account/schema";
import { signUpHandler } from "@/server/routers/account/signup.handler";

export const dynamic = "force-dynamic";

async function signUp(formData: FormData) {
  "use server";
  const invite = String(formData.get("invite") ?? "") || undefined;
  const back = (error: string) =>
    redirect(
      `/signup?${new URLSearchParams({ error, ...(invite ? { invite } : {}), email: String(formData.get("email") ?? "") })}`,
    );
  const parsed = ZSignUp.safeParse({
    name: formData.get("name"),
    email: formData.get("email"),
    password: formData.get("password"),
    invite,
  });
  if (!parsed.success) back(actionErrorMessage(parsed.error) ?? "invalid input");
  else {
    try {
      await signUpHandler({ deps: accountDeps(db, { headers: await headers() }), input: parsed.data });
    } catch (err) {
      const message = actionErrorMessage(err);
      if (message) back(message);
      throw err;
    }
    // Signed in at once; an invited person goes back to the invitation, anyone else creates an org.
    await signIn("credentials", {
      email: parsed.data.email,
      password: parsed.data.password,
      redirectTo: invite ? `/invite/${invite}` : "/onboarding",
    });
  }
}

const MODE_TEXT: Record<string, string> = {
  open: "Create an account, then an organisation for your team.",
  invite: "Accounts on this install are by invitation: open the link you were sent.",
  domains: "Accounts are open to addresses of the collaboration's domains.",
  "oidc-group": "Accounts are created through single sign-on; invited people may sign up here.",
};

export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<{ error?: string; invite?: string; email?: string }>;
}) {
  const { error, invite, email } = await searchParams;
  return (
    <AuthBox
      title="Create your account"
      subtitle={invite ? "Sign up with the address the invitation was sent to." : MODE_TEXT[signupMode.kind]}
    >
      <FormAlert message={error} />
      <form action={signUp} className="space-y-4">
        {invite ? <input type="hidden" name="invite" value={invite} /> : null}
        <TextField id="name" label="Name" autoComplete="name" />
        <TextField id="email" label="Email" type="email" autoComplete="email" defaultValue={email} />
        <TextField
          id="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="At least 10 characters."
        />
        <button type="submit" className={submitClass}>
          Create account
        </button>
      </form>
      <p>
        Already have an account?{" "}
        <Link className={linkClass} href="/signin">
          Sign in
        </Link>
      </p>
    </AuthBox>
  );
}
