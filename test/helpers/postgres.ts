/**
 * A real PostgreSQL (Debian's package) for the tests: its own cluster in a temporary directory, on
 * loopback and a free port, started as the `postgres` user when the tests run as root (PostgreSQL
 * refuses root), and stopped by its pid. One cluster per test run; each test file takes a database
 * of its own. Without the package the tests that need it are skipped, saying why; under .ci/run
 * (MOAT_REQUIRE_POSTGRES=1, after dev-setup installed it) a missing PostgreSQL fails instead.
 */
import { chownSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { userInfo } from "node:os";
import { SQL } from "bun";
import { freePort } from "./nginx.ts";
import { tempDir } from "./tmp.ts";

function binDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, "bin") : null;
}

export const PG_BIN = binDir();
const PG_MISSING = PG_BIN ? null : "PostgreSQL is not installed (Debian's postgresql package; .ci/dev-setup installs it)";
/** Why the PostgreSQL tests are skipped here, or null: under .ci/run they run, and fail on a missing PostgreSQL. */
export const PG_SKIP = PG_MISSING && process.env.MOAT_REQUIRE_POSTGRES !== "1" ? PG_MISSING : null;
if (PG_SKIP) console.warn(`skipping the PostgreSQL tests: ${PG_SKIP}`);

/** As root, the command runs as `postgres` (setpriv execs it: the pid is PostgreSQL's own). */
function asOwner(cmd: string[]): string[] {
  if (userInfo().uid !== 0) return cmd;
  return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", ...cmd];
}

function uidOf(user: string): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no ${user} user: the postgresql package makes it`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PgCluster {
  port: number;
  /** A new, empty database on the cluster: its URL. */
  database(name?: string): Promise<string>;
  /** Stops the server and starts it again after `ms`, on the same data and port (a database that goes away). */
  outage(ms: number): Promise<void>;
  stop(): Promise<void>;
}

let running: Promise<PgCluster> | null = null;
let databases = 0;

export interface ClusterOptions {
  /** PostgreSQL's own durability (fsync on every commit, its default); the tests turn it off for speed. */
  durable?: boolean;
}

async function start(options: ClusterOptions): Promise<PgCluster> {
  if (!PG_BIN) throw new Error(PG_MISSING!);
  const dir = tempDir("moat-pg-");
  if (userInfo().uid === 0) {
    const { uid, gid } = uidOf("postgres");
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const init = Bun.spawnSync(asOwner([join(PG_BIN, "initdb"), "-D", data, "-U", "moat", "--auth=trust", "-E", "UTF8", "--no-locale", ...(options.durable ? [] : ["--no-sync"])]), { stdout: "pipe", stderr: "pipe" });
  if (init.exitCode !== 0) throw new Error(`initdb failed: ${init.stderr.toString()}`);
  const port = await freePort();
  const server = () => Bun.spawn(asOwner([join(PG_BIN!, "postgres"), "-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", `fsync=${options.durable ? "on" : "off"}`, "-c", "max_connections=200"]), { stdout: "ignore", stderr: "pipe" });
  let proc = server();
  let admin = new SQL(`postgres://moat@127.0.0.1:${port}/postgres`, { max: 1, connectionTimeout: 2 });
  const ready = async () => {
    for (let i = 0; ; i++) {
      try {
        await admin.unsafe("select 1");
        return;
      } catch (e) {
        if (proc.exitCode !== null || i > 150) throw new Error(`PostgreSQL did not start: ${(e as Error).message} ${await new Response(proc.stderr).text().catch(() => "")}`);
        await Bun.sleep(100);
      }
    }
  };
  const halt = async () => {
    await admin.close().catch(() => {});
    proc.kill("SIGINT"); // fast shutdown: PostgreSQL's own pid, never a name
    await proc.exited;
  };
  await ready();
  return {
    port,
    async database(name = `moat_${process.pid}_${++databases}`) {
      await admin.unsafe(`create database "${name}"`);
      return `postgres://moat@127.0.0.1:${port}/${name}`;
    },
    async outage(ms) {
      await halt();
      await Bun.sleep(ms);
      proc = server();
      admin = new SQL(`postgres://moat@127.0.0.1:${port}/postgres`, { max: 1, connectionTimeout: 2 });
      await ready();
    },
    stop: halt,
  };
}

/** The run's cluster, started on first use (with the options of that first call). */
export function postgres(options: ClusterOptions = {}): Promise<PgCluster> {
  running ??= start(options);
  return running;
}

/** Stops the run's cluster, if one was started (test/setup.ts, after the last file). */
export async function stopPostgres(): Promise<void> {
  const cluster = running;
  running = null;
  if (cluster) await (await cluster.catch(() => null))?.stop();
}
