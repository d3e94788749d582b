/**
 * The attack of issue 12 in a real browser: a page on another origin auto-submits a form to Moat's
 * false-positive endpoint. Chromium sends the form with the page's Origin; Moat must refuse it, and no
 * allowlist rule may appear. The attacker's name is mapped to 127.0.0.1 by Chromium's resolver, so
 * the page is a foreign origin on this machine.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chromium, type Browser } from "playwright-core";
import { createApi } from "../../src/api/app.ts";
import { callApi, makeApiServices } from "../helpers/api.ts";
import { CHROMIUM } from "./harness.ts";

const started: { stop(force?: boolean): unknown }[] = [];
let browser: Browser | null = null;
afterAll(async () => {
  await browser?.close();
  for (const server of started) await server.stop(true);
});

describe.skipIf(!CHROMIUM)("a cross-origin page in Chromium", () => {
  test("an auto-submitting form cannot mark a threat as a false positive", async () => {
    const s = await makeApiServices();
    const app = createApi(s).listen({ hostname: "127.0.0.1", port: 0 });
    started.push(app);
    expect((await callApi(app, "POST", "/check", { method: "GET", path: "/login", query_params: { user: "admin' OR '1'='1' --" } })).status).toBe(200);
    s.writeBehind.flush();
    const { id } = s.ctx.store.sqlite!.query("select id from threats order by id desc limit 1").get() as { id: number };
    const target = `http://127.0.0.1:${app.server!.port}/api/threats/${id}/false-positive`;

    const answered: string[] = [];
    const attacker = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(`<!doctype html><form method="POST" action="${target}"><input name="scope" value="endpoint"></form><script>document.forms[0].submit()</script>`, {
          headers: { "content-type": "text/html" },
        }),
    });
    started.push(attacker);
    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP attacker.test 127.0.0.1"] });
    const page = await browser.newPage();
    page.on("response", (r) => {
      if (r.url() === target) answered.push(`${r.status()} ${r.request().headers().origin ?? "no origin"}`);
    });
    await page.goto(`http://attacker.test:${attacker.port}/`);
    await page.waitForURL(target);
    expect(answered).toEqual([`403 http://attacker.test:${attacker.port}`]);
    expect(s.allowlist.list()).toEqual([]);
  }, 30_000);
});
