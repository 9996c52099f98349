import type { ReactNode } from "react";
import { Field, inputClass } from "./ui";

// The frame of the signed-out pages (sign-up, password reset, email confirmation, onboarding).

export function AuthBox({
  title,
  subtitle,
  children,
}: {
  title: string;
  subtitle?: string;
  children: ReactNode;
}) {
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <h1 className="mb-1 text-2xl font-semibold">{title}</h1>
      {subtitle ? <p className="mb-6 text-sm text-slate-600 dark:text-slate-400">{subtitle}</p> : null}
      <div className="space-y-4 text-sm">{children}</div>
    </main>
  );
}

export function FormAlert({
  message,
  kind = "error",
}: {
  message: string | undefined;
  kind?: "error" | "info";
}) {
  if (!message) return null;
  const colour =
    kind === "error"
      ? "bg-red-50 text-red-700 dark:bg-red-950 dark:text-red-300"
      : "bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200";
  return (
    <p role={kind === "error" ? "alert" : "status"} className={`rounded p-2 text-sm ${colour}`}>
      {message}
    </p>
  );
}

export function TextField({
  id,
  label,
  type = "text",
  autoComplete,
  defaultValue,
  hint,
  required = true,
}: {
  id: string;
  label: string;
  type?: string;
  autoComplete?: string;
  defaultValue?: string | undefined;
  hint?: string;
  required?: boolean;
}) {
  return (
    <Field id={id} label={label} {...(hint ? { hint } : {})}>
      <input
        id={id}
        name={id}
        type={type}
        required={required}
        autoComplete={autoComplete}
        defaultValue={defaultValue}
        className={inputClass}
      />
    </Field>
  );
}

export const submitClass =
  "w-full rounded bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500";
