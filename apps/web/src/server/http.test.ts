import { describe, expect, it } from "vitest";
import { sendSmallUncompressed } from "./http";

const streamed = (body: string, headers: Record<string, string>, status = 200) =>
  new Response(
    new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(body));
        c.close();
      },
    }),
    { status, headers },
  );

describe("sendSmallUncompressed", () => {
  it("marks a small JSON body no-transform, keeping status, headers and body", async () => {
    const body = JSON.stringify({ result: { data: { json: "π ≈ 3.14159" } } });
    const res = await sendSmallUncompressed(
      streamed(
        body,
        { "content-type": "application/json", vary: "trpc-accept", "cache-control": "private" },
        207,
      ),
    );
    expect(res.status).toBe(207);
    expect(res.headers.get("vary")).toBe("trpc-accept");
    expect(res.headers.get("cache-control")).toBe("private, no-transform");
    expect(await res.text()).toBe(body);
    const bare = await sendSmallUncompressed(
      streamed("{}", { "content-type": "application/json; charset=utf-8" }),
    );
    expect(bare.headers.get("cache-control")).toBe("no-transform");
  });

  it("leaves a large JSON body compressible", async () => {
    const body = JSON.stringify({ rows: Array.from({ length: 100 }, (_, i) => ({ i, l1: i / 7 })) });
    expect(body.length).toBeGreaterThan(1024);
    const res = await sendSmallUncompressed(streamed(body, { "content-type": "application/json" }));
    expect(res.headers.get("cache-control")).toBeNull();
    expect(await res.text()).toBe(body);
  });

  it("passes streams and bodiless responses through as they are", async () => {
    const sse = new Response(new ReadableStream(), { headers: { "content-type": "text/event-stream" } });
    expect(await sendSmallUncompressed(sse)).toBe(sse);
    const jsonl = new Response("{}\n", { headers: { "content-type": "application/jsonl" } });
    expect(await sendSmallUncompressed(jsonl)).toBe(jsonl);
    const empty = new Response(null, { status: 204 });
    expect(await sendSmallUncompressed(empty)).toBe(empty);
  });
});
