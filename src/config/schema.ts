/**
 * The one configuration schema. It is the source of truth for the config file, the MOAT_* environment
 * variables and the defaults; `moat init` writes a commented file from it. TypeBox is the same schema
 * language as the API's (Elysia's `t`).
 */
import { FormatRegistry, Type, type Static, type TProperties } from "@sinclair/typebox";
import { MAX_KEPT_BODY_BYTES } from "../core/http-request.ts";
import { parseCidr } from "../core/ip.ts";
import { FORMAT_NAMES } from "../parse/formats.ts";
import { API_KEY_REQUIREMENTS, THREAT_SEVERITIES, WAF_MODES } from "../core/enums.ts";

/** A section of the file: unknown keys are errors (a typo must not be silently ignored). */
const section = <T extends TProperties>(properties: T) => Type.Object(properties, { additionalProperties: false, default: {} });

// An address or CIDR range, parsed as strictly as the deny list parses addresses (src/core/ip.ts).
FormatRegistry.Set("ip-range", (value) => parseCidr(value) !== null);

export const ConfigSchema = Type.Object(
  {
    server: section({
      host: Type.String({ default: "127.0.0.1", description: "address the API and dashboard listen on" }),
      port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: "port of the API and dashboard (0 picks a free one)" }),
      allowed_origins: Type.Array(Type.String({ pattern: "^https?://[^/?#@\\s]+$", description: "an origin: scheme://host[:port]" }), {
        default: [],
        description: "browser origins allowed to change things (POST, PUT, DELETE, the WebSocket) besides Moat's own and loopback ones on any port, e.g. https://dash.example.com",
      }),
      allowed_hosts: Type.Array(Type.String({ pattern: "^[A-Za-z0-9.-]+$", description: "a host name, without port" }), {
        default: [],
        description: "names Moat answers to besides loopback names, IP addresses and server.host (e.g. the name a proxy forwards); other Host headers are refused against DNS rebinding",
      }),
      require_api_key: Type.Union(API_KEY_REQUIREMENTS.map((r) => Type.Literal(r)), { default: "auto", description: "auto: API keys are required when listening beyond loopback, optional on loopback; always: required everywhere" }),
      check_rate_limit: Type.Integer({ minimum: 0, default: 0, description: "inline checks per second allowed per API key without a rate limit of its own (moat apikey create --rate-limit), and to the callers without a key together (0: no limit)" }),
      max_body_bytes: Type.Integer({ minimum: 1024, maximum: MAX_KEPT_BODY_BYTES, default: 1_048_576, description: "largest request body the API accepts" }),
    }),
    ingest: section({
      logs: Type.Array(Type.String({ minLength: 1 }), { default: [], description: "access logs to follow (files that do not exist yet are waited for)" }),
      format: Type.Union(FORMAT_NAMES.map((f) => Type.Literal(f)), { default: "auto", description: `log format: ${FORMAT_NAMES.join(", ")}` }),
      log_format: Type.String({ default: "", description: "your nginx log_format string, when format is nginx" }),
      start_at: Type.Union([Type.Literal("beginning"), Type.Literal("end")], { default: "end", description: "where to start in a log seen for the first time" }),
      memory_soft_limit_mb: Type.Integer({ minimum: 0, default: 200, description: "above this resident memory, moat serve collects garbage after a batch (at most 10 times a second); 0: leave it to the runtime" }),
    }),
    detect: section({
      model_dir: Type.String({ default: "", description: "site model directory (moat train --out); empty: <data_dir>/model" }),
      threshold: Type.Number({ minimum: 0, maximum: 1, default: 0, description: "flag at this score; 0 keeps the model's calibrated threshold" }),
      mode: Type.Union(WAF_MODES.map((m) => Type.Literal(m)), { default: "detect", description: "detect only, or block (inline checks answer 403; the deny list acts on tailed and mirrored threats)" }),
      block_min_severity: Type.Union(THREAT_SEVERITIES.map((s) => Type.Literal(s)), {
        default: "high",
        description: "block mode blocks a known attack class flagged at this severity or above: high blocks every flagged sqli, cmdi, xxe, ssti, log4shell, code-injection, rfi, deserialization, xss, traversal, ssrf, nosqli, ldapi, xpath and auth-bypass; medium adds scanners, open redirects, crlf and session fixation",
      }),
      block_anomaly_endpoints: Type.Array(Type.String({ pattern: "^/", description: "a path pattern: `*` or `{name}` is one segment, `**` any number" }), {
        default: [],
        description: "endpoints whose anomalies (departures from the site model with no attack class: a new page, a new parameter) are blocked too, e.g. /admin/**, /api/login; elsewhere anomalies are detect-only",
      }),
    }),
    mirror: section({
      enabled: Type.Boolean({ default: true, description: "accept request copies from nginx's mirror at POST /mirror on mirror.host:mirror.port (assets/deploy/nginx/mirror.conf): bodies judged out of band" }),
      host: Type.String({ default: "127.0.0.1", description: "address of the mirror's own listener; beyond loopback (or with server.require_api_key = \"always\") each copy must carry a live API key" }),
      port: Type.Integer({ minimum: 0, maximum: 65535, default: 8081, description: "port of the mirror's own listener, apart from the API's so that copies are answered on a thread of their own (0 picks a free one)" }),
      max_body_bytes: Type.Integer({ minimum: 1024, maximum: MAX_KEPT_BODY_BYTES, default: 1_048_576, description: "a mirrored body is judged up to this many bytes; the rest is read and discarded, and the request is stored as partial (body-oversize)" }),
      judge_nice: Type.Integer({ minimum: 0, maximum: 19, default: 10, description: "niceness of the thread that judges mirrored copies: above 0, nginx and the listener that answers its copies go first when the cores are busy (judging is out of band; only it waits)" }),
      join_wait_ms: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000, description: "how long a judged copy waits for its access-log line (joined on $request_id) before it is stored alone; a line that comes later still joins its row" }),
      max_queued: Type.Integer({ minimum: 100, maximum: 1_000_000, default: 10_000, description: "copies waiting to be judged at most, and on their way from the listener to the judging queue at most (with at most 256 MiB of bodies); past it copies are dropped and counted (their log lines are still stored)" }),
    }),
    storage: section({
      data_dir: Type.String({ default: "", description: "where the database and models live; empty: $XDG_DATA_HOME/moat or ~/.local/share/moat" }),
      db: Type.String({ default: "", description: "SQLite database file, or a postgres://user:password@host:port/database URL (a hub whose console several hubs share; put the password in MOAT_STORAGE_DB rather than in a file others read); empty: <data_dir>/moat.db" }),
    }),
    retention: section({
      traffic_rows: Type.Integer({ minimum: 1000, default: 1_000_000, description: "benign requests kept in the recent window (flagged ones are all kept)" }),
      max_age_days: Type.Integer({ minimum: 1, default: 30, description: "rows older than this are pruned" }),
      max_db_mb: Type.Integer({ minimum: 16, default: 2048, description: "the SQLite database is kept under this size (PostgreSQL's size is reported, not limited: its operator watches it)" }),
    }),
    alerts: section({
      burst_threats: Type.Integer({ minimum: 2, default: 20, description: "threats from one IP within burst_window_seconds that raise a burst alert" }),
      burst_window_seconds: Type.Integer({ minimum: 10, default: 60, description: "window of the burst rule" }),
      error_rate_percent: Type.Number({ minimum: 1, maximum: 100, default: 20, description: "5xx share of a minute's requests that raises an alert (with at least 20 requests)" }),
      rate_jump_factor: Type.Number({ minimum: 1.5, default: 5, description: "a minute with this many times the learned request rate raises an alert" }),
      auto_resolve_minutes: Type.Integer({ minimum: 1, default: 60, description: "active alerts not seen again for this long are resolved" }),
      webhook_url: Type.String({ default: "", description: "POST alerts here as JSON (Slack-compatible `text`); empty: no webhook. Public addresses only (see webhook_allow_ranges); no user:pass@, no redirects followed" }),
      webhook_allow_ranges: Type.Array(Type.String({ format: "ip-range" }), { default: [], description: "addresses and CIDR ranges the webhook may reach although they are not public (loopback, private, link-local, CGNAT, ...), e.g. a receiver on your LAN; empty: public addresses only" }),
    }),
    jobs: section({
      retrain_cron: Type.String({ default: "0 3 * * *", description: "when the site model is retrained on recent benign traffic (cron); empty: never" }),
      auto_train_min_requests: Type.Integer({ minimum: 0, default: 50_000, description: "train a first site model once this many requests were seen; 0: never automatically" }),
      security_checks_cron: Type.String({ default: "0 * * * *", description: "when the security checks run (cron)" }),
      retention_cron: Type.String({ default: "*/10 * * * *", description: "when retention limits are enforced (cron; six fields allow seconds)" }),
      integrity_check_cron: Type.String({ default: "15 4 * * *", description: "when moat serve runs SQLite's quick_check on the database (cron), besides at every start; empty: at start only" }),
    }),
    security: section({
      nginx_conf: Type.String({ default: "/etc/nginx/nginx.conf", description: "nginx configuration to audit (with its includes); empty: skip the audit" }),
    }),
    ban: section({
      enabled: Type.Boolean({ default: false, description: "passive blocking: keep an nginx include file of deny lines for sources over the threat threshold (include it in your server block)" }),
      file: Type.String({ default: "", description: "the deny file (nginx include), rewritten atomically when it changes; empty: <data_dir>/deny.conf" }),
      threshold: Type.Integer({ minimum: 1, default: 5, description: "threats from one IP within window_seconds that ban it" }),
      min_severity: Type.Union(THREAT_SEVERITIES.map((x) => Type.Literal(x)), { default: "high", description: "only threats of this severity or worse count toward a ban (high: injections; medium adds scanners, open redirects, CRLF)" }),
      attack_types: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'only threats of these attack types count toward a ban, e.g. ["sqli", "cmdi", "log4shell"]; empty: every attack type except "anomaly" (a site-model departure never bans)' }),
      prefix_threshold: Type.Integer({ minimum: 0, default: 0, description: "threats from one IPv4 /24 or IPv6 /64 within window_seconds that ban the whole prefix (attackers rotating addresses); 0: no prefix bans" }),
      simulate: Type.Boolean({ default: false, description: "record the automatic ban decisions (moat decisions list, the Bans page) without writing them to the deny file: watch what would be banned before enforcing it" }),
      window_seconds: Type.Integer({ minimum: 1, default: 300, description: "window of the ban threshold" }),
      duration_seconds: Type.Integer({ minimum: 0, default: 3600, description: "how long an automatic ban lasts; 0: until removed (moat ban remove)" }),
      reload_command: Type.String({ default: "", description: "run after the deny file changes, without a shell (e.g. nginx -s reload); empty: none" }),
      never_ban: Type.Array(Type.String({ format: "ip-range" }), { default: ["127.0.0.0/8", "::1"], description: "addresses and CIDR ranges never banned (your own hosts, monitors, proxies)" }),
      max_entries: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: "most active bans: past it new bans are refused (logged, and an alert for automatic ones), the deny file stays as it is" }),
      test_command: Type.String({
        default: "auto",
        description: 'run on each new deny file before it replaces the live one, without a shell, with the candidate\'s path appended; failing keeps the old file and raises an alert. "auto": nginx -t of a throwaway configuration including it, when nginx is installed; empty: no test',
      }),
    }),
    hub: section({
      url: Type.String({ pattern: "^(https?://[^\\s?#]+)?$", error: "must be empty or the http(s) URL of a moat hub, such as https://console.example.com:8443", default: "", description: "run as an agent of this hub (http(s)://host:port of a moat hub): judged batches are sent to it and its bans applied here; empty: a Moat of its own" }),
      key: Type.String({ default: "", description: "the agent key the hub gave this agent (moat apikey create NAME --scope agent on the hub); better set in MOAT_HUB_KEY than in the file" }),
      outbox_max_requests: Type.Integer({ minimum: 1000, default: 1_000_000, description: "requests kept for the hub while it cannot be reached; past it new batches are not queued and are counted (activity, metric moat_outbox_dropped_total, moat doctor)" }),
      heartbeat_seconds: Type.Integer({ minimum: 1, maximum: 300, default: 5, description: "how often the agent reports to the hub and takes its bans, settings and site model" }),
      site: Type.String({ pattern: "^[A-Za-z0-9._-]{0,64}$", error: "must be empty or a plain name (letters, digits, . _ -; at most 64)", default: "", description: "the site this agent serves, when a hub's agents serve several (shop, blog): the hub trains a site model per site from the traffic of that site's agents, and each agent takes its own site's; empty: the hub's default site" }),
      pull_site_model: Type.Boolean({ default: true, description: "judge with the hub's site model of this agent's site (hub.site), trained on the traffic of every agent of that site, taken when it changes; this agent then trains none of its own" }),
      pull_settings: Type.Boolean({ default: true, description: "take the hub's detection mode and threshold (set on the hub's dashboard or API)" }),
    }),
    geo: section({
      country_db: Type.String({ default: "", description: "a MaxMind-format country database (GeoLite2-Country or DB-IP's country lite .mmdb) on this host: the console shows each attacker's country; read at start, never downloaded; empty: off" }),
      asn_db: Type.String({ default: "", description: "a MaxMind-format ASN database (GeoLite2-ASN or DB-IP's ASN lite .mmdb) on this host: the console shows each attacker's network operator (AS number and name); read at start, never downloaded; empty: off" }),
    }),
    log: section({
      level: Type.Union(["debug", "info", "warn", "error"].map((l) => Type.Literal(l)), { default: "info", description: "debug, info, warn or error" }),
      format: Type.Union([Type.Literal("json"), Type.Literal("logfmt")], { default: "logfmt", description: "Moat's own logs on stderr: json or logfmt" }),
    }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/** Keys that were renamed: the old name is an error that names the new one (its meaning changed too). */
export const RENAMED_KEYS: Record<string, { now: string; why: string }> = {
  "server.cors_origins": { now: "server.allowed_origins", why: "it now also decides which origins may POST and open the WebSocket; loopback origins need no entry" },
};
