/** POST /mirror: nginx's copies of client requests, bodies included, judged out of band. */
import { afterEach, describe, expect, test } from "bun:test";
import { createApi } from "../../src/api/app.ts";
import { makeApiServices, type TestServices } from "../helpers/api.ts";
import { waitFor } from "../helpers/serve.ts";

const ID = "5d1f0c6e2a9b4c8d9e0f1a2b3c4d5e6f";
let open: TestServices[] = [];
afterEach(async () => {
  for (const s of open) {
    await s.live.close();
    s.ctx.store.close();
  }
  open = [];
});

async function setup(env: Record<string, string> = {}) {
  const s = await makeApiServices({ MOAT_MIRROR_JOIN_WAIT_MS: "0", ...env });
  open.push(s);
  const app = createApi(s);
  const mirror = (body: string | null, headers: Record<string, string> = {}) =>
    app.handle(
      new Request("http://127.0.0.1/mirror", {
        method: "POST",
        headers: { "x-original-method": "POST", "x-original-uri": "/login?next=%2Fhome", "x-original-remote-addr": "198.51.100.4", "x-original-host": "shop.example", "x-moat-request-id": ID, "content-type": "application/x-www-form-urlencoded", ...headers },
        ...(body === null ? {} : { body }),
      }),
    );
  const rows = () => s.ctx.store.sqlite.query("select client_ip, method, path, query, is_anomaly, attack_type, source, request_id, partial from traffic").all() as Record<string, unknown>[];
  const stored = async (n: number) => {
    await waitFor(`${n} mirrored rows stored`, () => {
      s.writeBehind.flush();
      return rows().length >= n;
    }, 10_000);
    return rows();
  };
  return { s, app, mirror, stored };
}

describe("POST /mirror", () => {
  test("the copy is answered 204 at once, judged with its body, and stored with its request id", async () => {
    const { mirror, stored, s } = await setup();
    const res = await mirror("user=admin&password=x' OR '1'='1' --");
    expect(res.status).toBe(204);
    expect(await stored(1)).toEqual([{ client_ip: "198.51.100.4", method: "POST", path: "/login", query: "next=%2Fhome", is_anomaly: 1, attack_type: "sqli", source: "mirror", request_id: ID, partial: null }]);
    const threat = s.ctx.store.sqlite.query("select request from threats").get() as { request: string };
    expect(JSON.parse(threat.request)).toMatchObject({ body: expect.stringContaining("password=") });
    expect(s.mirror!.status()).toMatchObject({ received: 1, judged: 1, dropped: 0, oversize: 0, storedAlone: 1 });
  });

  test("a body over mirror.max_body_bytes is read to its end, judged on its start, and stored as partial", async () => {
    const { mirror, stored, s } = await setup({ MOAT_MIRROR_MAX_BODY_BYTES: "1024" });
    const body = `q=<script>alert(document.cookie)</script>&pad=${"a".repeat(200_000)}`;
    expect((await mirror(body)).status).toBe(204);
    const [row] = await stored(1);
    expect(row).toMatchObject({ is_anomaly: 1, attack_type: "xss", partial: `body-oversize: the body is ${body.length} bytes and only its start was judged` });
    expect(s.mirror!.status().oversize).toBe(1);
  });

  test("bodies larger than server.max_body_bytes reach the mirror; every other route still refuses them", async () => {
    const { mirror, stored, app } = await setup({ MOAT_SERVER_MAX_BODY_BYTES: "4096" });
    expect((await mirror(`data=${"b".repeat(100_000)}`)).status).toBe(204);
    expect(await stored(1)).toHaveLength(1);
    const check = await app.handle(new Request("http://127.0.0.1/check", { method: "POST", headers: { "content-type": "application/json", "content-length": "100000" }, body: JSON.stringify({ method: "GET", path: "/", body: "c".repeat(99_950) }) }));
    expect(check.status).toBe(413);
  });

  test("without the snippet's headers: a 400 that names the header and the snippet", async () => {
    const { mirror } = await setup();
    const res = await mirror("a=1", { "x-original-method": "" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain("mirror.conf");
  });

  test("mirror.enabled = false: 404, nothing stored", async () => {
    const { mirror, s } = await setup({ MOAT_MIRROR_ENABLED: "false" });
    expect((await mirror("a=1")).status).toBe(404);
    expect(s.mirror).toBeNull();
  });
});
