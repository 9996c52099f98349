import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="mx-auto mt-24 max-w-md p-8 text-center">
      <h1 className="mb-2 text-2xl font-semibold">403: not for this account</h1>
      <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
        This page is for the platform's operators.
      </p>
      <Link className="text-indigo-700 underline dark:text-indigo-300" href="/">
        Back to your organisation
      </Link>
    </main>
  );
}
