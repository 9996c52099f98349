import Link from "next/link";
import type { ButtonHTMLAttributes, ReactNode } from "react";

// The shared component set: every page builds from these so spacing, colour and focus look alike.

const STATE_COLOURS: Record<string, string> = {
  DRAFT: "bg-slate-200 text-slate-800 dark:bg-slate-700 dark:text-slate-100",
  QUEUED: "bg-slate-200 text-slate-800 dark:bg-slate-700 dark:text-slate-100",
  WAITING: "bg-slate-200 text-slate-800 dark:bg-slate-700 dark:text-slate-100",
  RUNNING: "bg-blue-100 text-blue-900 dark:bg-blue-900 dark:text-blue-100",
  BUSY: "bg-blue-100 text-blue-900 dark:bg-blue-900 dark:text-blue-100",
  COMPLETED: "bg-green-100 text-green-900 dark:bg-green-900 dark:text-green-100",
  COMPLETE: "bg-green-100 text-green-900 dark:bg-green-900 dark:text-green-100",
  IDLE: "bg-green-100 text-green-900 dark:bg-green-900 dark:text-green-100",
  ONLINE: "bg-green-100 text-green-900 dark:bg-green-900 dark:text-green-100",
  PRUNED: "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
  PAUSED: "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
  FAIL: "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
  FAILED: "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
  LOST: "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
  CANCELLED: "bg-zinc-200 text-zinc-800 dark:bg-zinc-700 dark:text-zinc-100",
  OFFLINE: "bg-zinc-200 text-zinc-800 dark:bg-zinc-700 dark:text-zinc-100",
};

export function StateBadge({ state }: { state: string }) {
  return (
    <span
      className={`inline-block rounded px-2 py-0.5 text-xs font-medium ${STATE_COLOURS[state] ?? "bg-slate-100 dark:bg-slate-800"}`}
      data-state={state}
    >
      {state}
    </span>
  );
}

export function Card({
  title,
  children,
  actions,
  className = "",
  testId,
}: {
  title?: string;
  children: ReactNode;
  actions?: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section
      className={`rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900 ${className}`}
      aria-label={title}
      data-testid={testId}
    >
      {title || actions ? (
        <div className="mb-3 flex items-center justify-between gap-2">
          {title ? (
            <h2 className="text-sm font-semibold text-slate-600 dark:text-slate-300">{title}</h2>
          ) : (
            <span />
          )}
          {actions}
        </div>
      ) : null}
      {children}
    </section>
  );
}

export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <div className="flex flex-wrap items-center justify-between gap-3">
      <h1 className="text-2xl font-semibold">{title}</h1>
      {children ? <div className="flex flex-wrap items-center gap-2">{children}</div> : null}
    </div>
  );
}

const BUTTON_KINDS = {
  primary: "bg-indigo-700 text-white hover:bg-indigo-800 disabled:opacity-50",
  secondary:
    "border border-slate-300 bg-white text-slate-900 hover:bg-slate-50 disabled:opacity-50 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-100 dark:hover:bg-slate-700",
  danger: "bg-red-700 text-white hover:bg-red-800 disabled:opacity-50",
} as const;

export const focusRing =
  "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500";

export function Button({
  kind = "secondary",
  className = "",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { kind?: keyof typeof BUTTON_KINDS }) {
  return (
    <button
      type="button"
      {...props}
      className={`rounded px-3 py-1.5 text-sm font-medium ${BUTTON_KINDS[kind]} ${focusRing} ${className}`}
    />
  );
}

/**
 * A button that asks before it acts: the one home for confirming deletes, revokes and removals, so
 * no destructive control fires on a single stray click.
 */
export function ConfirmButton({
  question,
  onConfirm,
  ...props
}: Omit<ButtonHTMLAttributes<HTMLButtonElement>, "onClick"> & {
  kind?: keyof typeof BUTTON_KINDS;
  question: string;
  onConfirm: () => void;
}) {
  return (
    <Button
      {...props}
      onClick={() => {
        if (window.confirm(question)) onConfirm();
      }}
    />
  );
}

export function LinkButton({
  href,
  children,
  kind = "primary",
}: {
  href: string;
  children: ReactNode;
  kind?: keyof typeof BUTTON_KINDS;
}) {
  return (
    <Link
      href={href}
      className={`rounded px-3 py-1.5 text-sm font-medium ${BUTTON_KINDS[kind]} ${focusRing}`}
    >
      {children}
    </Link>
  );
}

export const inputClass = `mt-1 w-full rounded border border-slate-400 bg-white px-3 py-2 text-sm dark:border-slate-600 dark:bg-slate-800 ${focusRing}`;
export const linkClass = `text-indigo-700 underline underline-offset-2 hover:decoration-2 dark:text-indigo-300 ${focusRing}`;

export function Field({
  id,
  label,
  error,
  hint,
  children,
}: {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint && !error ? (
        <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} role="alert" className="mt-1 text-sm text-red-700 dark:text-red-300">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A labelled search box that filters a list as the user types (the admin lists). */
export function SearchField({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field id={id} label={label}>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} className={inputClass} />
    </Field>
  );
}

/** What is missing and what to do about it. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded border border-dashed border-slate-300 p-6 text-center dark:border-slate-700">
      <p className="font-medium">{title}</p>
      {children ? <div className="mt-2 text-sm text-slate-600 dark:text-slate-400">{children}</div> : null}
    </div>
  );
}

/**
 * A mutation's error as a sentence: the server's field errors (each naming its field, relabelled by
 * `labels`), never the raw JSON of a validation failure.
 */
export function readableError(
  err: { message: string; data?: unknown },
  labels: Record<string, string> = {},
): string {
  const fields = (err.data as { fieldErrors?: Record<string, string> | null } | undefined)?.fieldErrors;
  if (fields && Object.keys(fields).length > 0)
    return Object.entries(fields)
      .map(([path, message]) => {
        const label = labels[path];
        return label && message.startsWith(`${path} `) ? `${label}${message.slice(path.length)}` : message;
      })
      .join("; ");
  return err.message.trim().startsWith("[") ? "The request was not valid." : err.message;
}

/** An error with the next step, never a bare stack: NOT_FOUND reads as "not here or not yours". */
export function ErrorState({
  error,
  what,
}: {
  error: { message: string; data?: unknown } | null;
  what: string;
}) {
  if (!error) return null;
  const code = (error.data as { code?: string } | undefined)?.code;
  const hint =
    code === "NOT_FOUND"
      ? `This ${what} does not exist, or it belongs to an organisation you are not a member of. Check the link or switch organisation.`
      : code === "FORBIDDEN"
        ? "Your role does not allow this. Ask an owner or admin of the organisation."
        : code === "UNAUTHORIZED"
          ? "Your session ended. Sign in again."
          : "Try again in a moment; if it keeps failing, check that the server and database are running.";
  return (
    <div
      role="alert"
      data-testid="error-state"
      className="rounded border border-red-300 bg-red-50 p-4 text-sm dark:border-red-800 dark:bg-red-950"
    >
      <p className="font-medium text-red-800 dark:text-red-200">
        Could not load the {what}: {error.message}
      </p>
      <p className="mt-1 text-red-800 dark:text-red-200">{hint}</p>
    </div>
  );
}

/** A failed action's message (a mutation refused, with its reason) where the page or form shows it; nothing when there is none. */
export function ActionError({
  message,
  className,
}: {
  message: string | null | undefined;
  className?: string;
}) {
  if (!message) return null;
  return (
    <p role="alert" className={`${className ? `${className} ` : ""}text-sm text-red-700 dark:text-red-300`}>
      {message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="text-sm text-slate-600 dark:text-slate-400" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function fmt(value: number | null | undefined, digits = 4): string {
  if (value == null || !Number.isFinite(value)) return "–";
  return Math.abs(value) >= 1000 || (Math.abs(value) < 1e-3 && value !== 0)
    ? value.toExponential(2)
    : value.toFixed(digits);
}

export function fmtSeconds(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return "–";
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function formatParams(params: unknown): string {
  if (!params || typeof params !== "object") return "";
  return Object.entries(params as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === "number" ? Number(v.toPrecision(3)) : String(v)}`)
    .join(" ");
}

/** A sortable column header: a real button, with aria-sort on the cell. */
export function SortHeader<K extends string>({
  label,
  column,
  sort,
  dir,
  onSort,
  className = "",
  testId,
}: {
  label: string;
  column: K;
  sort: K;
  dir: "asc" | "desc";
  onSort: (column: K) => void;
  className?: string;
  testId?: string;
}) {
  const active = sort === column;
  return (
    <th
      scope="col"
      className={`py-2 pr-3 ${className}`}
      data-testid={testId}
      aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : "none"}
    >
      <button type="button" className={`font-medium ${focusRing}`} onClick={() => onSort(column)}>
        {label}
        <span aria-hidden="true">{active ? (dir === "asc" ? " ▲" : " ▼") : ""}</span>
      </button>
    </th>
  );
}

export function Pagination({
  page,
  pageSize,
  total,
  onPage,
  label,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
  label: string;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav aria-label={label} className="mt-3 flex items-center gap-3 text-sm">
      <Button onClick={() => onPage(page - 1)} disabled={page <= 0}>
        Previous
      </Button>
      <span>
        Page {page + 1} of {pages} ({total} total)
      </span>
      <Button onClick={() => onPage(page + 1)} disabled={page + 1 >= pages}>
        Next
      </Button>
    </nav>
  );
}

/**
 * Tables fill their card; on a phone a table wider than the screen scrolls inside itself (display
 * block + overflow) instead of making the whole page scroll sideways. `relative` makes it the
 * containing block of its screen-reader-only labels (position: absolute), which would otherwise
 * escape the scrolling box and widen the page.
 */
export const tableClass = "relative w-full text-left text-sm max-md:block max-md:overflow-x-auto";
export const theadClass = "text-slate-600 dark:text-slate-300";
export const rowClass = "border-t border-slate-100 align-top dark:border-slate-800";

/**
 * A table's header row of plain column labels. The first column carries the row's vertical padding;
 * `{ srOnly }` names a column for screen readers only (an actions column, say).
 */
export function TableHead({ columns }: { columns: readonly (string | { srOnly: string })[] }) {
  return (
    <thead className={theadClass}>
      <tr>
        {columns.map((c, i) => (
          <th
            key={typeof c === "string" ? c : c.srOnly}
            scope="col"
            className={i === 0 ? "py-2 pr-3" : "pr-3"}
          >
            {typeof c === "string" ? c : <span className="sr-only">{c.srOnly}</span>}
          </th>
        ))}
      </tr>
    </thead>
  );
}
