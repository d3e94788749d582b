import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig, renderDefaultConfig } from "../../src/config/load.ts";
import { tempDir } from "../helpers/tmp.ts";

const dir = tempDir();

describe("configuration", () => {
  test("the file moat init writes loads back to the defaults", () => {
    const file = join(dir, "default.toml");
    writeFileSync(file, renderDefaultConfig());
    const { config, origins } = loadConfig({ file, env: { HOME: "/home/x" } });
    expect(config.server).toMatchObject({ host: "127.0.0.1", port: 8080 });
    expect(config.storage.db).toBe(join(config.storage.data_dir, "moat.db"));
    expect(origins["server.port"]).toBe("file");
  });

  test("precedence: flags over environment over file over defaults", () => {
    const file = join(dir, "p.toml");
    writeFileSync(file, '[server]\nport = 9000\nhost = "0.0.0.0"\n[ingest]\nlogs = ["/a.log"]\n');
    const { config, origins } = loadConfig({ file, env: { MOAT_SERVER_PORT: "9100", MOAT_INGEST_LOGS: "/b.log, /c.log" }, flags: { "server.port": 9200 } });
    expect(config.server).toMatchObject({ host: "0.0.0.0", port: 9200 });
    expect(config.ingest.logs).toEqual(["/b.log", "/c.log"]);
    expect([origins["server.port"], origins["server.host"], origins["ingest.logs"], origins["log.level"]]).toEqual(["flag", "file", "env", "default"]);
  });

  test("a boolean from the environment is exactly true or false", () => {
    expect(loadConfig({ env: { MOAT_BAN_ENABLED: "false" } }).config.ban.enabled).toBe(false);
    expect(loadConfig({ env: { MOAT_BAN_ENABLED: "true" } }).config.ban.enabled).toBe(true);
    expect(() => loadConfig({ env: { MOAT_BAN_ENABLED: "yes" } })).toThrow(/ban\.enabled: .*boolean.*"yes".*MOAT_BAN_ENABLED/);
  });

  test("every problem names the key and where the value came from", () => {
    const file = join(dir, "bad.toml");
    writeFileSync(file, '[server]\nport = "abc"\nprot = 1\n[nope]\nx = 1\n');
    try {
      loadConfig({ file, env: { MOAT_RETENTION_MAX_DB_MB: "5", MOAT_DETECT_MODE: "panic", MOAT_INGEST_MEMORY_SOFT_LIMIT_MB: "lots" } });
      throw new Error("should have failed");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const text = (e as Error).message;
      expect(text).toContain("server.prot: unknown key");
      expect(text).toContain("nope: unknown section");
      expect(text).toContain(`server.port: Expected integer, got "abc" (from ${file})`);
      expect(text).toContain("retention.max_db_mb: Expected integer to be greater or equal to 16, got 5 (from MOAT_RETENTION_MAX_DB_MB)");
      expect(text).toContain("detect.mode");
      expect(text).toContain('ingest.memory_soft_limit_mb: Expected integer, got "lots" (from MOAT_INGEST_MEMORY_SOFT_LIMIT_MB)');
    }
  });

  test("a broken TOML file is reported with its path; a missing one only when required", () => {
    const file = join(dir, "broken.toml");
    writeFileSync(file, "[server\nport = 1\n");
    expect(() => loadConfig({ file })).toThrow(file);
    expect(() => loadConfig({ file: join(dir, "absent.toml") })).not.toThrow();
    expect(() => loadConfig({ file: join(dir, "absent.toml"), fileRequired: true })).toThrow(ConfigError);
  });
});
