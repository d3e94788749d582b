/**
 * The dashboard end to end, in Debian's chromium: `moat serve` (API keys required) follows the
 * access log of a real nginx that received a shop's traffic and some attacks. Logging in, every page
 * with data and without console errors (a screenshot of each), live updates without a reload, the
 * actions that must persist, a narrow window and the keyboard.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";
import { DASHBOARD_CSP } from "../../src/api/routes/ui.ts";
import type { AddressProfile, Alert, AllowRule, Attacker, SecurityCheck as Check, Threat, ThreatDetail, Traffic, WafConfig } from "../../src/dashboard/lib/types.ts";
import { openReadonly } from "../helpers/db.ts";
import { startServe, waitFor, waitForListening } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";
import { openBrowser, screenshot, SKIP_REASON, startStack, type Browser, type Problems, type Stack } from "./harness.ts";
import { sendShopTraffic } from "./traffic.ts";

if (SKIP_REASON) console.warn(`skipping the dashboard's browser tests: ${SKIP_REASON}`);
const describeBrowser = SKIP_REASON ? describe.skip : describe;
// Generous limits on a loaded 2-core machine; nothing here measures time.
setDefaultTimeout(90_000);

const NO_PROBLEMS: Problems = { console: [], pageErrors: [], dialogs: [], reports: [] };

let stack: Stack;
let context: BrowserContext;
let page: Page;
let problems: Browser["problems"];

/** Each page, and what shows that it rendered with data. */
const PAGES: { name: string; path: string; ready: (p: Page) => Promise<void> }[] = [
  {
    name: "overview",
    path: "/",
    ready: async (p) => {
      await p.locator(".kpi-value", { hasText: /^\d/ }).first().waitFor();
      await p.locator(".alert").first().waitFor();
      await p.locator(".feed-item").first().waitFor();
      await waitForCount(p, ".uplot canvas", 2);
    },
  },
  { name: "traffic", path: "/traffic", ready: (p) => waitForCount(p, ".vtable tbody tr[aria-rowindex]", 20) },
  { name: "threats", path: "/threats", ready: (p) => waitForCount(p, ".vtable tbody tr[aria-rowindex]", 10) },
  {
    name: "threat-detail",
    path: "", // set in the test: the detail of a stored threat
    ready: async (p) => {
      await p.getByRole("heading", { name: "Why it was flagged" }).waitFor();
      await p.locator("pre mark").first().waitFor();
      await p.locator("[data-testid=curl]").waitFor();
    },
  },
  { name: "alerts", path: "/alerts", ready: (p) => p.locator(".alert").first().waitFor() },
  {
    name: "performance",
    path: "/performance",
    ready: async (p) => {
      await p.locator(".kpi-value", { hasText: "lines/s" }).waitFor();
      await waitForCount(p, ".uplot canvas", 2);
    },
  },
  { name: "security", path: "/security", ready: (p) => waitForCount(p, ".check-row", 4) },
  {
    name: "analytics",
    path: "/analytics",
    ready: async (p) => {
      await waitForCount(p, ".bars li", 5);
      await waitForCount(p, ".uplot canvas", 2);
    },
  },
  {
    name: "settings",
    path: "/settings",
    ready: async (p) => {
      await p.locator("td", { hasText: /^generic/ }).first().waitFor();
      await p.locator(".source", { hasText: "access.log" }).waitFor();
      await p.locator(".key-row", { hasText: "e2e" }).waitFor();
      await p.locator("#threshold").waitFor();
    },
  },
];

async function waitForCount(p: Page, selector: string, n: number): Promise<void> {
  await p.waitForFunction(([s, min]) => document.querySelectorAll(s as string).length >= (min as number), [selector, n] as const, { timeout: 30_000 });
}

async function open(path: string): Promise<void> {
  await page.goto(`${stack.base}/#${path}${path.includes("?") ? "&" : "?"}range=1h`);
}

describeBrowser("the dashboard in chromium", () => {
  beforeAll(async () => {
    stack = await startStack({ requireKey: true });
    await sendShopTraffic(stack);
    await stack.settle();
    ({ context, page, problems } = await openBrowser());
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.base });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await stack?.stop();
  });

  test("moat serve from source serves the page under its CSP without credentials; the data needs them", async () => {
    // (serving.test.ts checks the page and its assets in detail, in process.)
    const res = await fetch(`${stack.base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
    const script = /<script[^>]* src="\.?(\/[\w-]+\.js)"/.exec(await res.text())?.[1];
    expect((await fetch(`${stack.base}${script}`)).status).toBe(200);
    expect((await fetch(`${stack.base}/api/metrics/realtime`)).status).toBe(401);
  });

  test("asks for an API key, and logs in with one", async () => {
    await page.goto(`${stack.base}/`);
    await page.getByLabel("API key").fill("moat_not-a-real-key");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: /invalid|revoked/ }).waitFor();
    problems.take(); // the refused login logs a 401 in the console, as it should
    await page.getByLabel("API key").fill(stack.key);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator('.live[data-state="live"]').waitFor();
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("every page renders with data and without console errors", async () => {
    // An XSS in a query value: its detail shows encoded, decoded and marked evidence side by side.
    const [threat] = await stack.api<Threat[]>("/api/threats?range=1h&type=xss&limit=1");
    for (const p of PAGES) {
      await open(p.path || `/threats/${threat!.id}`);
      await page.reload(); // a fresh load of each page, not only a client-side switch
      await p.ready(page);
      await page.locator('.live[data-state="live"]').waitFor();
      await screenshot(page, p.name);
      expect({ page: p.name, ...problems.take() }).toEqual({ page: p.name, ...NO_PROBLEMS });
    }
  }, 120_000);

  test("a request sent to nginx appears live on the Overview and Traffic pages without a reload", async () => {
    await open("/");
    await page.locator('.live[data-state="live"]').waitFor();
    await page.locator(".feed-item").first().waitFor();
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    const marker = `live-probe-${Date.now()}`;
    await stack.send(`/${marker}?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E`, { ip: "192.0.2.77" });
    await page.locator(".feed-item", { hasText: marker }).waitFor({ timeout: 30_000 });
    expect(await page.locator(".feed-item", { hasText: marker }).locator(".badge").textContent()).toBe("flagged"); // detect-only mode

    await page.getByRole("link", { name: "Traffic" }).click();
    await waitForCount(page, ".vtable tbody tr[aria-rowindex]", 20);
    await stack.send(`/${marker}-benign?page=2`, { ip: "192.0.2.78" });
    const benign = page.locator(".vtable tr", { hasText: `${marker}-benign` });
    await benign.waitFor({ timeout: 30_000 });
    // The live row is completed from the console API: its query string, and its latency (none in `combined`).
    await benign.locator("td", { hasText: /^page=2$/ }).waitFor();
    expect(await benign.locator("td").nth(8).textContent()).toBe("–");
    // Paused, new requests wait until resumed.
    await page.getByRole("button", { name: "Pause" }).click();
    await stack.send(`/${marker}-held`, { ip: "192.0.2.78" });
    await page.getByRole("button", { name: "Resume (1 new)" }).click();
    await page.locator(".vtable tr", { hasText: `${marker}-held` }).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("older rows asked for under one filter are not mixed into the list of the next", async () => {
    // More than a page (200 rows) in all, so that the unfiltered tail offers older rows.
    for (let i = 0; i < 210; i++) await stack.send(`/catalog?page=${i}`, { ip: "192.0.2.90" });
    await stack.settle();
    await open("/");
    await open("/traffic"); // a fresh list, not the live one the last test left
    const older = page.getByRole("button", { name: "Load older" });
    // What the page shows instead of the button, and what the API answers: a failure says which part failed.
    const instead = async () => {
      const shown = await page.locator("main").innerText().catch(() => "(no main)");
      const answer = await stack.api<Traffic[]>("/api/requests?range=1h&limit=200").then((l) => `${l.length} rows`, (x: Error) => x.message);
      return `page: ${shown.slice(0, 1500)}\n/api/requests: ${answer}`;
    };
    // Under CI's load this wait once timed out (1 run in 5) for a reason not seen since; the page is
    // then loaded afresh once, and what it showed is printed.
    await older.waitFor({ timeout: 15_000 }).catch(async () => {
      console.warn(`"Load older" did not appear within 15 s; reloading the page once. ${await instead()}`);
      await page.reload();
      await older.waitFor().catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await instead()}`);
      });
    });
    // The older page is held back until the filter has changed under it.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const olderPages = /\/api\/requests\?.*before=/;
    await page.route(olderPages, async (route) => {
      await held;
      await route.continue();
    });
    try {
      await older.click();
      await page.evaluate(() => (location.hash = "#/traffic?range=1h&ip=203.0.113.99"));
      const scanner = (await stack.api<Traffic[]>("/api/traffic?range=1h&ip=203.0.113.99&limit=200")).length;
      const rowCount = () => page.locator(".vtable table").getAttribute("aria-rowcount").then(Number);
      await page.waitForFunction((n) => document.querySelector(".vtable table")?.getAttribute("aria-rowcount") === String(n + 1), scanner);
      const answered = page.waitForResponse(olderPages);
      release();
      await answered;
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 200))));
      expect(await rowCount()).toBe(scanner + 1);
      const clients = await page.locator(".vtable tbody tr[aria-rowindex] td:nth-child(8) button").allTextContents();
      expect(new Set(clients)).toEqual(new Set(["203.0.113.99"]));
    } finally {
      release(); // a failure must not leave later tests' older pages held
      await page.unroute(olderPages);
    }
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("a client's address in the tail filters it, keeping the range; Clear takes the filter away", async () => {
    const ip = "192.0.2.123"; // one request, the newest: the first row of the tail
    await stack.send("/filter-probe", { ip });
    await stack.settle();
    await open("/traffic");
    const rowCount = () => page.locator(".vtable table").getAttribute("aria-rowcount").then(Number);
    await page.getByRole("button", { name: ip, exact: true }).click();
    const query = () => Object.fromEntries(new URLSearchParams(new URL(page.url()).hash.split("?")[1]));
    await page.waitForFunction(() => document.querySelector(".vtable table")?.getAttribute("aria-rowcount") === "2");
    expect(query()).toEqual({ range: "1h", ip });
    await page.getByRole("button", { name: "Clear" }).click();
    await page.waitForFunction(() => Number(document.querySelector(".vtable table")?.getAttribute("aria-rowcount")) > 2);
    expect(query()).toEqual({ range: "1h" });
    expect(await rowCount()).toBeGreaterThan(2);
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("the trend chart's legend names the metric chosen", async () => {
    await open("/analytics");
    const trend = page.getByRole("region", { name: "Trend" });
    await trend.locator(".u-legend .u-label", { hasText: /^requests$/ }).waitFor();
    await trend.getByRole("combobox").selectOption("flagged");
    await trend.locator(".u-legend .u-label", { hasText: /^flagged$/ }).waitFor();
    expect(await trend.locator(".u-legend .u-label").allTextContents()).not.toContain("requests");
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("an incident's page counts its threats and lists its addresses and endpoints; acknowledging it acknowledges its threats", async () => {
    const incident = (await stack.api<Alert[]>("/api/alerts/active")).find((a) => a.status === "active" && / attacks from /.test(a.title))!;
    expect(incident).toBeDefined();
    await open("/alerts");
    await page.getByRole("link", { name: `Details of alert ${incident.id}: ${incident.title}` }).click();
    await page.locator(".kpi", { hasText: "Threats" }).locator(".kpi-value", { hasText: /^[1-9]/ }).waitFor();
    await waitForCount(page, "[aria-label='Addresses'] li", 1);
    await waitForCount(page, "[aria-label='Endpoints hit'] li", 1);
    await screenshot(page, "incident");
    await page.getByRole("button", { name: `Acknowledge alert ${incident.id}: ${incident.title}` }).click();
    await page.locator(`.alert[data-alert-id="${incident.id}"] .badge`, { hasText: "acknowledged" }).waitFor();
    // Its member threats, acknowledged with it (the threat's detail says so).
    const db = openReadonly(stack.db);
    const members = db.query("select id, acknowledged_at as at from threats where incident_id = ?").all(incident.id) as { id: number; at: number | null }[];
    db.close();
    expect(members.length).toBeGreaterThan(0);
    expect(members.every((m) => m.at !== null)).toBe(true);
    expect(await stack.api<ThreatDetail>(`/api/threats/${members[0]!.id}`)).toMatchObject({ incidentId: incident.id, acknowledgedAt: expect.any(String) });
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("acknowledging an alert persists", async () => {
    await open("/alerts");
    const first = page.locator(".alert", { has: page.getByRole("button", { name: /^Acknowledge alert/ }) }).first();
    const id = Number(await first.getAttribute("data-alert-id"));
    await first.getByRole("button", { name: /^Acknowledge alert/ }).click();
    await page.locator(`.alert[data-alert-id="${id}"] .badge`, { hasText: "acknowledged" }).waitFor();
    const active = await stack.api<Alert[]>("/api/alerts/active");
    expect(active.find((a) => a.id === id)).toMatchObject({ status: "acknowledged", actions: ["dismiss"] });
    await page.reload();
    await page.locator(`.alert[data-alert-id="${id}"] .badge`, { hasText: "acknowledged" }).waitFor();
    // Bulk: select two more and acknowledge them together.
    const others = (await stack.api<Alert[]>("/api/alerts/active")).filter((a) => a.status === "active").slice(0, 2);
    expect(others.length).toBe(2);
    for (const a of others) await page.getByRole("checkbox", { name: `Select alert ${a.id}` }).check();
    await page.getByRole("button", { name: "Acknowledge selected (2)" }).click();
    await waitFor("both acknowledged", async () => {
      const list = await stack.api<Alert[]>("/api/alerts/active");
      return others.every((o) => list.find((a) => a.id === o.id)?.status === "acknowledged");
    });
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("changing the threshold persists", async () => {
    const before = await stack.api<WafConfig>("/api/waf/config");
    await open("/settings");
    await page.locator("#threshold").fill("0.9");
    await page.getByRole("form", { name: "Detection settings" }).getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "threshold 0.9." }).waitFor();
    expect((await stack.api<WafConfig>("/api/waf/config")).threshold).toBe(0.9);
    await page.reload();
    await expect(page.locator("#threshold").inputValue()).resolves.toBe("0.9");
    expect(problems.take()).toEqual(NO_PROBLEMS);
    await stack.api("/api/waf/config", { method: "PUT", body: JSON.stringify({ threshold: before.threshold }) });
  });

  test("a new API key is shown once and listed with its scope and rate limit; saving unchanged retention says so", async () => {
    await open("/settings");
    const create = page.getByRole("form", { name: "Create an API key" });
    await create.getByRole("textbox").fill("e2e-created");
    await create.getByRole("combobox", { name: "Scope" }).selectOption("check");
    await create.getByRole("spinbutton").fill("0");
    await create.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("status").filter({ hasText: "New key “e2e-created”" }).waitFor();
    await page.locator(".key-row", { hasText: "e2e-created" }).filter({ hasText: "no rate limit" }).filter({ hasText: "check" }).waitFor();
    expect((await stack.api<{ name: string; scope: string; rateLimit: number | null }[]>("/api/keys")).find((k) => k.name === "e2e-created")).toMatchObject({ scope: "check", rateLimit: 0 });
    await page.getByRole("form", { name: "Retention" }).getByRole("button", { name: "Save retention" }).click();
    await page.getByRole("status").filter({ hasText: "Nothing changed." }).waitFor();
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("the Bans page: an address banned by hand is listed with who, why and until when, and lifted with Lift now", async () => {
    await open("/bans");
    const form = page.getByRole("form", { name: "Ban an address" });
    await form.getByRole("textbox", { name: "Address" }).fill("192.0.2.44");
    await form.getByRole("combobox", { name: "For" }).selectOption("24h");
    await form.getByRole("textbox", { name: "Reason" }).fill("credential stuffing");
    await form.getByRole("button", { name: "Ban" }).click();
    const row = page.locator("[data-decision='192.0.2.44']");
    await row.filter({ hasText: "credential stuffing" }).filter({ hasText: "by hand" }).filter({ hasText: "until" }).waitFor();
    await screenshot(page, "bans");
    expect((await stack.api<{ ip: string }[]>("/api/decisions")).map((d) => d.ip)).toContain("192.0.2.44");
    problems.confirmNext();
    await row.getByRole("button", { name: "Lift the ban on 192.0.2.44" }).click();
    await row.waitFor({ state: "detached" });
    expect((await stack.api<{ ip: string }[]>("/api/decisions")).map((d) => d.ip)).not.toContain("192.0.2.44");
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("the traffic tail shows each request's query string and latency", async () => {
    await stack.send("/catalog?sort=price&page=3", { ip: "192.0.2.31" });
    await stack.settle();
    await open("/traffic?ip=192.0.2.31");
    const row = page.locator(".vtable tbody tr[aria-rowindex]", { hasText: "/catalog" }).first();
    await row.locator("td", { hasText: /^sort=price&page=3$/ }).waitFor();
    expect(await page.locator(".vtable thead th").allTextContents()).toEqual(["Time", "Verdict", "Method", "Status", "Endpoint", "Query", "Host", "Client", "Latency", "Size", "User agent"]);
    await screenshot(page, "traffic-columns");
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("top attackers on the Overview: address, network, country and AS, threats, and a ban button that bans", async () => {
    const attackers = await stack.api<Attacker[]>("/api/attackers?range=1h");
    // The sqlmap burst crossed ban.threshold: it is banned already, and says so.
    expect(attackers[0]).toMatchObject({ ip: "203.0.113.99", prefix: "203.0.113.0/24", country: "NL", asn: 64501, asOrg: "Example Hosting Ltd", ban: { ip: "203.0.113.99", source: "auto" } });
    const target = attackers.find((a) => a.ban === null)!;
    await open("/");
    const panel = page.getByRole("region", { name: "Top attackers" });
    await panel.locator("[data-attacker='203.0.113.99'] .badge", { hasText: "banned" }).waitFor();
    await panel.locator("[data-attacker='203.0.113.99']", { hasText: "AS64501 Example Hosting Ltd" }).filter({ hasText: "NL" }).waitFor();
    const row = panel.locator(`[data-attacker='${target.ip}']`);
    await row.filter({ hasText: target.prefix! }).waitFor();
    await screenshot(page, "top-attackers");
    await row.getByRole("button", { name: `Ban ${target.ip} for 24 hours` }).click();
    await row.locator(".badge", { hasText: "banned" }).waitFor();
    const decision = (await stack.api<{ ip: string; source: string; expiresAt: string | null }[]>("/api/decisions")).find((d) => d.ip === target.ip);
    expect(decision).toMatchObject({ ip: target.ip, source: "manual" });
    expect(Date.parse(decision!.expiresAt!) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    await stack.api(`/api/decisions/${target.ip}`, { method: "DELETE" });
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("an address's page: its counts, first and last seen, threats and requests, with ban and lift", async () => {
    const ip = "198.51.100.23"; // two XSS attempts, and no ban
    await open(`/address/${ip}`);
    await page.getByRole("heading", { name: `Address ${ip}` }).waitFor();
    const profile = await stack.api<AddressProfile>(`/api/addresses/${ip}`);
    expect(profile).toMatchObject({ ip, prefix: "198.51.100.0/24", flagged: 2, threats: 2, ban: null });
    await page.locator(".kpi", { hasText: "Threats" }).locator(".kpi-value", { hasText: /^2$/ }).waitFor();
    await page.locator(".kpi", { hasText: "First seen" }).locator(".kpi-value", { hasText: /\d/ }).waitFor();
    await waitForCount(page, "[aria-label^='Activity of'] .list li", 2 + Math.min(20, profile.requests)); // its threats and requests
    await screenshot(page, "address");
    await page.getByRole("button", { name: `Ban ${ip} for 24 hours` }).click();
    await page.locator(".meta .badge", { hasText: "banned" }).waitFor();
    expect((await stack.api<AddressProfile>(`/api/addresses/${ip}`)).ban).toMatchObject({ ip, source: "manual" });
    problems.confirmNext();
    await page.getByRole("button", { name: `Lift the ban on ${ip}` }).click();
    await page.getByRole("button", { name: `Ban ${ip} for 24 hours` }).waitFor();
    expect((await stack.api<AddressProfile>(`/api/addresses/${ip}`)).ban).toBeNull();
    // The tail's "profile" link leads here.
    await open(`/traffic?ip=${ip}`);
    await page.getByRole("link", { name: `Profile of ${ip}` }).first().click();
    await page.getByRole("heading", { name: `Address ${ip}` }).waitFor();
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("Train now starts a retrain, whose outcome is recorded", async () => {
    await open("/settings");
    await page.getByRole("button", { name: "Train now" }).click();
    await page.getByRole("status").filter({ hasText: "Retraining started" }).waitFor();
    // A few hundred requests are too few to learn from: the job says so in the activity feed.
    await open("/");
    await page.locator(".feed-item", { hasText: "Job retrain" }).waitFor();
    expect(await page.locator(".feed-item", { hasText: "Job retrain" }).first().locator(".badge").textContent()).toBe("job");
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("running a security check persists", async () => {
    const [check] = await stack.api<Check[]>("/api/security/checks");
    await open("/security");
    await page.getByRole("button", { name: `Run check: ${check!.name}` }).click();
    const lastRun = async () => Date.parse((await stack.api<Check[]>("/api/security/checks")).find((x) => x.id === check!.id)?.lastChecked ?? "");
    await waitFor("the check's new run", async () => (await lastRun()) > Date.parse(check!.lastChecked));
    expect(await lastRun()).toBeGreaterThan(Date.parse(check!.lastChecked));
    await page.reload();
    await page.locator(`.check-row[data-check-id="${check!.id}"]`, { hasText: "just now" }).waitFor();
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("a threat is marked as a false positive, and its request copied as curl", async () => {
    const [threat] = await stack.api<Threat[]>("/api/threats?range=1h&type=xss&limit=1");
    await open(`/threats/${threat!.id}`);
    await page.getByRole("button", { name: "Copy as curl" }).click();
    await page.getByText("Copied.").waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toStartWith("curl -g --path-as-is ");
    expect(copied).toContain(`'http://localhost${threat!.endpoint}?`);
    await page.getByRole("button", { name: "Mark as false positive" }).click();
    await page.getByRole("status").filter({ hasText: /Allowlist rule #\d+ added/ }).waitFor();
    const rules = await stack.api<AllowRule[]>("/api/allowlist");
    expect(rules.some((r) => r.threatId === threat!.id && r.endpoint === threat!.endpoint)).toBe(true);
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("in a narrow window nothing overflows the page sideways", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const path of ["/", "/traffic", "/threats", "/settings"]) {
        await open(path);
        await page.reload();
        await page.locator(".page-head h1").waitFor();
        await page.locator(".panel").first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect({ path, overflow }).toEqual({ path, overflow: 0 });
        if (path === "/") await screenshot(page, "overview-narrow");
      }
    } finally {
      await page.setViewportSize({ width: 1366, height: 900 });
    }
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("the pages are reachable with the keyboard", async () => {
    await open("/");
    await page.reload();
    await page.locator(".kpi").first().waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    let focused = "";
    for (let i = 0; i < 30 && focused !== "Threats"; i++) {
      await page.keyboard.press("Tab");
      focused = (await page.evaluate(() => document.activeElement?.textContent)) ?? "";
    }
    expect(focused).toBe("Threats");
    await page.keyboard.press("Enter");
    await waitForCount(page, ".vtable tbody tr[aria-rowindex]", 1);
    expect(new URL(page.url()).hash).toStartWith("#/threats");
    expect(problems.take()).toEqual(NO_PROBLEMS);
  });

  test("a fresh Moat with no log says what to do next", async () => {
    const dir = tempDir("moat-fresh-");
    const fresh = startServe(["--db", `${dir}/moat.db`], { MOAT_STORAGE_DATA_DIR: dir });
    try {
      const base = await waitForListening(fresh);
      for (const path of ["/", "/traffic"]) {
        await page.goto(`${base}/#${path}`);
        await page.reload();
        await page.getByText("No traffic yet: point moat serve --log /var/log/nginx/access.log at your access log").waitFor();
      }
      await page.goto(`${base}/#/threats`);
      await page.getByText("No threats in this range.").waitFor();
      await page.goto(`${base}/#/settings`);
      await page.getByText("No log is followed.").waitFor();
      expect(problems.take()).toEqual(NO_PROBLEMS);
    } finally {
      fresh.proc.kill("SIGTERM");
      await fresh.proc.exited;
    }
  });
});
