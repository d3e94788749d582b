/**
 * The test a new deny file passes before it replaces the live one (`ban.test_command`). One line that
 * nginx rejects makes every reload fail, and nginx will not start again while the file holds it, so a
 * file that fails is never swapped in: the old one stays.
 *
 * "auto" tests with nginx itself when it is installed: `nginx -t` of a throwaway configuration in a
 * temporary directory, holding only `events {}` and an `http {}` that includes the candidate. It needs
 * no root and touches nothing of the system: no `server` block, so no listening socket and none of the
 * temporary directories nginx would otherwise create (and chown, as root) under /var/lib/nginx; its own
 * pid file, lock file and error logs, all relative to the temporary prefix.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { runCommand } from "./apply.ts";
import { splitCommand } from "./rules.ts";

/** Where nginx is looked for besides PATH: a service's PATH often lacks the sbin directories. */
const SBIN_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"];
/** The candidate's name in the temporary directory (a custom test command gets its full path). */
const CANDIDATE = "deny.conf";
/** Relative paths resolve inside the temporary prefix (-p) and beside the configuration (-c): no quoting of the directory's name. */
const THROWAWAY_CONFIG = `pid nginx.pid;\nlock_file nginx.lock;\nerror_log error.log;\nevents {}\nhttp {\n  access_log off;\n  include ${CANDIDATE};\n}\n`;
/** nginx's log prefix: a time and a pid that change at every run (a failure repeated by every retry must read the same). */
const NGINX_LOG_PREFIX = /\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: /g;

export interface DenyFileTest {
  /** What runs, for messages. */
  describe: string;
  /** Null when a file holding `text` passes, else why not. */
  run(text: string): Promise<string | null>;
}

/** The nginx "auto" tests with: the reload command's own when it runs nginx directly, else the first one found. */
function findNginx(reloadArgv: string[]): string | null {
  const path = [process.env.PATH ?? "", ...SBIN_DIRS].join(":");
  const program = reloadArgv[0];
  return (program && basename(program) === "nginx" ? Bun.which(program, { PATH: path }) : null) ?? Bun.which("nginx", { PATH: path });
}

/** The test `ban.test_command` asks for, or null when there is none ("" or "auto" without nginx). */
export function denyFileTest(testCommand: string, reloadArgv: string[]): DenyFileTest | null {
  if (testCommand.trim() === "") return null;
  if (testCommand.trim() === "auto") {
    const nginx = findNginx(reloadArgv);
    return nginx ? nginxTest(nginx) : null;
  }
  const argv = splitCommand(testCommand);
  return { describe: testCommand, run: (text) => inScratchDir(text, (candidate) => runCommand([...argv, candidate])) };
}

function nginxTest(nginx: string): DenyFileTest {
  return {
    describe: `${nginx} -t`,
    run: (text) =>
      inScratchDir(text, async (candidate, dir) => {
        const conf = join(dir, "nginx.conf");
        writeFileSync(conf, THROWAWAY_CONFIG);
        const argv = [nginx, "-t", "-q", "-p", dir, "-c", conf];
        // Before reading its configuration nginx logs to the built-in error log (a system file on some builds): -e (nginx 1.19.5) points it here.
        if (await hasErrorLogFlag(nginx)) argv.push("-e", join(dir, "startup.log"));
        return runCommand(argv);
      }),
  };
}

/** Writes the candidate into a new temporary directory, runs `test` on it, and removes the directory. */
async function inScratchDir(text: string, test: (candidate: string, dir: string) => Promise<string | null>): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), "moat-deny-test-"));
  try {
    const candidate = join(dir, CANDIDATE);
    writeFileSync(candidate, text, { mode: 0o600 });
    const problem = await test(candidate, dir);
    return problem && problem.replaceAll(dir, "<test dir>").replace(NGINX_LOG_PREFIX, "$1 ");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const errorLogFlag = new Map<string, Promise<boolean>>();

/** Whether this nginx takes `-e <file>` (1.19.5 and later), asked once per binary. */
function hasErrorLogFlag(nginx: string): Promise<boolean> {
  let known = errorLogFlag.get(nginx);
  if (!known) {
    known = (async () => {
      let said: string;
      try {
        const proc = Bun.spawn([nginx, "-v"], { stdin: "ignore", stdout: "ignore", stderr: "pipe", timeout: 10_000, killSignal: "SIGKILL" });
        said = await new Response(proc.stderr).text();
        await proc.exited;
      } catch {
        return false; // the test itself then says why nginx cannot run
      }
      // "nginx version: nginx/1.22.1", or a fork naming its nginx core: "Tengine/2.3.3 (nginx/1.18.0)".
      const m = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(said) ?? /\/(\d+)\.(\d+)\.(\d+)/.exec(said);
      if (!m) return false;
      const [major, minor, patch] = m.slice(1).map(Number) as [number, number, number];
      return major > 1 || (major === 1 && (minor > 19 || (minor === 19 && patch >= 5)));
    })();
    errorLogFlag.set(nginx, known);
  }
  return known;
}
