// Webhooks per org: the event log (eventLog.ts) turned into one delivery per (hook, event), each
// POSTed signed with the hook's secret, retried with exponential backoff, logged. Any number of
// workers may run (one per web process): deliveries are claimed with FOR UPDATE SKIP LOCKED and a
// (webhookId, eventId) unique key keeps one delivery per event, so a receiver dedupes on
// X-Hens-Delivery alone.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import type { Db } from "@hyperensemble/db";
import { EVENT_PAGE, pruneEventLog, readEvents } from "./eventLog.ts";

export const WEBHOOK_SIGNATURE_HEADER = "x-hens-signature";
export const WEBHOOK_TIMESTAMP_HEADER = "x-hens-timestamp";
export const WEBHOOK_DELIVERY_HEADER = "x-hens-delivery";
export const WEBHOOK_EVENT_HEADER = "x-hens-event";
export const MAX_WEBHOOKS_PER_ORG = 20;
const MAX_URL_LENGTH = 2000;

/** A new hook's secret: 32 random bytes, base64url, with a prefix that says what it is. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** HMAC-SHA256 (hex) of `${timestamp}.${body}` under the hook's secret: the `v1=` signature. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** What a receiver does (docs/api.md has the same in Python): recompute, compare in constant time. */
export function verifyWebhook(
  secret: string,
  headers: { signature: string | null; timestamp: string | null },
  body: string,
  opts: { now?: number; toleranceSeconds?: number } = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  const given = /^v1=([0-9a-f]{64})$/.exec(headers.signature ?? "")?.[1];
  if (!Number.isInteger(timestamp) || !given) return false;
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (opts.toleranceSeconds ?? 300)) return false;
  const want = Buffer.from(signWebhook(secret, timestamp, body), "hex");
  return timingSafeEqual(want, Buffer.from(given, "hex"));
}

// Where a hook may not point unless the operator allows it (HENS_WEBHOOK_ALLOW_PRIVATE): loopback,
// private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, unique-local, unspecified.
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["224.0.0.0", 3],
] as const)
  PRIVATE.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  PRIVATE.addSubnet(net, prefix, "ipv6");

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, "ipv4");
  return PRIVATE.check(address, family === 6 ? "ipv6" : "ipv4");
}

export class WebhookUrlError extends Error {
  override name = "WebhookUrlError";
}

/**
 * A hook's target: http or https only, no credentials in it, and (unless `allowPrivate`) every
 * address its host resolves to is public. Checked at creation and again before each delivery
 * (a name may be re-pointed later); what remains is a rebinding between that lookup and the connect.
 */
export async function checkWebhookUrl(
  raw: string,
  opts: { allowPrivate: boolean; resolve?: (host: string) => Promise<string[]> },
): Promise<URL> {
  if (raw.length > MAX_URL_LENGTH) throw new WebhookUrlError(`url: at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError("url: not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new WebhookUrlError("url: only http and https are allowed");
  if (url.username || url.password) throw new WebhookUrlError("url: must not contain credentials");
  if (opts.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const resolve =
    opts.resolve ?? (async (h: string) => (await lookup(h, { all: true })).map((a) => a.address));
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    throw new WebhookUrlError(`url: host ${host} does not resolve`);
  }
  if (addresses.length === 0 || addresses.some(isPrivateAddress))
    throw new WebhookUrlError(
      `url: ${host} is a private, loopback or link-local address (refused; operators may set HENS_WEBHOOK_ALLOW_PRIVATE=1)`,
    );
  return url;
}

export interface WebhookWorkerOptions {
  allowPrivate: boolean;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Attempts before a delivery is FAILED. Default 8. */
  maxAttempts?: number;
  /** First retry after this many ms, doubling each time, capped by maxDelayMs. Default 10 s, 1 h. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** One POST may take this long. Default 10 s. */
  timeoutMs?: number;
}

export function retryDelayMs(
  attempts: number,
  opts: Pick<WebhookWorkerOptions, "baseDelayMs" | "maxDelayMs">,
) {
  const base = opts.baseDelayMs ?? 10_000;
  return Math.min(base * 2 ** Math.max(0, attempts - 1), opts.maxDelayMs ?? 3_600_000);
}

/** Turn new log events into deliveries for every hook (every org): one row per (hook, event). */
export async function enqueueWebhookDeliveries(db: Db): Promise<number> {
  // The worker serves every org, so this scan is raw SQL; each hook's reads below are keyed by orgId.
  const hooks = await db.$queryRaw<{ id: string; orgId: string; cursor: bigint; events: string[] | null }[]>`
    SELECT "id", "orgId", "cursor", "events" FROM "Webhook"`;
  let created = 0;
  for (const hook of hooks) {
    for (let cursor = hook.cursor; ; ) {
      const events = await readEvents(db, { orgId: hook.orgId, after: cursor });
      if (events.length === 0) break;
      const wanted = events.filter((e) => !hook.events?.length || hook.events.includes(e.type));
      if (wanted.length > 0) {
        const result = await db.webhookDelivery.createMany({
          data: wanted.map((e) => ({
            orgId: hook.orgId,
            webhookId: hook.id,
            eventId: BigInt(e.id),
            eventType: e.type,
          })),
          skipDuplicates: true,
        });
        created += result.count;
      }
      const next = BigInt(events.at(-1)?.id ?? cursor);
      await db.webhook.updateMany({
        where: { id: hook.id, orgId: hook.orgId, cursor: { lt: next } },
        data: { cursor: next },
      });
      cursor = next;
      if (events.length < EVENT_PAGE) break;
    }
  }
  return created;
}

interface Claimed {
  id: string;
  orgId: string;
  webhookId: string;
  eventId: bigint;
  attempts: number;
}

/** Claim due deliveries and POST each once; returns how many were attempted. */
export async function deliverDueWebhooks(db: Db, opts: WebhookWorkerOptions, limit = 50): Promise<number> {
  const now = opts.now?.() ?? new Date();
  // The claim pushes nextAttemptAt past the POST's timeout, so a worker that dies mid-POST leaves
  // the delivery to be retried later rather than lost; SKIP LOCKED keeps two workers apart.
  const leaseUntil = new Date(now.getTime() + (opts.timeoutMs ?? 10_000) * 3);
  const claimed = await db.$queryRaw<Claimed[]>`
    UPDATE "WebhookDelivery" SET "nextAttemptAt" = ${leaseUntil}
    WHERE "id" IN (
      SELECT "id" FROM "WebhookDelivery"
      WHERE "state" = 'PENDING' AND "nextAttemptAt" <= ${now}
      ORDER BY "nextAttemptAt", "eventId" LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING "id", "orgId", "webhookId", "eventId", "attempts"`;
  for (const delivery of claimed) await attemptDelivery(db, delivery, opts);
  return claimed.length;
}

async function attemptDelivery(db: Db, d: Claimed, opts: WebhookWorkerOptions): Promise<void> {
  const where = { id: d.id, orgId: d.orgId };
  const [hook, event, org] = await Promise.all([
    db.webhook.findFirst({ where: { id: d.webhookId, orgId: d.orgId }, select: { url: true, secret: true } }),
    db.eventLog.findFirst({ where: { id: d.eventId, orgId: d.orgId } }),
    db.organization.findUnique({ where: { id: d.orgId }, select: { slug: true } }),
  ]);
  if (!hook) return; // deleted with its deliveries (cascade)
  const attempts = d.attempts + 1;
  const finish = (ok: boolean, status: number | null, error: string | null) => {
    const now = opts.now?.() ?? new Date();
    const failed = !ok && attempts >= (opts.maxAttempts ?? 8);
    return db.webhookDelivery.updateMany({
      where,
      data: {
        attempts,
        lastStatus: status,
        lastError: error?.slice(0, 500) ?? null,
        state: ok ? "DELIVERED" : failed ? "FAILED" : "PENDING",
        ...(ok ? { deliveredAt: now } : {}),
        ...(!ok && !failed ? { nextAttemptAt: new Date(now.getTime() + retryDelayMs(attempts, opts)) } : {}),
      },
    });
  };
  if (!event) {
    await db.webhookDelivery.updateMany({
      where,
      data: { attempts, state: "FAILED", lastError: "event expired (HENS_EVENT_RETENTION_DAYS)" },
    });
    return;
  }
  const body = JSON.stringify({
    deliveryId: d.id,
    org: org?.slug ?? null,
    event: {
      id: event.id.toString(),
      type: event.type,
      studyId: event.studyId,
      createdAt: event.createdAt.toISOString(),
      data: event.payload,
    },
  });
  try {
    await checkWebhookUrl(hook.url, { allowPrivate: opts.allowPrivate });
    const timestamp = Math.floor((opts.now?.() ?? new Date()).getTime() / 1000);
    const res = await (opts.fetch ?? fetch)(hook.url, {
      method: "POST",
      // A redirect could lead to a private address: it counts as a failure, never followed.
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      headers: {
        "content-type": "application/json",
        "user-agent": "HyperEnsemble-Webhook/1",
        [WEBHOOK_DELIVERY_HEADER]: d.id,
        [WEBHOOK_EVENT_HEADER]: event.type,
        [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
        [WEBHOOK_SIGNATURE_HEADER]: `v1=${signWebhook(hook.secret, timestamp, body)}`,
      },
      body,
    });
    await res.body?.cancel().catch(() => undefined);
    await finish(res.status >= 200 && res.status < 300, res.status, res.ok ? null : `HTTP ${res.status}`);
  } catch (err) {
    await finish(false, null, (err as Error).message);
  }
}

/**
 * The delivery loop of one process: enqueue, deliver, and hourly apply the event log's retention.
 * Returns a stop function; errors are logged and the loop carries on (the database may be away).
 */
export function startWebhookWorker(
  db: Db,
  opts: WebhookWorkerOptions & { intervalMs?: number; retentionDays: number },
): () => Promise<void> {
  let stopped = false;
  let lastPrune = 0;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    while (!stopped) {
      try {
        await enqueueWebhookDeliveries(db);
        while ((await deliverDueWebhooks(db, opts)) > 0 && !stopped) {}
        if (Date.now() - lastPrune > 3_600_000) {
          lastPrune = Date.now();
          await pruneEventLog(db, opts.retentionDays);
        }
      } catch (err) {
        console.warn(`webhooks: ${(err as Error).message}`);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, opts.intervalMs ?? 2000).unref?.();
      });
    }
  })();
  return async () => {
    stopped = true;
    wake?.();
    await loop;
  };
}
