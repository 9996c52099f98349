// Where to go after signing in (or signing up): a page of this site only. An absolute URL, a
// protocol-relative "//host" or a backslash path (browsers read "/\host" as another host) would make
// the sign-in page an open redirect, so anything else falls back to the home page.

const MAX_CALLBACK_LENGTH = 2_000;

/** Request header the proxy sets to the requested path and query (server components read it). */
export const PATH_HEADER = "x-hens-path";

export function safeCallbackUrl(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_CALLBACK_LENGTH) return "/";
  if (!raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\")) return "/";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(raw)) return "/";
  // The sign-in page itself is never a destination (it would loop).
  if (raw === "/signin" || raw.startsWith("/signin?") || raw.startsWith("/signin/")) return "/";
  return raw;
}

/** The sign-in page that returns to `path` afterwards (the home page needs no parameter). */
export function signInUrl(path: string | null | undefined, page = "/signin"): string {
  const target = safeCallbackUrl(path);
  return target === "/" ? page : `${page}?${new URLSearchParams({ callbackUrl: target })}`;
}
