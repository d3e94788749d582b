/**
 * Many web servers, one console, end to end: a `moat hub` and two agents (`moat serve --hub`), each
 * agent following the access log of its own real nginx.
 * - an attacker seen on agent A is banned on agent B's nginx;
 * - the hub stopped for 30 s while both agents ingest: every request reaches it once (0 lost, 0 doubled);
 * - agent A SIGKILLed in the middle of a burst, then restarted: the same.
 * All of it with the hub on SQLite, and again on PostgreSQL, where a second hub shares the database:
 * one hub killed, the other keeps serving and takes over the jobs that run once.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { openReadonly, readDatabase } from "../helpers/db.ts";
import { postgres, PG_SKIP } from "../helpers/postgres.ts";
import { denyingSite, freePort, NGINX_BIN, startNginx, statusFor, type NginxInstance } from "../helpers/nginx.ts";
import { serveDetail, startServe, waitFor, waitForListening, type ServeProcess } from "../helpers/serve.ts";
import { tempDir } from "../helpers/tmp.ts";

if (!NGINX_BIN) console.warn("hub.test.ts: skipped: nginx is not installed (Debian package nginx; .ci/dev-setup installs it)");

const status = (nginx: NginxInstance, ip: string, target?: string) => statusFor(nginx.port, ip, target);

interface Agent {
  name: string;
  dir: string;
  nginx: NginxInstance;
  denyFile: string;
  proc: ServeProcess;
}

let hubDir = "";
/** The hub's database: its SQLite file, or the PostgreSQL URL. */
let hubDb = "";
let hubPort = 0;
let hub: ServeProcess | null = null;
let agents: Agent[] = [];
const keys: Record<string, string> = {};

function startHub(port = hubPort, dir = hubDir): ServeProcess {
  return startServe(["--port", String(port), "--db", hubDb], { MOAT_STORAGE_DATA_DIR: dir, MOAT_SECURITY_NGINX_CONF: "", MOAT_BAN_ENABLED: "true", MOAT_BAN_THRESHOLD: "3", MOAT_BAN_TEST_COMMAND: "" }, "hub");
}

function startAgent(a: Omit<Agent, "proc">): ServeProcess {
  return startServe([], {
    MOAT_STORAGE_DATA_DIR: a.dir,
    MOAT_INGEST_LOGS: a.nginx.path("logs/access.log"),
    MOAT_MIRROR_ENABLED: "false",
    MOAT_SECURITY_NGINX_CONF: "",
    MOAT_HUB_URL: `http://127.0.0.1:${hubPort}`,
    MOAT_HUB_KEY: keys[a.name]!,
    MOAT_HUB_HEARTBEAT_SECONDS: "1",
    MOAT_BAN_ENABLED: "true",
    MOAT_BAN_FILE: a.denyFile,
    // Only the hub decides in this test: an agent's own threshold is out of reach.
    MOAT_BAN_THRESHOLD: "100000",
    MOAT_BAN_RELOAD_COMMAND: `${NGINX_BIN} -p ${a.nginx.prefix} -c ${a.nginx.path("nginx.conf")} -s reload`,
  });
}

/** Rows the hub stored for paths starting with `prefix`: all of them, and the distinct ones. */
function hubRows(prefix: string): { rows: number; distinct: number } {
  return readDatabase(hubDb, (db) => db.query("select count(*) as rows, count(distinct agent || ' ' || path) as \"distinct\" from traffic where path like ? || '%'").get(prefix) as { rows: number; distinct: number });
}

/** What the hub holds, then the end of the hub's and the agents' stderr. */
const hubDetail = (what: () => unknown) => () => [serveDetail(hub!, what)(), ...agents.map((a) => `${a.name}: ${JSON.stringify(agentState(a))}; stderr:\n${a.proc.stderr().slice(-3000)}`)].join("\n");

/** An agent's own rows and its outbox. */
function agentState(a: Omit<Agent, "proc">): unknown {
  const db = openReadonly(join(a.dir, "moat.db"));
  try {
    return db.query("select (select count(*) from traffic) as rows, (select count(*) from outbox) as waiting, (select value from counters where key = 'outbox_dropped') as dropped").get();
  } finally {
    db.close();
  }
}

function hubSuite(title: string, run: boolean, database: (dir: string) => Promise<string>, more?: () => void) {
  describe.skipIf(!run)(title, () => {
    beforeAll(async () => {
      hubDir = tempDir("moat-hub-");
      hubDb = await database(hubDir);
      agents = [];
      hubPort = await freePort();
      for (const name of ["agent-a", "agent-b"]) {
        const created = runCli(["apikey", "create", name, "--scope", "agent", "--db", hubDb]);
        expect(created.code).toBe(0);
        keys[name] = created.stdout.trim();
      }
      hub = startHub();
      await waitForListening(hub);
      for (const name of ["agent-a", "agent-b"]) {
        const dir = tempDir(`moat-${name}-`);
        const denyFile = join(dir, "deny.conf");
        writeFileSync(denyFile, ""); // nginx needs the include to exist before Moat first writes it
        const nginx = await startNginx(denyingSite(denyFile));
        const agent = { name, dir, nginx, denyFile };
        const proc = startAgent(agent);
        await waitForListening(proc);
        agents.push({ ...agent, proc });
      }
    }, 60_000);

    afterAll(async () => {
      for (const a of agents) {
        a.proc.proc.kill("SIGTERM");
        await a.proc.proc.exited;
        await a.nginx.stop();
      }
      hub?.proc.kill("SIGTERM");
      await hub?.proc.exited;
    });

    test("an attacker seen on agent A is banned on agent B's nginx; others still pass", async () => {
      const [a, b] = agents as [Agent, Agent];
      const attacker = "203.0.113.66";
      expect(await status(b.nginx, attacker)).toBe(200);
      for (const target of ["/item?id=1%27%20UNION%20SELECT%20password%20FROM%20users--", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/item?id=1%27%20OR%20%271%27%3D%271", "/search?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"]) {
        expect(await status(a.nginx, attacker, target)).toBe(200);
      }
      await waitFor("the attacker in B's deny file", () => readFileSync(b.denyFile, "utf8").includes(`deny ${attacker};`), 30_000, serveDetail(b.proc, () => readFileSync(b.denyFile, "utf8")));
      let last = 0;
      await waitFor("B's nginx to refuse the attacker", async () => (last = await status(b.nginx, attacker)) === 403, 30_000, () => `last status ${last}`);
      expect(await status(b.nginx, "198.51.100.23")).toBe(200);
    }, 90_000);

    test("the hub stopped for 30 s while both agents ingest: every request arrives once", async () => {
      hub!.proc.kill("SIGTERM");
      await hub!.proc.exited;
      const perAgent = 150;
      const until = Date.now() + 30_000;
      for (let i = 0; i < perAgent; i++) {
        for (const a of agents) expect(await status(a.nginx, "198.51.100.7", `/away/${a.name}/${i}`)).toBe(200);
        await Bun.sleep(Math.max(0, (until - Date.now()) / (perAgent - i)));
      }
      expect(hubRows("/away/")).toEqual({ rows: 0, distinct: 0 });
      hub = startHub();
      await waitForListening(hub);
      const expected = { rows: 2 * perAgent, distinct: 2 * perAgent };
      await waitFor("every request at the hub", () => hubRows("/away/").rows >= expected.rows, 60_000, hubDetail(() => hubRows("/away/")));
      await Bun.sleep(2000); // a batch sent twice would land now
      expect(hubRows("/away/")).toEqual(expected);
    }, 120_000);

    test("agent A SIGKILLed in the middle of a burst, then restarted: every line arrives once", async () => {
      const a = agents[0]!;
      const lines = 20_000;
      const log = a.nginx.path("logs/access.log");
      const chunk: string[] = [];
      for (let i = 0; i < lines; i++) chunk.push(`198.51.100.8 - - [05/Dec/2026:10:00:00 +0000] "GET /burst/${i}?page=${i % 7} HTTP/1.1" 200 43 "-" "Mozilla/5.0"`);
      appendFileSync(log, `${chunk.join("\n")}\n`);
      await waitFor("part of the burst at the hub", () => hubRows("/burst/").rows > 0, 60_000, hubDetail(() => hubRows("/burst/")));
      a.proc.proc.kill("SIGKILL");
      await a.proc.proc.exited;
      expect(hubRows("/burst/").rows).toBeLessThan(lines); // killed mid-way: the rest is for the restarted agent
      a.proc = startAgent(a);
      await waitForListening(a.proc);
      await waitFor("the whole burst at the hub", () => hubRows("/burst/").rows >= lines, 90_000, hubDetail(() => hubRows("/burst/")));
      await Bun.sleep(2000);
      expect(hubRows("/burst/")).toEqual({ rows: lines, distinct: lines });
    }, 150_000);
    more?.();
  });
}

hubSuite("a hub and two agents, each with its own nginx", Boolean(NGINX_BIN), async (dir) => join(dir, "moat.db"));
hubSuite("a hub on PostgreSQL and two agents, each with its own nginx", Boolean(NGINX_BIN) && !PG_SKIP, async () => (await postgres()).database(), () => {
  test("PostgreSQL away for 10 s while both agents ingest: every request arrives once it is back, and the hub is ready again", async () => {
    const cluster = await postgres();
    const perAgent = 40;
    const away = cluster.outage(10_000);
    await Bun.sleep(500);
    for (let i = 0; i < perAgent; i++) for (const a of agents) expect(await status(a.nginx, "198.51.100.9", `/pg-away/${a.name}/${i}`)).toBe(200);
    await away;
    const expected = { rows: 2 * perAgent, distinct: 2 * perAgent };
    await waitFor("every request at the hub", () => hubRows("/pg-away/").rows >= expected.rows, 60_000, hubDetail(() => hubRows("/pg-away/")));
    await Bun.sleep(2000); // a batch sent twice would land now
    expect(hubRows("/pg-away/")).toEqual(expected);
    expect((await fetch(`http://127.0.0.1:${hubPort}/ready`)).status).toBe(200);
  }, 90_000);

  test("a second hub on the same PostgreSQL: both serve it; the one running a job killed, the other keeps serving and takes the job over", async () => {
    for (const a of agents) expect(await status(a.nginx, "198.51.100.12", `/two-hubs/${a.name}`)).toBe(200);
    await waitFor("both requests at the hub", () => hubRows("/two-hubs/").rows === 2, 30_000, hubDetail(() => hubRows("/two-hubs/")));
    const second = startHub(await freePort(), tempDir("moat-hub2-"));
    const secondBase = await waitForListening(second);
    const rows = async (base: string) => ((await (await fetch(`${base}/api/traffic?range=24h&limit=1000&path=/two-hubs/`)).json()) as { data: unknown[] }).data.length;
    expect([await rows(secondBase), await rows(`http://127.0.0.1:${hubPort}`)]).toEqual([2, 2]);
    // The ban expiry (every 5 s) runs on the hub that holds its advisory lock; each hub's connection
    // names its process (application_name "moat <pid>").
    const sweeper = () =>
      readDatabase(hubDb, (db) => db.query("select a.application_name as holder from pg_locks l join pg_stat_activity a on a.pid = l.pid where l.locktype = 'advisory' and l.granted and l.objsubid = 2 and l.objid::bigint = (hashtext('moat.job:ban-expiry')::bigint & 4294967295)").all() as { holder: string }[]);
    await waitFor("a hub to run the ban expiry", () => sweeper().length > 0, 20_000);
    expect(sweeper()).toHaveLength(1);
    const holderPid = Number(sweeper()[0]!.holder.replace("moat ", ""));
    const [killed, survivor] = holderPid === second.proc.pid ? [second, hub!] : [hub!, second];
    expect([hub!.proc.pid, second.proc.pid]).toContain(holderPid);
    // A ban that expires once that hub is gone: the other sweeps it, once.
    expect(runCli(["decisions", "add", "192.0.2.77", "--duration", "5s", "--db", hubDb]).code).toBe(0);
    killed.proc.kill("SIGKILL");
    await killed.proc.exited;
    try {
      await waitFor("the other hub to sweep the expired ban", () => readDatabase(hubDb, (db) => (db.query("select count(*) as n from bans where ip = '192.0.2.77'").get() as { n: number }).n === 0), 30_000, serveDetail(survivor, sweeper));
      expect(sweeper().map((s) => Number(s.holder.replace("moat ", "")))).toEqual([survivor.proc.pid]);
      expect(readDatabase(hubDb, (db) => db.query("select count(*) as n from activities where type = 'ban.expired' and ip = '192.0.2.77'").get())).toEqual({ n: 1 });
      expect(await rows(survivor === second ? secondBase : `http://127.0.0.1:${hubPort}`)).toBe(2);
    } finally {
      // The suite's hub is on hubPort for the afterAll: the second goes, the first comes back if it was the one killed.
      if (survivor === second) {
        second.proc.kill("SIGTERM");
        await second.proc.exited;
        hub = startHub();
        await waitForListening(hub);
      } else {
        second.proc.kill("SIGTERM");
        await second.proc.exited;
      }
    }
  }, 90_000);
});
