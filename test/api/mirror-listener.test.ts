/** The mirror's listener (src/api/mirror/): nginx's copies of client requests, on a port and a thread of their own. */
import { afterEach, describe, expect, test } from "bun:test";
import { KEY_REFRESH_MS, listenForMirror, MirrorListener, type MirrorListenerOptions } from "../../src/api/mirror/listener.ts";
import { createKey, listKeys, revokeKey } from "../../src/api/auth/keys.ts";
import { makeApiServices, type TestServices } from "../helpers/api.ts";
import { createApi } from "../../src/api/app.ts";
import { waitFor } from "../helpers/serve.ts";

const ID = "5d1f0c6e2a9b4c8d9e0f1a2b3c4d5e6f";
let open: { s: TestServices; listener: MirrorListener | null }[] = [];
afterEach(async () => {
  for (const { s, listener } of open) {
    await listener?.close();
    await s.live.close();
    s.ctx.store.close();
  }
  open = [];
});

/** A browser's form post to the site, as nginx's snippet copies it: the client's own Origin and Referer included. */
const SNIPPET_HEADERS = {
  "x-original-method": "POST",
  "x-original-uri": "/login?next=%2Fhome",
  "x-original-remote-addr": "198.51.100.4",
  "x-original-host": "shop.example",
  "x-moat-request-id": ID,
  "content-type": "application/x-www-form-urlencoded",
  origin: "https://shop.example",
  referer: "https://shop.example/login",
};

async function setup(env: Record<string, string> = {}) {
  const s = await makeApiServices({ MOAT_MIRROR_JOIN_WAIT_MS: "0", MOAT_MIRROR_PORT: "0", ...env });
  const listener = s.mirror ? await listenForMirror(s.ctx, s.mirror) : null;
  open.push({ s, listener });
  const base = `http://127.0.0.1:${listener?.port}`;
  const mirror = (body: string | null, headers: Record<string, string> = {}, path = "/mirror") =>
    fetch(`${base}${path}`, { method: "POST", headers: { ...SNIPPET_HEADERS, ...headers }, ...(body === null ? {} : { body }) });
  const rows = () => s.ctx.store.sqlite!.query("select client_ip, method, path, query, is_anomaly, attack_type, source, request_id, partial from traffic").all() as Record<string, unknown>[];
  const stored = async (n: number) => {
    await waitFor(`${n} mirrored rows stored`, () => {
      s.writeBehind.flush();
      return rows().length >= n;
    }, 10_000);
    return rows();
  };
  return { s, mirror, stored, rows };
}

/** A listener on its own, on a free loopback port, with no key required; `o` replaces what a test watches. */
function bareListener(o: Partial<MirrorListenerOptions>): Promise<MirrorListener> {
  const ignore = () => {};
  return MirrorListener.start({ host: "127.0.0.1", port: 0, maxBodyBytes: 1024, hosts: { hosts: new Set(), origins: new Set() }, keyHashes: () => null, accept: ignore, dropped: ignore, refused: ignore, onError: ignore, maxInTransit: 100, ...o });
}

describe("the mirror's listener", () => {
  test("a browser's copy (its Origin and Referer are the site's) is answered 204, judged with its body, and stored with its request id", async () => {
    const { mirror, stored, s } = await setup();
    const res = await mirror("user=admin&password=x' OR '1'='1' --");
    expect(res.status).toBe(204);
    expect(await stored(1)).toEqual([{ client_ip: "198.51.100.4", method: "POST", path: "/login", query: "next=%2Fhome", is_anomaly: 1, attack_type: "sqli", source: "mirror", request_id: ID, partial: null }]);
    const threat = s.ctx.store.sqlite!.query("select request from threats").get() as { request: string };
    expect(JSON.parse(threat.request)).toMatchObject({ body: expect.stringContaining("password=") });
    expect(s.mirror!.status()).toMatchObject({ received: 1, judged: 1, dropped: 0, refused: 0, oversize: 0, storedAlone: 1 });
  });

  test("a body over mirror.max_body_bytes is read to its end, judged on its start, and stored as partial", async () => {
    const { mirror, stored, s } = await setup({ MOAT_MIRROR_MAX_BODY_BYTES: "1024" });
    const body = `q=<script>alert(document.cookie)</script>&pad=${"a".repeat(200_000)}`;
    expect((await mirror(body)).status).toBe(204);
    const [row] = await stored(1);
    expect(row).toMatchObject({ is_anomaly: 1, attack_type: "xss", partial: `body-oversize: the body is ${body.length} bytes and only its start was judged` });
    expect(s.mirror!.status().oversize).toBe(1);
  });

  test("bodies larger than server.max_body_bytes reach the mirror", async () => {
    const { mirror, stored } = await setup({ MOAT_SERVER_MAX_BODY_BYTES: "4096" });
    expect((await mirror(`data=${"b".repeat(100_000)}`)).status).toBe(204);
    expect(await stored(1)).toHaveLength(1);
  });

  test("what is not a copy from the snippet is refused, counted, and stored nowhere", async () => {
    const { mirror, s, rows } = await setup();
    const noMethod = await mirror("a=1", { "x-original-method": "" });
    expect(noMethod.status).toBe(400);
    expect(((await noMethod.json()) as { message: string }).message).toContain("mirror.conf");
    expect((await mirror("a=1", {}, "/check")).status).toBe(404);
    // A name that DNS could rebind to 127.0.0.1 (a page there would be same-origin and could set the headers).
    expect((await mirror("a=1", { host: "attacker.example:8081" })).status).toBe(421);
    await waitFor("the refusals counted", () => s.mirror!.status().refused === 3, 5_000);
    expect(rows()).toEqual([]);
  });

  test("beyond loopback, or with server.require_api_key = always, a live key is required, and a revoked one stops working", async () => {
    const { mirror, stored, s } = await setup({ MOAT_SERVER_REQUIRE_API_KEY: "always" });
    expect((await mirror("a=1")).status).toBe(401);
    const key = createKey(s.ctx.store, "nginx-mirror", { scope: "check" });
    await Bun.sleep(KEY_REFRESH_MS + 500);
    expect((await mirror("a=1", { "x-api-key": key.key })).status).toBe(204);
    expect(await stored(1)).toHaveLength(1);
    // The key shows as used in `moat apikey list`, as a key the API checked does.
    expect(listKeys(s.ctx.store).find((k) => k.id === key.id)?.lastUsedAt).toBeNumber();
    revokeKey(s.ctx.store, key.id);
    await Bun.sleep(KEY_REFRESH_MS + 500);
    expect((await mirror("a=1", { "x-api-key": key.key })).status).toBe(401);
  });

  test("while the main thread is busy, copies on their way to it are bounded: past the limit they are dropped unread and counted", async () => {
    let accepted = 0;
    let dropped = 0;
    const listener = await bareListener({ accept: () => void accepted++, dropped: (n) => void (dropped += n), maxInTransit: 10 });
    try {
      // Another process sends 50 copies at once while this thread is blocked and cannot take any.
      const sender = Bun.spawn(
        [process.execPath, "-e", `await Promise.all(Array.from({ length: 50 }, (_, i) => fetch("http://127.0.0.1:${listener.port}/mirror", { method: "POST", headers: { "x-original-method": "POST", "x-original-uri": "/p?i=" + i }, body: "a=" + i })));`],
        { stdout: "ignore", stderr: "inherit" },
      );
      Bun.sleepSync(3000);
      expect(await sender.exited).toBe(0);
      await waitFor("every copy counted", () => accepted + dropped === 50, 10_000);
      expect(accepted).toBeLessThanOrEqual(10);
      expect(dropped).toBeGreaterThanOrEqual(40);
    } finally {
      await listener.close();
    }
  });

  test("a steady trickle of copies reaches the main thread in few hand-overs, not one a copy (each wakes Moat's threads)", async () => {
    // A hand-over is one message: the copies it carries are accepted in one turn of this thread's loop.
    const turns: number[] = [];
    let turn = 0;
    let turnEnding = false;
    const accept = () => {
      if (!turnEnding) {
        turnEnding = true;
        setImmediate(() => {
          turnEnding = false;
          turn++;
        });
      }
      turns.push(turn);
    };
    const listener = await bareListener({ accept });
    try {
      // Six copies a millisecond or two apart, each answered before the next is sent, as nginx sends them at a few hundred requests a second.
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`http://127.0.0.1:${listener.port}/mirror`, { method: "POST", headers: { "x-original-method": "GET", "x-original-uri": `/p?i=${i}` } });
        expect(res.status).toBe(204);
        await Bun.sleep(1);
      }
      await waitFor("every copy taken", () => turns.length === 6, 10_000);
      expect(new Set(turns).size).toBeLessThanOrEqual(2);
    } finally {
      await listener.close();
    }
  });

  test("mirror.enabled = false: no mirror source, and /health says nothing of copies", async () => {
    const { s } = await setup({ MOAT_MIRROR_ENABLED: "false" });
    expect(s.mirror).toBeNull();
    const health = (await (await createApi(s).handle(new Request("http://127.0.0.1/health"))).json()) as Record<string, unknown>;
    expect(health).not.toHaveProperty("mirror");
    expect(health.status).toBe("ok");
  });

  test("copies still sent to the API's port (an nginx set-up from before the listener) are answered 410, naming the listener, and logged", async () => {
    const { s } = await setup();
    const warnings: string[] = [];
    const app = createApi({ ...s, ctx: { ...s.ctx, log: { ...s.ctx.log, warn: (msg: string) => void warnings.push(msg) } } });
    const copy = () => app.handle(new Request("http://127.0.0.1/mirror", { method: "POST", headers: SNIPPET_HEADERS, body: "a=1" }));
    const res = await copy();
    expect(res.status).toBe(410);
    expect(((await res.json()) as { message: string }).message).toContain("mirror listener now, 127.0.0.1:0/mirror");
    expect((await copy()).status).toBe(410);
    expect(warnings).toEqual(["nginx sends mirrored copies to the API's port: they are refused and lost. Point mirror.conf's upstream at the mirror listener"]);
  });

  test("a listener thread that dies is started again on the same port, and says so", async () => {
    const errors: string[] = [];
    let accepted = 0;
    const listener = await bareListener({ accept: () => void accepted++, onError: (m) => void errors.push(m) });
    try {
      const copy = () => fetch(`http://127.0.0.1:${listener.port}/mirror`, { method: "POST", headers: { "x-original-method": "GET", "x-original-uri": "/" } }).then((r) => r.status, () => 0);
      expect(await copy()).toBe(204);
      await waitFor("the first copy taken", () => accepted === 1, 5_000);
      // A crash of the thread, as an uncaught error would end it.
      (listener as unknown as { worker: Worker }).worker.terminate();
      await waitFor("the listener said it stopped", () => errors.length === 1, 5_000);
      expect(errors[0]).toStartWith("the mirror's listener stopped: copies are not taken until it is started again, in 1 s");
      await waitFor("the listener back on its port", async () => (await copy()) === 204, 10_000);
      await waitFor("the next copy taken", () => accepted === 2, 5_000);
    } finally {
      await listener.close();
    }
  });
});
