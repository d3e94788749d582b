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

  test("the mirror's listener cannot share the API's port", () => {
    expect(() => loadConfig({ env: { MOAT_SERVER_PORT: "9100", MOAT_MIRROR_PORT: "9100" } })).toThrow("mirror.port: must differ from server.port, both 9100 (from MOAT_MIRROR_PORT)");
    expect(loadConfig({ env: { MOAT_SERVER_PORT: "0", MOAT_MIRROR_PORT: "0" } }).config.mirror.port).toBe(0);
    expect(loadConfig({ env: { MOAT_SERVER_PORT: "9100", MOAT_MIRROR_PORT: "9100", MOAT_MIRROR_ENABLED: "false" } }).config.mirror.enabled).toBe(false);
  });

  test("a log format that cannot read a line is refused at start, not a stream of rejected lines", () => {
    expect(() => loadConfig({ env: { MOAT_INGEST_FORMAT: "nginx" } })).toThrow("ingest.format: nginx needs ingest.log_format (--log-format), the log_format string from nginx.conf (from MOAT_INGEST_FORMAT)");
    expect(() => loadConfig({ env: { MOAT_INGEST_LOG_FORMAT: "no variables here" } })).toThrow('ingest.log_format: log format "no variables here" has no $variables (from MOAT_INGEST_LOG_FORMAT)');
    const nginx = { MOAT_INGEST_FORMAT: "nginx", MOAT_INGEST_LOG_FORMAT: '$remote_addr [$time_local] "$request" $status' };
    expect(loadConfig({ env: nginx }).config.ingest.format).toBe("nginx");
    // The formats that need no log_format, and auto with one, load as before.
    for (const format of ["auto", "combined", "json", "apache", "raw-http"] as const) expect(loadConfig({ env: { MOAT_INGEST_FORMAT: format } }).config.ingest.format).toBe(format);
    expect(loadConfig({ env: { MOAT_INGEST_LOG_FORMAT: nginx.MOAT_INGEST_LOG_FORMAT } }).config.ingest.format).toBe("auto");
  });

  test("a boolean from the environment is exactly true or false", () => {
    expect(loadConfig({ env: { MOAT_BAN_ENABLED: "false" } }).config.ban.enabled).toBe(false);
    expect(loadConfig({ env: { MOAT_BAN_ENABLED: "true" } }).config.ban.enabled).toBe(true);
    expect(() => loadConfig({ env: { MOAT_BAN_ENABLED: "yes" } })).toThrow(/ban\.enabled: .*boolean.*"yes".*MOAT_BAN_ENABLED/);
  });

  test("every problem names the key and where the value came from, with the file's line", () => {
    const file = join(dir, "bad.toml");
    writeFileSync(file, '[server]\nport = "abc"\nprot = 1\n[nope]\nx = 1\n');
    try {
      loadConfig({ file, env: { MOAT_RETENTION_MAX_DB_MB: "5", MOAT_DETECT_MODE: "panic", MOAT_INGEST_MEMORY_SOFT_LIMIT_MB: "lots" } });
      throw new Error("should have failed");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const text = (e as Error).message;
      expect(text).toContain(`server.prot: unknown key (known in [server]: host, port, allowed_origins,`);
      expect(text).toContain(`in ${file}:3\n`);
      expect(text).toContain(`nope: unknown section in ${file}:4 (known: server, ingest,`);
      expect(text).toContain(`server.port: Expected integer, got "abc" (from ${file}:2)`);
      expect(text).toContain("retention.max_db_mb: Expected integer to be greater or equal to 16, got 5 (from MOAT_RETENTION_MAX_DB_MB)");
      expect(text).toContain('detect.mode: must be one of "detect", "block", got "panic" (from MOAT_DETECT_MODE)');
      expect(text).toContain('ingest.memory_soft_limit_mb: Expected integer, got "lots" (from MOAT_INGEST_MEMORY_SOFT_LIMIT_MB)');
    }
  });

  test("a key with a fixed set of values lists them, at its line, past comments, tables and multi-line values", () => {
    const file = join(dir, "enum.toml");
    const text = [
      "# Moat", //                                    1
      "[ingest]", //                                  2
      "logs = [", //                                   3
      '  "/var/log/nginx/access.log",', //             4
      '  "level = x",', //                             5: a string inside the array, not a key
      "]", //                                          6
      "", //                                           7
      "[log]", //                                      8
      '  level = "loud" # a typo', //                  9
      '"format" = "xml"', //                           10: a quoted key
    ].join("\n");
    writeFileSync(file, text);
    const problems = (() => {
      try {
        loadConfig({ file, env: {} });
      } catch (e) {
        return (e as ConfigError).problems;
      }
      throw new Error("should have failed");
    })();
    expect(problems).toEqual([`log.level: must be one of "debug", "info", "warn", "error", got "loud" (from ${file}:9)`, `log.format: must be one of "json", "logfmt", got "xml" (from ${file}:10)`]);
  });

  test("a TOML syntax error names its line, also after a multi-line array", () => {
    const file = join(dir, "syntax.toml");
    writeFileSync(file, '[server]\nallowed_hosts = [\n  "a",\n  "b",\n]\nport = = 8080\nhost = "x"\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(`${file}:6: TOML Parse error: Expected a value but found '='`);
    writeFileSync(file, '[server]\nport = 8080\nallowed_hosts = [\n  "a",\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(`${file}:3: TOML Parse error`); // never closed: the line that opened it
  });

  test("a MOAT_ variable that is no setting is a warning naming the closest one; the known ones are not", () => {
    const { warnings } = loadConfig({ env: { MOAT_SERVR_PORT: "9000", MOAT_DETECT_MODEE: "block", MOAT_CONFIG: "/x.toml", MOAT_CACHE_DIR: "/c", MOAT_BAN_ENABLED: "true", PATH: "/bin" } });
    expect(warnings).toEqual([
      "MOAT_DETECT_MODEE is not a Moat setting and is ignored (did you mean MOAT_DETECT_MODE?)",
      "MOAT_SERVR_PORT is not a Moat setting and is ignored (did you mean MOAT_SERVER_PORT?)",
    ]);
    // Renamed keys are errors of their own, not also warnings.
    const renamed = (() => {
      try {
        loadConfig({ env: { MOAT_SERVER_CORS_ORIGINS: "https://a.example", MOAT_SERVR_HOST: "x" } });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("should have failed");
    })();
    expect(renamed.problems[0]).toStartWith("MOAT_SERVER_CORS_ORIGINS: renamed: use server.allowed_origins");
    expect(renamed.warnings).toEqual(["MOAT_SERVR_HOST is not a Moat setting and is ignored (did you mean MOAT_SERVER_HOST?)"]);
  });

  test("a broken TOML file is reported with its path; a missing one only when required", () => {
    const file = join(dir, "broken.toml");
    writeFileSync(file, "[server\nport = 1\n");
    expect(() => loadConfig({ file })).toThrow(file);
    expect(() => loadConfig({ file: join(dir, "absent.toml") })).not.toThrow();
    expect(() => loadConfig({ file: join(dir, "absent.toml"), fileRequired: true })).toThrow(ConfigError);
  });

  test("a hub URL that is not http(s) is refused in words, naming where it came from", () => {
    expect(() => loadConfig({ env: { MOAT_HUB_URL: "ftp://hub.example" } })).toThrow('hub.url: must be empty or the http(s) URL of a moat hub, such as https://console.example.com:8443, got "ftp://hub.example" (from MOAT_HUB_URL)');
    expect(loadConfig({ env: { MOAT_HUB_URL: "https://hub.example/moat" } }).config.hub.url).toBe("https://hub.example/moat");
  });
});
