/**
 * Deeply nested JSON to the API (issue 12, item 10): 800 KB of `[[[[...` answered 500 "Maximum call
 * stack size exceeded" on /check, /api/keys and /api/auth/login. Every JSON body is depth-limited
 * now: a clear 400, and the server goes on answering.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApi } from "../../src/api/app.ts";
import type { ApiServices } from "../../src/api/services.ts";
import { makeApiServices } from "../helpers/api.ts";

let s: ApiServices;
let app: ReturnType<typeof createApi>;
beforeAll(async () => {
  s = await makeApiServices();
  app = createApi(s);
});
afterAll(() => {
  app.decorator.wsHub.close();
  s.writeBehind.flush(); // the checks that passed are written before the store closes, not into a closed one
  s.ctx.store.close();
});

const NESTED = "[".repeat(400_000) + "]".repeat(400_000); // 800 KB
const TOO_DEEP = "the body is JSON nested deeper than 64 levels; send flatter JSON";

async function post(path: string, body: string, contentType = "application/json") {
  const res = await app.handle(new Request(`http://localhost${path}`, { method: "POST", headers: { "content-type": contentType }, body }));
  return { status: res.status, body: (await res.json()) as { success: boolean; message?: string } };
}

describe("deeply nested JSON bodies", () => {
  test("/check answers 400 with a clear message, for the body itself and for a check request's body", async () => {
    for (const path of ["/check", "/api/waf/check", "/check/batch"]) {
      expect(await post(path, NESTED)).toEqual({ status: 400, body: expect.objectContaining({ success: false, message: TOO_DEEP }) });
    }
    const wrapped = `{"method":"POST","path":"/api","body":${NESTED}}`;
    expect((await post("/check", wrapped)).body.message).toBe(TOO_DEEP);
    // Sent as text, the inline check decodes it as JSON itself: the same limit holds there.
    expect((await post("/check", wrapped, "text/plain")).body.message).toBe(TOO_DEEP);
  });

  test("routes Elysia parses answer 400 too, the login among them", async () => {
    for (const path of ["/api/keys", "/api/auth/login"]) {
      const r = await post(path, `{"name":${NESTED}}`);
      expect({ path, status: r.status, message: r.body.message }).toEqual({ path, status: 400, message: TOO_DEEP });
    }
  });

  test("the server keeps answering, and ordinary nesting still passes", async () => {
    await post("/check", NESTED);
    const r = await post("/check", JSON.stringify({ method: "POST", path: "/api/orders", body: { items: [{ sku: "a", qty: [1, [2, [3]]] }] } }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ is_anomaly: false });
  });
});
