// Webhooks end to end on a real Postgres and real HTTP receivers: each event reaches a receiver
// once per delivery id with a valid signature (even with two workers racing), a failing receiver is
// retried with exponential backoff until it answers, and the URL guard refuses private targets. The
// signature is checked against docs/api.md's format, recomputed apart from the platform's code.
import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Db } from "@hyperensemble/db";
import { createTestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkWebhookUrl,
  deliverDueWebhooks,
  enqueueWebhookDeliveries,
  isPrivateAddress,
  retryDelayMs,
  verifyWebhook,
  WebhookUrlError,
} from "./webhooks.ts";

let db: Db;
let drop: () => Promise<void>;
let orgId: string;
let ownerId: string;

/**
 * The signature as docs/api.md §10 defines it, recomputed here apart from the platform's code:
 * "HMAC-SHA256, keyed by the hook's secret, of `<X-Hens-Timestamp>.<raw body>`, in hex", sent as v1=.
 */
function documentedSignature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac("sha256", Buffer.from(secret, "utf8"))
    .update(Buffer.concat([Buffer.from(timestamp, "utf8"), Buffer.from("."), Buffer.from(body, "utf8")]))
    .digest("hex")}`;
}

/** docs/api.md §10's own Python verifier, run as printed on each delivery: what a user would run. */
function documentedPythonVerify(deliveries: { secret: string; r: Received }[]): boolean[] {
  const doc = readFileSync(new URL("../../../docs/api.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## 10. Webhooks"));
  const snippet = /```python\n([\s\S]*?)```/.exec(section)?.[1];
  if (!snippet?.includes("def verify(")) throw new Error("docs/api.md §10 has no Python verify()");
  const driver = `${snippet}
import json, sys
cases = json.load(sys.stdin)
print(json.dumps([verify(c["secret"], c["headers"], c["body"].encode("utf-8")) for c in cases]))
`;
  const input = deliveries.map(({ secret, r }) => ({
    secret,
    headers: { "X-Hens-Timestamp": r.timestamp, "X-Hens-Signature": r.signature },
    body: r.body,
  }));
  const run = spawnSync("python3", ["-c", driver], { input: JSON.stringify(input), encoding: "utf8" });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr || run.error}`);
  return JSON.parse(run.stdout) as boolean[];
}

interface Received {
  delivery: string;
  event: string;
  signature: string | null;
  timestamp: string | null;
  body: string;
}

/** A receiver that answers `statusFor(n)` to its n-th request (1-based) and records every request. */
async function receiver(statusFor: (n: number) => number) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({
        delivery: String(req.headers["x-hens-delivery"]),
        event: String(req.headers["x-hens-event"]),
        signature: (req.headers["x-hens-signature"] as string | undefined) ?? null,
        timestamp: (req.headers["x-hens-timestamp"] as string | undefined) ?? null,
        body,
      });
      res.writeHead(statusFor(received.length)).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

beforeAll(async () => {
  const t = await createTestDatabase({ max: 8 });
  db = t.db;
  drop = t.drop;
  const org = await db.organization.create({ data: { slug: "hooks", name: "Hooks" } });
  const user = await db.user.create({ data: { email: "owner@hooks.test" } });
  orgId = org.id;
  ownerId = user.id;
});
afterAll(async () => drop());

async function studyWithTrials(n: number) {
  const study = await db.study.create({
    data: {
      orgId,
      ownerId,
      name: "hooked",
      task: { kind: "closure", level: 0 },
      searchSpace: {},
      ensemble: { replicas: 2 },
      training: {},
      seed: 1,
      maxTrials: n,
    },
  });
  for (let i = 0; i < n; i++)
    await db.trial.create({ data: { orgId, studyId: study.id, number: i, params: {} } });
  return study;
}

describe("webhook delivery", () => {
  it("delivers each event once per delivery id, signed; a failing receiver is retried with backoff", async () => {
    const good = await receiver(() => 200);
    // Fails twice (500, then 503), then accepts: every delivery is retried until it lands.
    const flaky = await receiver((n) => (n === 1 ? 500 : n === 2 ? 503 : 200));
    const head = (await db.eventLog.findFirst({ where: { orgId }, orderBy: { id: "desc" } }))?.id ?? 0n;
    const secrets = { good: "whsec_good_secret", flaky: "whsec_flaky_secret" };
    const goodHook = await db.webhook.create({
      data: { orgId, url: good.url, secret: secrets.good, createdBy: ownerId, cursor: head, events: [] },
    });
    const flakyHook = await db.webhook.create({
      data: {
        orgId,
        url: flaky.url,
        secret: secrets.flaky,
        createdBy: ownerId,
        cursor: head,
        events: ["study.state"],
      },
    });

    const study = await studyWithTrials(2);
    const trials = await db.trial.findMany({
      where: { orgId, studyId: study.id },
      orderBy: { number: "asc" },
    });
    for (const t of trials) {
      await db.trial.updateMany({ where: { id: t.id, orgId }, data: { state: "RUNNING" } });
      await db.intermediateValue.create({ data: { orgId, trialId: t.id, step: 1, value: 1, attempt: 1 } });
      await db.trial.updateMany({ where: { id: t.id, orgId }, data: { state: "COMPLETE" } });
    }
    await db.study.updateMany({ where: { id: study.id, orgId }, data: { state: "COMPLETED" } });
    const log = await db.eventLog.findMany({ where: { orgId, id: { gt: head } }, orderBy: { id: "asc" } });
    expect(log.map((e) => e.type)).toEqual([
      "study.state",
      "trial.started",
      "trial.reported",
      "trial.completed",
      "trial.started",
      "trial.reported",
      "trial.completed",
      "study.state",
    ]);

    // Two workers enqueue and deliver at the same time, on a clock the test moves.
    let clock = Date.now();
    const opts = { allowPrivate: true, now: () => new Date(clock), baseDelayMs: 1000, maxDelayMs: 60_000 };
    await Promise.all([enqueueWebhookDeliveries(db), enqueueWebhookDeliveries(db)]);
    clock = Date.now();
    await Promise.all([deliverDueWebhooks(db, opts), deliverDueWebhooks(db, opts)]);

    expect(good.received.map((r) => r.event)).toEqual(log.map((e) => e.type));
    expect(new Set(good.received.map((r) => r.delivery)).size).toBe(log.length);
    for (const r of good.received) {
      expect(verifyWebhook(secrets.good, r, r.body, { now: clock })).toBe(true);
      expect(verifyWebhook(secrets.flaky, r, r.body, { now: clock })).toBe(false);
      expect(verifyWebhook(secrets.good, r, `${r.body} `, { now: clock })).toBe(false);
      const body = JSON.parse(r.body) as {
        deliveryId: string;
        org: string;
        event: { id: string; type: string };
      };
      expect(body.deliveryId).toBe(r.delivery);
      expect(body.org).toBe("hooks");
    }
    expect(good.received.map((r) => JSON.parse(r.body).event.id)).toEqual(log.map((e) => e.id.toString()));
    // The delivered header is the documented HMAC, recomputed without the platform's code, and the
    // docs' Python verifier accepts it (and refuses another hook's secret or a changed body).
    for (const r of good.received) {
      expect(r.signature).toBe(documentedSignature(secrets.good, r.timestamp!, r.body));
      expect(Math.abs(Number(r.timestamp) - clock / 1000)).toBeLessThanOrEqual(1);
    }
    expect(
      documentedPythonVerify([
        ...good.received.map((r) => ({ secret: secrets.good, r })),
        { secret: secrets.flaky, r: good.received[0]! },
        { secret: secrets.good, r: { ...good.received[0]!, body: `${good.received[0]!.body} ` } },
      ]),
    ).toEqual([...good.received.map(() => true), false, false]);

    // The flaky hook wants study.state only: two deliveries, both failed once (500 and 503).
    expect(flaky.received.map((r) => r.event)).toEqual(["study.state", "study.state"]);
    let rows = await db.webhookDelivery.findMany({
      where: { orgId, webhookId: flakyHook.id },
      orderBy: { eventId: "asc" },
    });
    // Which of the two met the 500 and which the 503 depends on which worker went first.
    expect(rows.map((d) => [d.state, d.attempts])).toEqual([
      ["PENDING", 1],
      ["PENDING", 1],
    ]);
    expect(rows.map((d) => d.lastStatus).sort()).toEqual([500, 503]);
    expect(rows[0]!.nextAttemptAt.getTime()).toBe(clock + retryDelayMs(1, opts));
    // Not due yet: nothing is sent.
    expect(await deliverDueWebhooks(db, opts)).toBe(0);
    clock += retryDelayMs(1, opts);
    await deliverDueWebhooks(db, opts);
    rows = await db.webhookDelivery.findMany({
      where: { orgId, webhookId: flakyHook.id },
      orderBy: { eventId: "asc" },
    });
    expect(rows.map((d) => [d.state, d.attempts, d.lastStatus])).toEqual([
      ["DELIVERED", 2, 200],
      ["DELIVERED", 2, 200],
    ]);
    // The retries carried the same delivery ids, re-signed with a fresh timestamp.
    const ids = flaky.received.map((r) => r.delivery);
    expect(ids.slice(2).sort()).toEqual(ids.slice(0, 2).sort());
    for (const r of flaky.received) {
      expect(verifyWebhook(secrets.flaky, r, r.body, { now: clock })).toBe(true);
      expect(r.signature).toBe(documentedSignature(secrets.flaky, r.timestamp!, r.body));
    }

    // Nothing more: no event is delivered twice once delivered.
    await enqueueWebhookDeliveries(db);
    expect(await deliverDueWebhooks(db, opts)).toBe(0);
    expect(await db.webhookDelivery.count({ where: { orgId, webhookId: goodHook.id } })).toBe(log.length);
    await good.close();
    await flaky.close();
  });

  it("gives up after maxAttempts, with the backoff doubling up to its cap", async () => {
    const down = await receiver(() => 500);
    const head = (await db.eventLog.findFirst({ where: { orgId }, orderBy: { id: "desc" } }))?.id ?? 0n;
    const hook = await db.webhook.create({
      data: { orgId, url: down.url, secret: "s", createdBy: ownerId, cursor: head, events: [] },
    });
    await studyWithTrials(0);
    await enqueueWebhookDeliveries(db);
    let clock = Date.now();
    const opts = {
      allowPrivate: true,
      now: () => new Date(clock),
      baseDelayMs: 1000,
      maxDelayMs: 4000,
      maxAttempts: 4,
    };
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await deliverDueWebhooks(db, opts);
      const row = await db.webhookDelivery.findFirstOrThrow({ where: { orgId, webhookId: hook.id } });
      if (row.state === "PENDING") delays.push(row.nextAttemptAt.getTime() - clock);
      clock = row.nextAttemptAt.getTime();
    }
    const row = await db.webhookDelivery.findFirstOrThrow({ where: { orgId, webhookId: hook.id } });
    expect(delays).toEqual([1000, 2000, 4000]);
    expect([row.state, row.attempts, row.lastError]).toEqual(["FAILED", 4, "HTTP 500"]);
    expect(down.received).toHaveLength(4);
    await down.close();
  });
});

describe("webhook URLs", () => {
  const refuse = async (url: string, resolve?: (h: string) => Promise<string[]>) => {
    const err = await checkWebhookUrl(url, { allowPrivate: false, ...(resolve ? { resolve } : {}) }).catch(
      (e) => e,
    );
    expect(err, url).toBeInstanceOf(WebhookUrlError);
    return (err as Error).message;
  };

  it("accepts http(s) to public addresses only unless the operator allows private ones", async () => {
    expect(await refuse("ftp://93.184.216.34/x")).toBe("url: only http and https are allowed");
    expect(await refuse("https://user:pw@93.184.216.34/x")).toBe("url: must not contain credentials");
    expect(await refuse("not a url")).toBe("url: not a valid URL");
    for (const host of [
      "127.0.0.1",
      "10.1.2.3",
      "172.20.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "[::1]",
      "[::ffff:127.0.0.1]",
      "[fd00::1]",
      "0.0.0.0",
    ])
      expect(await refuse(`http://${host}/x`)).toMatch(/private, loopback or link-local/);
    // A name is judged by every address it resolves to.
    expect(await refuse("https://hooks.example.test/x", async () => ["93.184.216.34", "10.0.0.5"])).toMatch(
      /private/,
    );
    const ok = await checkWebhookUrl("https://hooks.example.test/x", {
      allowPrivate: false,
      resolve: async () => ["93.184.216.34"],
    });
    expect(ok.hostname).toBe("hooks.example.test");
    expect((await checkWebhookUrl("http://127.0.0.1:9/x", { allowPrivate: true })).port).toBe("9");
    expect(isPrivateAddress("8.8.8.8")).toBe(false);
    expect(isPrivateAddress("2001:4860:4860::8888")).toBe(false);
  });
});
