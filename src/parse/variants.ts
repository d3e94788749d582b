/**
 * The line formats people actually run, by name: nginx's `combined`, the `main` of nginx's packaged
 * nginx.conf, a virtual-host `combined` (Apache's vhost_combined), each with or without the timing and
 * id fields commonly appended, and Apache's combined/common. A named format tries its variants in turn,
 * so that `combined` reads a `combined` followed by `$request_time` without a custom `--log-format`.
 */
import { isParseError, type ParseResult } from "../core/http-request.ts";
import { compileLogFormat, COMBINED_FORMAT, type Escape } from "./log-format.ts";
import type { Parser } from "./parser.ts";

/** The `main` format of the nginx package's nginx.conf. */
export const MAIN_FORMAT = `${COMBINED_FORMAT} "$http_x_forwarded_for"`;
/** `combined` after the virtual host and port, as Apache's vhost_combined and goaccess's VCOMBINED. */
export const VHOST_COMBINED_FORMAT = `$host:$server_port ${COMBINED_FORMAT}`;

/**
 * Fields often appended to the formats above: response times, the request id (Moat's mirror set-up
 * logs `$request_time $request_id`), and the `upstream_time` format of nginx's documentation.
 * Their patterns (log-format.ts) are strict enough that no line fits two of them.
 */
export const SUFFIXES = [
  "",
  " $request_time",
  " $request_time $upstream_response_time",
  " $request_id",
  " $request_time $request_id",
  ' rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time"',
];

const APACHE_COMBINED = '$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
const APACHE_COMMON = '$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent';

/** Runs the variants in turn and keeps the first success; when all fail, the first variant's answer. */
function firstSuccess<T>(variants: Parser[], run: (p: Parser) => T, resultOf: (t: T) => ParseResult): T {
  const first = run(variants[0]!);
  if (!isParseError(resultOf(first))) return first;
  for (const p of variants.slice(1)) {
    const r = run(p);
    if (!isParseError(resultOf(r))) return r;
  }
  return first;
}

/** One parser named `name` over `formats`; its errors are reported against the first (the plain format). */
function variantsParser(name: string, formats: string[], escape: Escape = "default"): Parser {
  const variants = formats.map((format) => compileLogFormat({ name, format, escape }));
  return {
    name,
    framing: "line",
    parse: (text, origin) => firstSuccess(variants, (p) => p.parse(text, origin), (r) => r),
    explain: (text, origin) => firstSuccess(variants, (p) => p.explain(text, origin), (e) => e.result),
  };
}

const withSuffixes = (base: string) => SUFFIXES.map((suffix) => base + suffix);

export const createCombinedParser = () => variantsParser("combined", withSuffixes(COMBINED_FORMAT));
export const createMainParser = () => variantsParser("main", withSuffixes(MAIN_FORMAT));
export const createVhostCombinedParser = () => variantsParser("vhost-combined", withSuffixes(VHOST_COMBINED_FORMAT));
/** Apache combined, falling back to common (backslash escapes, an ident field). */
export const createApacheParser = () => variantsParser("apache", [APACHE_COMBINED, APACHE_COMMON], "apache");
