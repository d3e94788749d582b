/**
 * What Moat creates is its user's alone: directories 0700; the database, its -wal and -shm, the
 * serve lock and exports 0600. The modes are given at creation, so they hold whatever the umask is
 * (the in-process part runs with umask 0, where SQLite alone would make the database 0666).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/db.ts";
import { writeDenyFile } from "../../src/services/deny-list/apply.ts";
import { lockDatabase } from "../../src/store/lock.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("file modes", () => {
  let umask = 0;
  beforeAll(() => {
    umask = process.umask(0);
  });
  afterAll(() => {
    process.umask(umask);
  });

  test("the data directory and its missing parents are 0700; the database, -wal, -shm and lock file 0600", () => {
    const root = tempDir();
    const db = join(root, "var", "moat", "moat.db");
    const lock = lockDatabase(db);
    const store = openStore(db);
    store.sqlite!.exec("insert into counters(key, value) values ('requests', 1)"); // the -wal and -shm exist once written
    try {
      expect({ parent: mode(join(root, "var")), dir: mode(join(root, "var", "moat")) }).toEqual({ parent: "700", dir: "700" });
      expect([db, `${db}-wal`, `${db}-shm`, `${db}.lock`].map((f) => [f, mode(f)])).toEqual([db, `${db}-wal`, `${db}-shm`, `${db}.lock`].map((f) => [f, "600"]));
    } finally {
      store.close();
      lock.release();
    }
  });

  test("the deny file is 0644 whatever the umask: nginx, often another user, reads it (the systemd unit's UMask is 0027)", () => {
    const previous = process.umask(0o027);
    try {
      const file = join(tempDir(), "deny.conf");
      writeDenyFile(file, "deny 192.0.2.1;\n");
      expect(mode(file)).toBe("644");
    } finally {
      process.umask(previous);
    }
  });

  test("an existing directory keeps the mode it was given (it may be the operator's, such as /srv)", () => {
    const dir = join(tempDir(), "shared");
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    openStore(join(dir, "moat.db")).close();
    expect([mode(dir), mode(join(dir, "moat.db"))]).toEqual(["755", "600"]);
  });

  test("moat doctor warns about a database other users can read", () => {
    const dir = tempDir();
    const db = join(dir, "moat.db");
    openStore(db).close();
    chmodSync(db, 0o644);
    const r = runCli(["doctor", "--db", db, "-c", "/dev/null", "--log", "/dev/null", "--port", "0", "--nginx", "127.0.0.1:1"]);
    expect(r.stdout).toContain(`WARN  database access: other users can read ${db}, which holds flagged requests and key hashes: chmod 600 ${db}*; chmod 700 ${dir}`);
  });

  test("moat db export --out writes a 0600 file", () => {
    const dir = tempDir();
    const db = join(dir, "moat.db");
    openStore(db).close();
    const out = join(dir, "threats.ndjson");
    expect(runCli(["db", "export", "--db", db, "-c", "/dev/null", "--out", out]).code).toBe(0);
    expect(mode(out)).toBe("600");
  });
});
