/** `moat apikey` as a user runs it, against a temporary database that the API would read. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { verifyKey } from "../../src/api/auth/keys.ts";
import { openStore } from "../../src/store/db.ts";
import { runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

function apikey(db: string, ...args: string[]) {
  return runCli(["apikey", ...args, "--db", db, "-c", "/dev/null"]);
}

function accepted(db: string, key: string): boolean {
  const store = openStore(db);
  try {
    return verifyKey(store, key) !== null;
  } finally {
    store.close();
  }
}

describe("moat apikey", () => {
  test("create prints the key once; list shows it by prefix only; revoke ends it", () => {
    const db = join(tempDir("moat-apikey-"), "moat.db");
    const created = apikey(db, "create", "ci");
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^moat_[A-Za-z0-9_-]{51}\n$/);
    expect(created.stderr).toContain("cannot be shown again");
    const key = created.stdout.trim();
    const prefix = key.slice(0, 13);
    expect(accepted(db, key)).toBe(true);

    const table = apikey(db, "list");
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(prefix);
    expect(table.stdout).toContain("ci");
    expect(table.stdout).toContain("active");
    expect(table.stdout).not.toContain(key);

    const json = apikey(db, "list", "--json");
    expect(json.code).toBe(0);
    expect(json.stdout).not.toContain(key);
    const listed = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(listed).toHaveLength(1);
    expect(Object.keys(listed[0]!).sort()).toEqual(["createdAt", "id", "lastUsedAt", "name", "prefix", "rateLimit", "revokedAt", "scope"]);
    expect(listed[0]).toMatchObject({ name: "ci", prefix, revokedAt: null, scope: "admin", rateLimit: null });

    const revoked = apikey(db, "revoke", prefix);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked API key ${listed[0]!.id} (ci, ${prefix})`);
    expect(accepted(db, key)).toBe(false);
    expect(JSON.parse(apikey(db, "list", "--json").stdout)[0].revokedAt).toBeString();

    const again = apikey(db, "revoke", String(listed[0]!.id));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already revoked");
  });

  test("--scope and --rate-limit: nginx's key checks only, without a limit; list shows both; admin is the default", () => {
    const db = join(tempDir("moat-apikey-"), "moat.db");
    const nginx = apikey(db, "create", "nginx", "--scope", "check", "--rate-limit", "0");
    expect(nginx.code).toBe(0);
    expect(nginx.stderr).toContain("scope check, rate limit unlimited");
    expect(apikey(db, "create", "ci", "--rate-limit", "25").code).toBe(0);
    expect(apikey(db, "create", "dashboard").code).toBe(0);
    const store = openStore(db);
    try {
      expect(verifyKey(store, nginx.stdout.trim())).toMatchObject({ name: "nginx", scope: "check", rateLimit: 0 });
    } finally {
      store.close();
    }
    const listed = (JSON.parse(apikey(db, "list", "--json").stdout) as { name: string; scope: string; rateLimit: number | null }[]).map((k) => [k.name, k.scope, k.rateLimit]);
    expect(listed).toEqual([["nginx", "check", 0], ["ci", "admin", 25], ["dashboard", "admin", null]]);
    const table = apikey(db, "list").stdout.split("\n");
    expect(table[0]).toMatch(/^ID\s+PREFIX\s+STATUS\s+SCOPE\s+RATE LIMIT\s+CREATED\s+LAST USED\s+NAME$/);
    expect(table[1]).toMatch(/\bcheck\s+unlimited\b.*nginx$/);
    expect(table[2]).toMatch(/\badmin\s+25\/s\b.*ci$/);
    expect(table[3]).toMatch(/\badmin\s+server\b.*dashboard$/);
  });

  test("an unknown scope or a rate limit that is not a whole number is a usage error", () => {
    const db = join(tempDir("moat-apikey-"), "moat.db");
    const scope = apikey(db, "create", "x", "--scope", "root");
    expect(scope.code).toBe(2);
    expect(scope.stderr).toContain("check, agent, admin");
    for (const bad of ["0x10", "1.5", "-1", "", "2000000"]) {
      const r = apikey(db, "create", "x", "--rate-limit", bad);
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
      expect(r.stderr).toContain("--rate-limit must be a whole number");
    }
    expect(apikey(db, "list", "--json").stdout.trim()).toBe("[]");
  });

  test("naming a key that does not exist exits 66 with a clear message", () => {
    const db = join(tempDir("moat-apikey-"), "moat.db");
    for (const name of ["42", "moat_nothing"]) {
      const r = apikey(db, "revoke", name);
      expect(r.code).toBe(66);
      expect(r.stderr).toContain(`no API key with id or prefix "${name}"`);
      expect(r.stderr).toContain("moat apikey list");
    }
  });

  test("an empty list says how to create a key; an empty name is a usage error", () => {
    const db = join(tempDir("moat-apikey-"), "moat.db");
    expect(apikey(db, "list").stdout).toContain("moat apikey create <name>");
    expect(apikey(db, "list", "--json").stdout.trim()).toBe("[]");
    const r = apikey(db, "create", " ");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("needs a name");
  });
});
