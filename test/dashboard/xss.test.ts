/**
 * XSS proof: every line of the shared XSS payload list (or, without the shared folder, the project's
 * own list) is sent through a real nginx as a query value, as a path segment and as the user agent.
 * Once Moat has stored them all, every page that shows them is opened in chromium — every row of the
 * traffic tail and of the threat list rendered, and the detail view of threats spread over the list.
 * No dialog may open, no element that can run script or load anything may appear, nothing may
 * violate the Content-Security-Policy, and the console stays clean.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { DATASETS } from "../helpers/datasets.ts";
import { dbCounts } from "../helpers/db.ts";
import { openBrowser, SKIP_REASON, startStack, type Problems, type Stack } from "./harness.ts";
import { OWN_XSS_PAYLOADS } from "./xss-payloads.ts";

if (SKIP_REASON) console.warn(`skipping the dashboard's XSS browser test: ${SKIP_REASON}`);
const describeBrowser = SKIP_REASON ? describe.skip : describe;
setDefaultTimeout(150_000);

const SHARED_LIST = join(DATASETS, "payloads", "xss.txt");
const payloads = existsSync(SHARED_LIST) ? readFileSync(SHARED_LIST, "utf8").split("\n").filter((l) => l.trim() !== "") : OWN_XSS_PAYLOADS;
if (!existsSync(SHARED_LIST)) console.warn(`${SHARED_LIST} is absent: the XSS test uses the project's own ${OWN_XSS_PAYLOADS.length} payloads`);

/** Detail views opened: threats evenly spread over the whole list. */
const DETAILS = 120;
/** Requests in flight at once while sending the payloads. */
const SENDERS = 8;

/** Percent-encodes every byte but the unreserved ones (works for any string, lone surrogates included). */
function percentEncode(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) out += /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

let stack: Stack;
let context: BrowserContext;
let page: Page;
let watcher: { take: () => Problems };
const seen: Record<string, Problems> = {};

/** Records what the watcher saw while `label` was on screen. */
function collect(label: string): void {
  const p = watcher.take();
  if (p.console.length || p.pageErrors.length || p.dialogs.length || p.reports.length) seen[label] = p;
}

/**
 * Scrolls a virtual table from top to bottom; answers how many distinct rows were rendered on the
 * way, and the threat ids they linked to.
 */
async function renderEveryRow(): Promise<{ rows: number; threatIds: number[] }> {
  return page.evaluate(async () => {
    const box = document.querySelector(".vtable") as HTMLElement;
    const rendered = new Set<string>();
    const threatIds = new Set<number>();
    const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    for (let top = 0; ; top += box.clientHeight) {
      box.scrollTop = top;
      await frame();
      await frame();
      for (const tr of box.querySelectorAll("tbody tr[aria-rowindex]")) rendered.add(tr.getAttribute("aria-rowindex")!);
      for (const a of box.querySelectorAll("a[href*='#/threats/']")) threatIds.add(Number(/#\/threats\/(\d+)/.exec(a.getAttribute("href")!)![1]));
      if (top >= box.scrollHeight) break;
    }
    return { rows: rendered.size, threatIds: [...threatIds] };
  });
}

async function open(path: string): Promise<void> {
  await page.goto(`${stack.base}/#${path}${path.includes("?") ? "&" : "?"}range=1h`);
  await page.reload();
}

describeBrowser(`the dashboard shows ${payloads.length} XSS payloads as text`, () => {
  beforeAll(async () => {
    stack = await startStack({ requireKey: false });
    const requests: (() => Promise<void>)[] = [];
    payloads.forEach((p, i) => {
      const ip = `198.18.${(i >> 8) & 255}.${i & 255}`;
      requests.push(() => stack.send(`/search?q=${percentEncode(p)}`, { ip }));
      requests.push(() => stack.send(`/p/${percentEncode(p)}`, { ip }));
      const ua = p.replace(/[\u0000-\u001f\u007f]/g, "");
      if (ua.trim()) requests.push(() => stack.send("/", { ip, ua }));
    });
    const sent = requests.length;
    await Promise.all(Array.from({ length: SENDERS }, async () => {
      for (let next = requests.shift(); next; next = requests.shift()) await next();
    }));
    await stack.settle();
    console.log(`XSS test: ${payloads.length} payloads sent through nginx as ${sent} requests (query, path, user agent); Moat stored ${dbCounts(stack.db).threats} threats`);
    ({ context, page, problems: watcher } = await openBrowser());
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await stack?.stop();
  });

  test("control: the watcher does notice a dialog, an injected element and a CSP violation", async () => {
    await open("/security");
    await page.locator(".check-row").first().waitFor();
    await page.evaluate(() => {
      const img = document.createElement("img");
      img.setAttribute("onerror", "void 0");
      document.body.append(img);
      const script = document.createElement("script");
      script.textContent = "void 0";
      document.body.append(script); // refused by script-src 'self'
      alert("control");
    });
    await page.waitForFunction(() => true); // a round trip, so that the reports have arrived
    const p = watcher.take();
    expect(p.dialogs).toEqual(["alert: control"]);
    expect(p.reports.some((r) => r.startsWith("injected: <img>"))).toBe(true);
    expect(p.reports.some((r) => r.includes("attribute onerror"))).toBe(true);
    expect(p.reports.some((r) => r.startsWith("csp: script-src"))).toBe(true);
    await page.reload(); // leave nothing behind for the real checks
    watcher.take();
  });

  test("overview, alerts, analytics, performance and security", async () => {
    for (const [path, ready] of [
      ["/", [".feed-item", ".alert", ".uplot canvas"]],
      ["/alerts", [".alert"]],
      ["/analytics", [".bars li", ".uplot canvas"]],
      ["/performance", [".kpi", ".uplot canvas"]],
      ["/security", [".check-row"]],
    ] as const) {
      await open(path);
      for (const selector of ready) await page.locator(selector).first().waitFor();
      collect(path);
    }
    expect(seen).toEqual({});
  });

  test("every row of the traffic tail", async () => {
    await open("/traffic");
    await page.locator(".vtable tbody tr[aria-rowindex]").first().waitFor();
    const older = page.getByRole("button", { name: "Load older" });
    while (await older.isVisible()) {
      await older.click();
      await page.getByRole("button", { name: /^(Load older|Loading…)$/ }).or(page.getByText("No older requests in this range.")).first().waitFor();
      await page.getByRole("button", { name: "Loading…" }).waitFor({ state: "detached" });
    }
    const total = await page.locator(".vtable").getAttribute("aria-label");
    const rows = Number(/: (\d+) rows/.exec(total ?? "")?.[1]);
    expect(rows).toBeGreaterThanOrEqual(payloads.length * 2);
    expect((await renderEveryRow()).rows).toBe(rows);
    collect("/traffic");
    expect(seen).toEqual({});
  });

  test("every row of the threat list, and the detail of threats spread over it", async () => {
    await open("/threats");
    const ids: number[] = [];
    for (let pageNo = 1; ; pageNo++) {
      await page.getByRole("heading", { name: pageNo === 1 ? "Threats, newest first" : `Threats, page ${pageNo}` }).waitFor();
      await page.locator('.vtable[aria-busy="false"] tbody tr[aria-rowindex]').first().waitFor(); // this page's rows, not the last one's
      const rows = Number(/: (\d+) rows/.exec((await page.locator(".vtable").getAttribute("aria-label")) ?? "")?.[1]);
      const rendered = await renderEveryRow();
      expect(rendered.rows).toBe(rows);
      ids.push(...rendered.threatIds);
      const next = page.getByRole("button", { name: "Older →" });
      if (await next.isDisabled()) break; // not busy (above): disabled means this was the last page
      await next.click();
    }
    collect("/threats");
    const unique = [...new Set(ids)];
    expect(unique.length).toBe(dbCounts(stack.db).threats); // every stored threat was listed

    const step = Math.max(1, Math.floor(unique.length / DETAILS));
    let shownAsText = 0;
    for (let i = 0; i < unique.length; i += step) {
      const id = unique[i]!;
      await page.goto(`${stack.base}/#/threats/${id}?range=1h`); // same document: a client-side switch
      await page.getByRole("heading", { name: new RegExp(`^Threat #${id}:`) }).waitFor();
      await page.getByRole("heading", { name: "Why it was flagged" }).waitFor();
      await page.locator(".list li, .empty").first().waitFor();
      if (/<script|onerror|onload|javascript:/i.test(await page.locator("main").innerText())) shownAsText++;
      collect(`/threats/${id}`);
    }
    expect(seen).toEqual({});
    // The payloads were on screen, as text.
    expect(shownAsText).toBeGreaterThan(0);
  });
});
