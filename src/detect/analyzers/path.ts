/**
 * Path traversal, local and remote file inclusion, read the way a file system resolves a path: a run
 * of path segments (between `/` or `\`, restarting after `=`, `?`, `&`, spaces and quotes) is walked,
 * parent segments (`..`, and the filter-evading `...`, `....` and Tomcat's `..;`) move up, and a run
 * that climbs above where it started escapes the root. What it reaches, or what an absolute path
 * names, is checked against files that no request should read (`/etc/passwd`, `win.ini`,
 * `WEB-INF/web.xml`, `.git/config`), or a server log. A value that ends at such a file behind dot-dot
 * units spelled in junk (broken escapes, stray bytes) is a climb whatever the spelling. Also: PHP
 * stream wrappers, UNC paths, and remote inclusion (a parameter that is a URL to a script, or ends in
 * `?` to cut off the suffix the application appends).
 */
import { hexByteAt } from "../../parse/decode.ts";
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { asciiSet, finding, isAsciiDigit, isAsciiLetter, isSpaceCode, isWordCode, lowerAscii, lowerAsciiCode, routeTailSlashes, strongestPerRule } from "./text.ts";

interface SensitiveFile {
  path: string;
  abs: boolean;
  strength: number;
  /** `path` split at its `/`, once: what resolved segments are compared with. */
  segments: string[];
}

/** The files of a blank-separated list, each with the same `abs` and strength. */
const sensitiveFiles = (list: string, abs: boolean, strength: number): SensitiveFile[] =>
  list.split(/\s+/).map((path) => ({ path, abs, strength, segments: path.split("/") }));

/**
 * Files an application never has a reason to read for a request, as lower-case segment paths. `abs`:
 * it means that file only as an absolute path or reached by traversal (`etc/passwd` alone is a word).
 */
const SENSITIVE_FILES: SensitiveFile[] = [
  ...sensitiveFiles(`etc/passwd etc/shadow etc/group etc/hosts etc/issue etc/motd etc/hostname etc/crontab etc/sudoers etc/master.passwd
    etc/security/passwd etc/httpd/conf/httpd.conf etc/apache2/apache2.conf etc/nginx/nginx.conf etc/my.cnf etc/mysql/my.cnf
    etc/php.ini etc/resolv.conf etc/fstab proc/self/environ proc/self/cmdline proc/self/status proc/self/maps proc/self/fd
    proc/version proc/self/cwd var/log/apache2/access.log var/log/apache2/error.log var/log/apache/access.log var/log/httpd/access_log
    var/log/httpd/error_log var/log/nginx/access.log var/log/nginx/error.log var/run/secrets/kubernetes.io root/.bash_history
    windows/system32/drivers/etc/hosts windows/system32/config/sam windows/repair/sam windows/system.ini inetpub/wwwroot/web.config
    var/lib/mysql/mysql/user.myd`,
    true, 0.9),
  // Credentials and histories that developer tools keep in dotfiles (registry tokens, cluster and
  // deployment keys, coding agents' MCP servers with their API keys).
  ...sensitiveFiles(`win.ini boot.ini .htpasswd id_rsa id_dsa id_ecdsa id_ed25519 .bash_history authorized_keys web-inf/web.xml .git/config
    .git/head .svn/entries .aws/credentials .ssh/id_rsa .docker/config.json .git-credentials .npmrc .pypirc .netrc .s3cfg
    .kube/config .vscode/sftp.json .cursor/mcp.json .vscode/mcp.json .roo/mcp.json .mcp.json .n8n/config .zsh_history
    .mysql_history .psql_history`,
    false, 0.85),
  // Files a site may well hold in its own tree (and a link may name), the credentials of its database
  // and server among them: weaker alone.
  ...sensitiveFiles(`.htaccess .env wp-config.php web.config php.ini httpd.conf my.cnf database.yml secrets.yml tomcat-users.xml
    appsettings.json parameters.yml configuration.php localsettings.php config.inc.php`, false, 0.6),
].filter((f) => f.path !== "");

const SENSITIVE_BY_LAST = new Map<string, typeof SENSITIVE_FILES>();
for (const f of SENSITIVE_FILES) {
  const last = f.path.slice(f.path.lastIndexOf("/") + 1);
  SENSITIVE_BY_LAST.set(last, [...(SENSITIVE_BY_LAST.get(last) ?? []), f]);
}
// The longest name first: `windows/system32/drivers/etc/hosts` is more than `etc/hosts` inside it.
for (const list of SENSITIVE_BY_LAST.values()) list.sort((a, b) => b.path.length - a.path.length);

/** The two characters before `end` as one number, ASCII letters lower-cased: a key read off a value without copying it. */
const pairKey = (s: string, end: number) => lowerAsciiCode(s.charCodeAt(end - 2)) * 65536 + lowerAsciiCode(s.charCodeAt(end - 1));

/** The same for three characters. */
const tailKey = (s: string, end: number) => lowerAsciiCode(s.charCodeAt(end - 3)) * 4294967296 + pairKey(s, end);

/** The lengths of the sensitive files' last segments by their last three characters: what a value's end is tested against. */
const LAST_NAME_LENGTHS = new Map<number, number[]>();
for (const name of SENSITIVE_BY_LAST.keys()) {
  if (name.length < 3) continue; // `fd` ends no value by itself: only a path reaches it
  const key = tailKey(name, name.length);
  const lengths = LAST_NAME_LENGTHS.get(key) ?? [];
  if (!lengths.includes(name.length)) lengths.push(name.length);
  LAST_NAME_LENGTHS.set(key, lengths);
}

/** Characters that end a path: what follows them is another value or another path (a table: every character of a value is tested). */
const RUN_BOUNDARIES = asciiSet(" \t\n\r=?&'\"<>(),|#");
const isRunBoundary = (c: number) => c < 128 && RUN_BOUNDARIES[c] === 1;

/**
 * Separators and dots as Windows also reads them: IIS maps look-alikes (`∕` U+2215, `∖` U+2216, fullwidth
 * `／` `＼` `．`) to the ASCII ones, so filters that only know `/` and `.` miss them.
 */
const isSeparator = (c: number) => c === 47 || c === 92 || c === 0x2215 || c === 0x2216 || c === 0xff0f || c === 0xff3c;
const isDot = (c: number) => c === 46 || c === 0xff0e;

/**
 * `..` and what filters fail to strip: `...`, `....`, `..;x` (Tomcat), a NUL, control characters or
 * spaces after the dots. A run's last segment of three dots or more, with no separator after it, is an
 * ellipsis or Go's package pattern (`go test ./...`): a filter-evading parent leads to a next step.
 */
function parentKind(seg: string, last: boolean): "plain" | "evasive" | null {
  if (seg === "..") return "plain";
  let k = 0;
  while (k < seg.length && isDot(seg.charCodeAt(k))) k++;
  if (k < 2) return null;
  const rest = seg.slice(k);
  if (rest === "") return last && k > 2 ? null : "evasive";
  // eslint-disable-next-line no-control-regex
  if (rest.startsWith(";") || /^[\u0000-\u001f ]+$/.test(rest)) return "evasive";
  return null;
}

/** Leading `..` groups, each followed by non-name characters, before a name: `....x`, `..\uEFC8..\uEFC8x`. */
const GLUED_PARENTS = /^(?:\.\.[^a-z0-9./\\]*)+(?=[a-z0-9_])/i;

/** How many `..` a segment glues before its name (0 when it does not). */
function gluedParents(seg: string): number {
  const m = GLUED_PARENTS.exec(seg);
  return m ? (m[0].match(/\.\./g)?.length ?? 0) : 0;
}

/** A segment as the file system would take it: a NUL ends the name, `;...` is a path parameter. */
function segmentName(seg: string): string {
  let end = seg.length;
  const nul = seg.indexOf("\0");
  if (nul !== -1) end = nul;
  const semi = seg.indexOf(";");
  if (semi > 0 && semi < end) end = semi;
  return lowerAscii(seg.slice(0, end));
}

interface Run {
  start: number;
  end: number;
  /** Levels climbed above the run's start. */
  escape: number;
  /** Where the first parent segment that climbed above the start begins. */
  escapeAt: number;
  parents: number;
  evasive: boolean;
  /** A parent segment with a path parameter (`..;/`), which Tomcat resolves after the proxy checked the path. */
  pathParameter: boolean;
  /** The first name of the run as sent, before any `..` resolved it away (null until one is read). */
  firstName: string | null;
  /** A `..` segment has been read. */
  afterParent: boolean;
  /** A name follows a `..` segment (`/a/../b`). */
  parentThenName: boolean;
  /** Starts at a root: `/`, `\`, `C:\`, `file:///`. */
  absolute: boolean;
  /**
   * Indexes of `resolved` where a root starts: 0 for an absolute run, after a drive or `file:`, and
   * after `//` (a directory joined with an absolute name: `/files//etc/shadow` reads `/etc/shadow`).
   */
  roots: number[];
  /** An empty segment (`//`) was just closed: the next name starts at a root. */
  rootNext: boolean;
  /** The segments left after resolving parents, lower-cased. */
  resolved: string[];
  separators: number;
}

/** A root name: a drive (`c:`), `file:`, or Vite's `/@fs/` (which serves the file system's root). */
const isRootName = (name: string) => (name.length === 2 && name.charCodeAt(1) === 58 && name.charCodeAt(0) >= 97 && name.charCodeAt(0) <= 122) || name === "file:" || name === "@fs";

/** Splits the text into path runs and walks each. Linear: each character is read at most twice. */
function pathRuns(s: string): Run[] {
  const runs: Run[] = [];
  let run: Run | null = null;
  let depth = 0;
  let segStart = 0;
  // Names are cut from the value lower-cased once, but one a NUL or `;` may cut short (`segmentName`).
  let lower: string | null = null;
  let segmentCut = false;
  const closeSegment = (end: number, last = false) => {
    if (!run) return;
    if (!isDot(s.charCodeAt(segStart)) || end === segStart) {
      // Only a segment that starts with a dot can be a parent (or `.`): the rest are names or empty.
      if (end > segStart) addName(run, segmentCut ? segmentName(s.slice(segStart, end)) : (lower ??= lowerAscii(s)).slice(segStart, end));
      else if (segStart > run.start) run.rootNext = true;
      return;
    }
    const seg = s.slice(segStart, end);
    const parent = parentKind(seg, last);
    const climbs = parent === null ? gluedParents(seg) : 0;
    if (climbs > 0) {
      // `......etc`, `..\uEFC8..\uEFC8proc`: parents glued to a name by what a filter took for no
      // separator (an encoded slash it did not decode). Each `..` climbs; the name after them counts.
      run.parents += climbs;
      run.evasive = true;
      depth -= climbs;
      if (-depth > run.escape) {
        if (run.escape === 0) run.escapeAt = segStart;
        run.escape = -depth;
      }
      run.resolved.length = Math.max(0, run.resolved.length - climbs);
      depth++;
      if (run.resolved.length < 64) run.resolved.push(segmentName(seg.replace(GLUED_PARENTS, "")));
    } else if (parent) {
      run.parents++;
      run.afterParent = true;
      if (parent === "evasive") run.evasive = true;
      if (seg.indexOf(";") !== -1) run.pathParameter = true;
      depth--;
      if (-depth > run.escape) {
        if (run.escape === 0) run.escapeAt = segStart;
        run.escape = -depth;
      }
      run.resolved.pop();
    } else if (seg !== ".") {
      addName(run, segmentName(seg));
    }
  };
  const addName = (into: Run, name: string) => {
    depth++;
    if (into.afterParent) into.parentThenName = true;
    into.firstName ??= name;
    if (into.resolved.length < 64) {
      if (into.rootNext && into.roots.length < 8) into.roots.push(into.resolved.length);
      into.resolved.push(name);
      // After a root name, a name is absolute.
      if (isRootName(name) && into.roots.length < 8) into.roots.push(into.resolved.length);
    }
    into.rootNext = false;
  };
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : -1;
    if (c === -1 || isRunBoundary(c)) {
      closeSegment(i, true);
      if (run) {
        run.end = i;
        // A run without a separator is a word (an ellipsis is no parent directory), unless dots glued
        // before a name climb to a system file (`........boot.ini`).
        if (run.separators > 0 || (run.parents > 0 && sensitiveFile(run.resolved))) runs.push(run);
      }
      run = null;
      continue;
    }
    if (!run) {
      if (!isSeparator(c) && !isDot(c)) {
        // A run without a separator whose only segment starts with no dot is a word: no parent, never kept.
        let j = i + 1;
        while (j < s.length && !isRunBoundary(s.charCodeAt(j)) && !isSeparator(s.charCodeAt(j))) j++;
        if (j === s.length || isRunBoundary(s.charCodeAt(j))) {
          i = j - 1;
          continue;
        }
      }
      const drive = isAsciiLetter(c) && s.charCodeAt(i + 1) === 58 && (s.charCodeAt(i + 2) === 92 || s.charCodeAt(i + 2) === 47);
      run = { start: i, end: i, escape: 0, escapeAt: -1, parents: 0, evasive: false, pathParameter: false, firstName: null, afterParent: false, parentThenName: false, absolute: isSeparator(c) || drive, roots: [], rootNext: false, resolved: [], separators: 0 };
      if (run.absolute) run.roots.push(0);
      depth = 0;
      segStart = i;
      segmentCut = false;
    }
    if (isSeparator(c)) {
      run.separators++;
      closeSegment(i);
      segStart = i + 1;
      segmentCut = false;
    } else if (c === 0 || c === 59) {
      segmentCut = true;
    }
  }
  return runs;
}

/** What ASP.NET keeps in App_Data and App_Code: databases, source, settings. */
export const ASPNET_FILE = /\.(?:mdf|ldf|sdf|mdb|accdb|cs|vb|config|resx)$/;

/**
 * A web application's private directories, which the server never serves: Java's classes, libraries
 * and configuration (`WEB-INF/classes/application.properties`, `WEB-INF/lib/app.jar`), ASP.NET's
 * databases, source and settings (`~/App_Data/users.mdf`, `App_Code/Db.cs`). A file in one named by a
 * request is one the request wants read. `app_data` is many a program's folder too (a Docker volume's
 * `/srv/app_data/uploads/a.jpg`): ASP.NET's only with the files ASP.NET keeps there.
 */
const PRIVATE_DIRECTORIES: { file: SensitiveFile; holds?: RegExp }[] = [
  { file: { path: "web-inf", abs: false, strength: 0.85, segments: ["web-inf"] } },
  ...["app_data", "app_code"].map((dir) => ({ file: { path: dir, abs: false, strength: 0.85, segments: [dir] }, holds: ASPNET_FILE })),
];

/** The sensitive file a resolved path ends with (or holds, for a file followed by more), or null. */
function sensitiveFile(resolved: string[]): { file: (typeof SENSITIVE_FILES)[number]; depth: number } | null {
  for (let k = resolved.length - 1; k >= 0; k--) {
    const candidates = SENSITIVE_BY_LAST.get(resolved[k]!);
    if (!candidates) continue;
    for (const file of candidates) {
      const parts = file.segments;
      const from = k - parts.length + 1;
      if (from >= 0 && parts.every((p, n) => resolved[from + n] === p)) return { file, depth: from };
    }
  }
  const last = resolved.at(-1);
  if (resolved.length < 2 || !last) return null;
  for (const { file, holds } of PRIVATE_DIRECTORIES) {
    const at = resolved.indexOf(file.path);
    if (at !== -1 && at < resolved.length - 1 && (!holds || holds.test(last))) return { file, depth: at };
  }
  return null;
}

/** The longest bracket a glob's character may be (`[` and `]` around at most 16). */
const MAX_BRACKET = 18;

/** `[...]` in a segment, as the shell's bracket glob, against a file name: `pa[s]swd` is `passwd`. */
function bracketGlobMatches(segment: string, name: string): boolean {
  if (segment.indexOf("[") === -1) return segment === name;
  // Each of the name's characters is one character of the glob or a bracket of at most 18: a longer
  // segment matches nothing, and is not rewritten into a pattern (a megabyte of it, once per file).
  if (segment.length > name.length * MAX_BRACKET) return false;
  const re = segment.replace(/\[([^\]]{1,16})\]|[^[]/g, (m, set: string | undefined) => (set !== undefined ? `[${set.replace(/[\\\]^]/g, "\\$&")}]` : m.replace(/[.*+?^${}()|\\]/g, "\\$&")));
  try {
    return new RegExp(`^${re}$`).test(name);
  } catch {
    return false;
  }
}

/** An absolute path spelled with bracket globs (`/[e]tc/pa[s]swd`) that a shell resolves to a sensitive file. */
function globbedSensitiveFile(resolved: string[]): (typeof SENSITIVE_FILES)[number] | null {
  if (resolved.length > 8 || !resolved.some((seg) => seg.indexOf("[") !== -1)) return null;
  for (const file of SENSITIVE_FILES) {
    const parts = file.segments;
    if (parts.length === resolved.length && parts.every((p, n) => bracketGlobMatches(resolved[n]!, p))) return file;
  }
  return null;
}

/** Top directories of an operating system that hold its configuration, secrets and logs, not a site's files. */
const SYSTEM_DIRS = new Map<string, number>([
  ["etc", 0.8], ["proc", 0.8], ["root", 0.7], ["sys", 0.6], ["boot", 0.6], ["windows", 0.8], ["winnt", 0.8], ["inetpub", 0.7],
]);
const SYSTEM_SUBDIRS = new Map<string, number>([
  ["var/log", 0.7], ["usr/local/etc", 0.7], ["var/lib", 0.6], ["usr/local/apache", 0.6], ["var/run", 0.6],
  // The kernel's view of the hardware and itself: what a probe reads to fingerprint the host.
  ["sys/class", 0.8], ["sys/kernel", 0.8], ["sys/devices", 0.8], ["sys/firmware", 0.8], ["sys/module", 0.7], ["sys/bus", 0.7],
]);

const SYSTEM_SUBDIR_TOPS = new Set([...SYSTEM_SUBDIRS.keys()].map((path) => path.slice(0, path.indexOf("/"))));

/** Logs a server writes what requests send into: reading one back runs what was sent (log poisoning). */
const SERVER_LOG = /^(?:access|error)[._]log$/;
const LOG_FILE = /\.(?:log|err)$|_log$/;

/**
 * A path named beside words of prose (`check /var/log/syslog for errors`, `/etc/hosts 修改`), or run
 * into a CJK sentence (`/etc/hosts文件怎么改`: the system's directories name no file in CJK): the words
 * would be part of any file name the value is read as, so no file is reached. Under the combiner's
 * bound on weak evidence: a forum post or a search that names a system file is no attempt to read it.
 * Punctuation or another path beside it (`/etc/passwd?`, `/etc/passwd /etc/shadow`) is no prose.
 */
const PROSE_MENTION = 0.4;
const IDEOGRAPH = /[\u3400-\u9fff]/;
/** A word of two letters or more standing alone between spaces, or a CJK ideograph. */
const PROSE_WORD = new RegExp(String.raw`(?:^|\s)[A-Za-z]{2,}(?=\s|$)|${IDEOGRAPH.source}`);
/** Text read on each side of a run for prose: enough for a word or two, and linear however many runs a value holds. */
const PROSE_REACH = 32;

/**
 * Commands and directives that read or show the file they are given (`cat /etc/passwd`, PowerShell's
 * `gc`, cmd's `type`, PHP's `include`): the word right before the path makes a command line, not prose.
 */
const FILE_READERS = new Set(["cat", "tac", "nl", "head", "tail", "more", "less", "od", "xxd", "hexdump", "strings", "base64", "sort", "uniq", "grep", "egrep", "awk", "sed", "vi", "vim", "view", "nano", "source", "type", "gc", "get-content", "findstr", "include", "include_once", "require", "require_once"]);
const LAST_WORD = /([A-Za-z][\w-]*)\s+$/;

function proseBefore(s: string, run: Run): boolean {
  const before = s.slice(Math.max(0, run.start - PROSE_REACH), run.start);
  const last = LAST_WORD.exec(before);
  return !(last && FILE_READERS.has(last[1]!.toLowerCase())) && PROSE_WORD.test(before);
}

function besideProse(s: string, run: Run): boolean {
  const text = s.slice(run.start, run.end);
  const nul = text.indexOf("\0");
  // Past a NUL inside the run, nothing is the name's: neither the rest of the run nor what follows it.
  const name = nul === -1 ? text : text.slice(0, nul);
  return IDEOGRAPH.test(name) || proseBefore(s, run) || (nul === -1 && PROSE_WORD.test(nameAfter(s, run)));
}

/**
 * The text after a run that a file name read from the value would still hold: a NUL ends it, as it
 * ends the C string the system opens (`/etc/passwd%00 words`: the truncation an old PHP allowed).
 * Words after it, or in the run after one, are no part of the name.
 */
function nameAfter(s: string, run: Run): string {
  const after = s.slice(run.end, run.end + PROSE_REACH);
  const nul = after.indexOf("\0");
  return nul === -1 ? after : after.slice(0, nul);
}

/** The cap on the strength of a path that is not the whole value: named among words, or beside other text. */
const mentionCap = (s: string, run: Run) => (besideProse(s, run) ? PROSE_MENTION : 0.5);

/** A whole value that is an absolute path into the system's own directories (`/etc/hostname`, `C:\Windows\...`) or to a server's log. */
function systemPath(run: Run, s: string, isPath: boolean, wholeLength: number, out: Finding[]): void {
  const r = run.resolved;
  const from = run.roots[run.roots.length - 1]!;
  if (r.length - from < 2) return;
  const top = r[from]!;
  let strength = (SYSTEM_SUBDIR_TOPS.has(top) ? SYSTEM_SUBDIRS.get(`${top}/${r[from + 1]}`) : undefined) ?? SYSTEM_DIRS.get(top) ?? 0;
  const last = r[r.length - 1]!;
  if (SERVER_LOG.test(last)) strength = Math.max(strength, 0.8);
  else if (LOG_FILE.test(last) && r.some((seg, k) => k >= from && (seg === "log" || seg === "logs"))) strength = Math.max(strength, 0.6);
  if (!strength) return;
  if (isPath) strength = Math.min(strength, 0.7);
  // Named in a sentence or a command line (`cat /etc/subuid`) rather than being the value, or run into a CJK one.
  else if (wholeLength !== run.end - run.start) strength = Math.min(strength, mentionCap(s, run));
  else if (besideProse(s, run)) strength = Math.min(strength, PROSE_MENTION);
  out.push(finding("traversal", "path.system-file", strength, run.start, run.end));
}

/** Where servers keep sites and their configuration: the top of an absolute path to a site's own files. */
const SERVER_TREES = new Set(["var", "opt", "usr", "srv", "app", "www", "data"]);
/** A leaf inside a stack trace, as error reporters send one (`exception.values[0].stacktrace.frames[2].abs_path`). */
const STACK_TRACE = /(?:^|[.~])(?:frames|stacktrace|backtrace|stack_trace|trace)(?:\[|\.|$)/i;

/** Files a page links to for display: styles, images, fonts, media, Markdown and source maps. */
const STATIC_FILE = /\.(?:css|s[ac]ss|less|png|jpe?g|gif|svg|webp|avif|ico|bmp|woff2?|ttf|otf|eot|mp[34]|webm|md|map)$/i;
/** A short climb to such a file, inside a larger text, is weak evidence. */
const STATIC_CLIMB = 0.3;

/** `wholeLength`: the value's length without surrounding whitespace (a run that long is the whole value). */
function judgeRun(run: Run, input: AnalyzerInput, wholeLength: number, out: Finding[]): void {
  const isPath = input.kind === "path";
  const found = sensitiveFile(run.resolved);
  // An absolute file name counts where the path starts at a root, or at the root the traversal reached.
  const rooted = found !== null && (run.roots.includes(found.depth) || (run.escape > 0 && found.depth === 0));
  if (run.escape > 0) {
    // A browser sends an upload's file name without its directories: a parent directory there is aimed at where it is written.
    const uploadName = input.kind === "filename" || input.kind === "part-header";
    // A route's segment read as a value had its separators escaped (`..%2f`, `%252e%252e%252f`): a
    // climb inside one is sent past the router on purpose.
    const inSegment = input.location === "path" && !isPath;
    let strength = isPath ? 0.9 : run.escape >= 3 || uploadName || inSegment ? 0.85 : run.escape === 2 ? 0.7 : 0.5;
    // `..;/` (Tomcat drops a segment's path parameter after the proxy checked the path) no text has; `...` prose has.
    if (run.evasive) strength = Math.max(strength, run.pathParameter ? 0.85 : 0.8);
    // `<img src="../../images/logo.png">`: a page's or a document's own relative link to a static file,
    // inside the markup or Markdown around it. A whole value that climbs (`file=../../uploads/x.png`)
    // is what a file parameter is sent, whatever it names.
    else if (!found && run.escape <= 2 && !isPath && !uploadName && !inSegment && run.end - run.start < wholeLength && STATIC_FILE.test(run.resolved.at(-1) ?? "")) strength = Math.min(strength, STATIC_CLIMB);
    if (found && (rooted || !found.file.abs)) strength = 0.95;
    out.push(finding("traversal", "path.traversal", strength, run.escapeAt, run.end));
  } else if (run.parents > 0 && isPath) {
    // `/a/../b` stays inside the root. Browsers, curl and most HTTP libraries resolve dot segments
    // before sending (Go's, Node's and Java's clients send a path as written): one that moves the
    // request to another first segment was written to pass a proxy's or a filter's check on that
    // segment, for a route it guards (`/vpn/../vpns/portal/`, `/res/../admin/diagnostic.jsp`); an SDK's
    // `/api/v1/../v2/status` stays under its first segment, and a page's `/css/../fonts/x.woff2` asks
    // for a static file. No request of the benign sets has either.
    // So is `..;` (Tomcat's path-parameter bypass), and a dot segment seen only once the path is
    // decoded again (`/console/images/%252E./console.portal`). A last `..` (`/get/..`) reaches no
    // other route, `..foo` is a name, and another reading of the path (a segment's base64) is no path
    // a server routes.
    const otherRoute = run.parentThenName && input.path === "path" && run.resolved[0] !== run.firstName && !STATIC_FILE.test(run.resolved.at(-1) ?? "");
    const routed = otherRoute || run.pathParameter || input.path.startsWith("path~url");
    out.push(finding("traversal", "path.dot-segment", routed ? 0.85 : 0.6, run.start, run.end));
  }
  const unreached = !found || (found.file.abs && !rooted);
  if (unreached && run.escape === 0 && run.roots.length > 0) {
    const globbed = globbedSensitiveFile(run.resolved);
    if (globbed) out.push(finding("traversal", "path.sensitive-file", 0.9, run.start, run.end));
    else systemPath(run, input.text, isPath, wholeLength, out);
  }
  if (!found || run.escape > 0) return;
  if (found.file.abs && !rooted) {
    // `a/b/../../etc/passwd`: parents on the way to a system file. Where the value is resolved from is
    // the application's secret, so climbing toward such a file is the attempt, escaped or not here.
    if (run.parents > 0 && !isPath) out.push(finding("traversal", "path.traversal", 0.9, run.start, run.end));
    return;
  }
  // A whole value that is this path is an attempt to read it; a path mentioned in prose much less.
  const wholeValue = wholeLength === run.end - run.start || isPath;
  let strength = found.file.strength;
  // `/var/www/html/wp-config.php`, `/opt/tomcat/conf/tomcat-users.xml`: the full path of a site's secrets
  // on its server, where a link would name the file from the site's root. A stack trace's frame names
  // the file the error happened in (an error reporter's `frames[3].abs_path`), not one asked for.
  if (!isPath && wholeValue && run.roots[0] === 0 && found.depth >= 1 && SERVER_TREES.has(run.resolved[0]!) && !STACK_TRACE.test(input.path)) strength = Math.max(strength, 0.85);
  if (isPath && !found.file.abs) strength = Math.min(strength, 0.7);
  if (!wholeValue) strength = Math.min(strength, mentionCap(input.text, run));
  if (strength >= 0.5) out.push(finding("traversal", "path.sensitive-file", strength, run.start, run.end));
}

const isAlnum = (c: number) => isAsciiLetter(c) || isAsciiDigit(c);
/** What a file name is made of: an escape or junk next to a name is no part of it. */
const isNameChar = (c: number) => isWordCode(c) || c === 45 || c === 46;

/**
 * The length of an escape ending at `i`, or 0: `%xx`, `%uxxxx`, `%25xx` (encoded again, any number of
 * times) and a cut `%x`. Any letters count: fuzzers send escapes no server decodes (`%qf`, `%9v`,
 * `%uEFC8`), and the characters of one are junk, not part of a name.
 */
function escapeEndingAt(s: string, i: number): number {
  if (i < 2 || !isAlnum(s.charCodeAt(i - 1))) return 0;
  if (i >= 6 && s.charCodeAt(i - 6) === 37 && (s.charCodeAt(i - 5) | 32) === 117 && isAlnum(s.charCodeAt(i - 4)) && isAlnum(s.charCodeAt(i - 3)) && isAlnum(s.charCodeAt(i - 2))) return 6;
  if (isAlnum(s.charCodeAt(i - 2))) {
    let k = i - 3;
    // Each `25` before the pair is a `%` encoded once more: `%252e` is `%2e` is `.` (a few times at most).
    for (let n = 0; n < 4 && k >= 2 && s.charCodeAt(k) === 53 && s.charCodeAt(k - 1) === 50; n++) k -= 2;
    if (k >= 0 && s.charCodeAt(k) === 37) return i - k;
  }
  return s.charCodeAt(i - 2) === 37 ? 2 : 0;
}

/** An escape that decodes to a separator (`%2f`, `%5c`, `%u2215`...): a root or a step, not junk. */
function isSeparatorEscape(esc: string): boolean {
  if (esc.length === 6 && (esc.charCodeAt(1) | 32) === 117 /* u */) {
    const high = hexByteAt(esc, 2);
    const low = hexByteAt(esc, 4);
    return high >= 0 && low >= 0 && isSeparator(high * 256 + low);
  }
  let k = 1;
  while (esc.startsWith("25", k) && esc.length - k > 2) k += 2;
  return esc.length - k === 2 && isSeparator(hexByteAt(esc, k));
}

/** A character that is none of a name, a space or a separator, from outside ASCII: a stray byte. */
const isStrayByte = (c: number) => c > 126 && !isSeparator(c) && !isDot(c);

const isJunk = (c: number) => !Number.isNaN(c) && !isNameChar(c) && !isSpaceCode(c) && !isSeparator(c);
/** A lone letter between junk, next to a stray byte (`%ÀnÀn`): what a broken escape decoded to, not a name. */
const isStrayLetter = (s: string, i: number) =>
  isJunk(s.charCodeAt(i - 1)) && isJunk(s.charCodeAt(i + 1)) && (isStrayByte(s.charCodeAt(i - 1)) || isStrayByte(s.charCodeAt(i + 1)));

/** Whether a name may start at `i`: nothing name-like glued before it, or an escape ends there. */
const nameStartsAt = (s: string, i: number) => i === 0 || !isNameChar(s.charCodeAt(i - 1)) || escapeEndingAt(s, i) > 0;

/** Junk tokens (escapes or single non-name characters, no space) ending at `i`: where they start, and how many. */
function junkBefore(s: string, i: number): number {
  while (i > 0) {
    const esc = escapeEndingAt(s, i);
    if (esc) { i -= esc; continue; }
    const c = s.charCodeAt(i - 1);
    if (isSpaceCode(c) || isNameChar(c)) break;
    i--;
  }
  return i;
}

/**
 * A value (read to `valueEnd`: a route parameter ends before the path does) that ends at a system file
 * reached through parent directories spelled in any junk:
 * `..%c0%qf..%c0%qfetc%c0%qfpasswd`, `%c0.%c0.%uEFC8boot.ini`, `?./?./windows/system32/drivers/etc/hosts`,
 * `%%32%%65%%32%%65%c1%pcetc%c1%pcissue`. Few of these spellings resolve on any server, but a run of
 * dots, broken escapes and stray bytes right before `etc/passwd` says what the sender wanted: the
 * file's segments may be joined by any such junk too. Prose is kept out by what surrounds it: the
 * file ends the value, and the junk before it starts the value (or a word, or follows a separator),
 * so `wait...etc/hosts` and `see the docs... etc. passwd` are no climb.
 */
function junkClimb(s: string, valueEnd = s.length): Finding | null {
  let end = valueEnd;
  // A NUL or `%00` after the file cuts off the extension the application appends.
  for (;;) {
    if (end > 0 && (s.charCodeAt(end - 1) === 0 || isSpaceCode(s.charCodeAt(end - 1)))) end--;
    else if (end >= 3 && s.startsWith("%00", end - 3)) end -= 3;
    else break;
  }
  if (end < 4 || !isNameChar(s.charCodeAt(end - 1))) return null;
  for (const len of LAST_NAME_LENGTHS.get(tailKey(s, end)) ?? []) {
    if (len > end || !nameStartsAt(s, end - len)) continue;
    const candidates = SENSITIVE_BY_LAST.get(lowerAscii(s.slice(end - len, end)));
    for (const file of candidates ?? []) {
      const found = junkClimbTo(s, end - len, file.segments);
      const strength = found ? climbStrength(found.atoms, found.rooted, file) : 0;
      if (strength) return finding("traversal", "path.traversal", strength, found!.start, end);
    }
  }
  return null;
}

/** A junk climb that ends the value; in a path, also one that ends a route parameter a few segments before the path's end. */
function climbOf(s: string, input: AnalyzerInput): Finding | null {
  let climb = junkClimb(s);
  if (input.kind !== "path") return climb;
  for (const end of routeTailSlashes(s)) climb ??= junkClimb(s, end);
  return climb;
}

/** The file's earlier segments, each behind junk, then the climb before them: its start and what it holds. */
function junkClimbTo(s: string, lastStart: number, parts: string[]): { start: number; atoms: number; rooted: boolean } | null {
  let at = lastStart;
  for (let k = parts.length - 2; k >= 0; k--) {
    const part = parts[k]!;
    const junkStart = junkBefore(s, at);
    const partStart = junkStart - part.length;
    if (junkStart === at || partStart < 0 || lowerAscii(s.slice(partStart, junkStart)) !== part || !nameStartsAt(s, partStart)) return null;
    at = partStart;
  }
  // The climb: junk right before the file. Dots, `?`, broken escapes, control and non-ASCII bytes are
  // what fuzzers spell a parent with; separators only step.
  let atoms = 0;
  let dots = 0;
  let i = at;
  let leftmostIsSeparator = false;
  let lastIsSeparator: boolean | null = null;
  while (i > 0) {
    const esc = escapeEndingAt(s, i);
    let separator: boolean;
    if (esc) {
      separator = isSeparatorEscape(s.slice(i - esc, i));
      i -= esc;
    } else {
      const c = s.charCodeAt(i - 1);
      if (c !== 46 && (isSpaceCode(c) || (isRunBoundary(c) && c !== 63 && c !== 35))) break;
      if (c !== 46 && isNameChar(c) && !isStrayLetter(s, i - 1)) break;
      separator = isSeparator(c);
      if (!separator && (c === 46 || c === 63 || c === 37 || c < 32 || c > 126)) atoms++;
      if (c === 46) dots++;
      i--;
    }
    if (esc && !separator) atoms++;
    lastIsSeparator ??= separator;
    leftmostIsSeparator = separator;
  }
  if (i === at) return null;
  const c = i > 0 ? s.charCodeAt(i - 1) : -1;
  // Glued to a word (`hello...etc/hosts`), the dots are the word's, unless a separator starts the climb.
  if (c !== -1 && isNameChar(c) && !leftmostIsSeparator) return null;
  // Junk before a root (`%00/etc/passwd`) is that root; a `.` there is the current directory (`./etc/passwd`, relative).
  const rooted = s.slice(0, i).trim() === "" && lastIsSeparator === true && atoms > dots;
  return { start: i, atoms, rooted };
}

/** Two dot-like pieces make a parent; two parents, or junk before a root, make the attempt plain. */
function climbStrength(atoms: number, rooted: boolean, file: (typeof SENSITIVE_FILES)[number]): number {
  const weak = file.strength < 0.85;
  if (atoms >= 4) return weak ? 0.8 : 0.9;
  if (atoms >= 2) return weak ? 0.6 : 0.8;
  return atoms >= 1 && rooted ? file.strength : 0;
}

/** The value with `0x2e`, `0x2f` and `0x5c` read as `.`, `/` and `\\`, or null when it spells none. */
function spelledEscapes(s: string): string | null {
  if ((s.indexOf("0x") === -1 && s.indexOf("0X") === -1) || !/0x(?:2e|2f|5c)/i.test(s)) return null;
  return s.replace(/0x2e/gi, ".").replace(/0x2f/gi, "/").replace(/0x5c/gi, "\\");
}

/** PHP stream wrappers that read, unpack or run what they name. */
const WRAPPER = /(?:^|[^a-z0-9.+-])(php|phar|zip|expect|glob|data|compress\.zlib|compress\.bzip2|rar|ogg|ssh2\.\w+|file):\/\//gi;
const WRAPPER_STRENGTH: Record<string, number> = { php: 0.9, phar: 0.9, expect: 0.9, zip: 0.85, data: 0.85, glob: 0.8, file: 0.85 };

/** How the wrappers' names (but `ssh2.*`) end, as `pairKey`s. */
const WRAPPER_TAILS = new Set(["php", "phar", "zip", "expect", "glob", "data", "compress.zlib", "compress.bzip2", "rar", "ogg", "file"].map((name) => pairKey(name, name.length)));

/** Whether some `://` may follow a wrapper's name: most URLs are `http(s)://`, and skip the regex. */
function mayWrap(s: string): boolean {
  for (let at = s.indexOf("://"); at !== -1; at = s.indexOf("://", at + 3)) {
    if (at >= 2 && WRAPPER_TAILS.has(pairKey(s, at))) return true;
  }
  return /ssh2\./i.test(s);
}

/** What markup or CSS loads a resource from, just before its URL. */
const LOADING_ATTRIBUTE = /(?:\b(?:src|href|data|background|poster)\s*=\s*["']?\s*|\burl\(\s*["']?\s*)$/i;
/** A `file:` URL to a system location. */
const SYSTEM_FILE_URL = /^file:\/\/(?:localhost)?\/+(?:(?:etc|proc|root|sys|dev|var|home|usr|boot)\/|[a-z]:[\\/](?:windows|boot\.ini|inetpub)\b)/i;

function wrappers(s: string, input: AnalyzerInput, out: Finding[]): void {
  if (!mayWrap(s)) return;
  for (const m of s.matchAll(WRAPPER)) {
    const scheme = m[1]!.toLowerCase();
    const start = m.index + m[0].length - m[1]!.length - 3;
    const atStart = s.slice(0, start).trim() === "";
    // `file://host/...` in prose is a link; `file:///etc/...` or `file://C:/` at a value's start is a read,
    // and so is a system location as the resource markup loads (`<image xlink:href="file:///etc/passwd">`,
    // `url(file:///proc/self/environ)`), which a server that renders the markup (SVG to PNG, HTML to
    // PDF) reads. A document pasted from a desktop loads the user's own files (`file:///C:/Users/...`).
    const loaded = scheme === "file" && !atStart && LOADING_ATTRIBUTE.test(s.slice(Math.max(0, start - 24), start)) && SYSTEM_FILE_URL.test(s.slice(start, start + 40));
    if (scheme === "file" && !loaded && !(atStart && /^file:\/\/(?:\/|[a-z]:|localhost\/)/i.test(s.slice(start)))) continue;
    let strength = WRAPPER_STRENGTH[scheme] ?? 0.8;
    if (!atStart && !loaded && input.kind !== "text") strength -= 0.1;
    out.push(finding("traversal", "path.wrapper", strength, start, Math.min(s.length, start + m[1]!.length + 3 + 16)));
  }
}

/** Parameter names of include-like purpose (what PHP apps pass to `include`). */
const INCLUDE_NAME = /(?:^|[_\-[.])(?:file|page|inc|include|path|dir|root|template|tpl|doc|conf|config|module|mod|lang|style|layout|content|load|show|view|site|src|base)|(?:path|dir|root|folder|file|include|theme|skin)s?\]?$/i;
/**
 * A name that ends by saying its value is an address (`pageUrl`, `file_url`, `site_link`): what a
 * beacon reports or a page links to, the page it was sent from ending in `.php`, `.jsp` or `.aspx`.
 */
const LINK_NAME = /(?:url|uri|link|href)\]?$/i;
/** Of the include-like names, those that as often name what a page shows or offers (`src`, `file`, `view`). */
const SHOWN_NAME = /(?:^|[_\-[.])(?:src|file|show|view|content|load|doc)/i;
const CONFIG_NAME = /(?:^|[_[.])(?:inc|include|path|dir|root|template|tpl|conf|config|module)(?:$|[\]_])/i;
const SCRIPT_EXT = /\.(?:php\d?|phtml|txt|inc|sh|pl|py|cgi|asp|aspx|jsp|jspx|rb|gif|jpg|png)$/i;
const IMAGE_EXT = /\.(?:gif|jpe?g|png)$/i;
/** A query of a file's name and nothing else (`?.jpg`, `?x.png`): no parameter, only an ending. */
const FAKE_EXTENSION_QUERY = /^\?[\w-]{0,32}\.(?:jpe?g|png|gif|bmp|webp|ico|svg|txt|html?|php\d?|js|css)$/i;
/** A share's address at the value's start: `//host/…` or `\\host\…`. */
const SHARE_START = /^\s*(?:\/\/|\\\\)[^/\\]/;
/** Source served as text, which no page a beacon reports or a link opens is: only an include runs it. */
const SOURCE_TEXT_EXT = /\.(?:txt|inc|sh|pl|py|rb)$/i;
/**
 * A remote address: with its scheme, or without one as a share (`//10.0.0.5/share/x.php`,
 * `\\10.0.0.5\share\x.php`), which PHP's include opens over SMB on Windows. Then its path, and a
 * query or fragment after it: `?` or `#` alone at the end turns the suffix the application appends
 * (`.php`) into a query or a fragment, which the fetch drops.
 */
const REMOTE_URL = /^\s*(?:(?:https?|ftps?):\/\/|(\/\/|\\\\))([^/\\?#\s]*)([^?#\s]*)([?#][^\s]*)?/i;

/** Remote file inclusion: a parameter that is a URL the application would fetch and run. */
function remoteInclusion(s: string, input: AnalyzerInput, out: Finding[]): void {
  const m = REMOTE_URL.exec(s);
  if (!m) return;
  const share = m[1] !== undefined;
  const host = m[2]!;
  const urlPath = m[3]!;
  const query = m[4] ?? "";
  let strength = 0;
  // `http://evil/shell.txt?` : the `?` turns the suffix the application appends into a query; a query
  // that is only a file's name (`http://evil/?.jpg`) makes the URL end as the check wants, not the file.
  if (!share && (/^(?:\?+|#)$/.test(query) || FAKE_EXTENSION_QUERY.test(query)) && /^[\s\0]*$/.test(s.slice(m.index + m[0].length))) {
    // Not an image or a page a link points to: a script, a text file, or a bare host or name (a paste
    // site's raw text, `/raw/AbCd12?`), the latter strong under a name an include takes.
    const last = urlPath.slice(urlPath.lastIndexOf("/") + 1);
    const includeName = INCLUDE_NAME.test(input.name) && !LINK_NAME.test(input.name);
    strength = SCRIPT_EXT.test(last) && !IMAGE_EXT.test(last) ? 0.85 : last.indexOf(".") === -1 ? (includeName ? 0.85 : 0.6) : 0;
  }
  else if (!share && /\0/.test(s)) strength = 0.85;
  else if (SCRIPT_EXT.test(urlPath)) {
    const ipHost = /^\[?[\d.:a-f]+\]?(?::\d+)?$/i.test(host) && /\d/.test(host);
    const includeName = INCLUDE_NAME.test(input.name) && !LINK_NAME.test(input.name);
    const shown = SHOWN_NAME.test(input.name);
    // An image on a site's host under such a name is what the page shows (an image proxy's `src`, a
    // preview's `file`), as with a trailing `?` above; `page=` or `include=` an image, or one on a bare
    // address, is still a shell hidden in a picture. Source served as text under a name only an
    // include takes (`page=`, `template=`, not `src=`) is the include's.
    if (IMAGE_EXT.test(urlPath) && !ipHost && shown) strength = 0;
    else if (share) strength = includeName && !IMAGE_EXT.test(urlPath) ? (ipHost ? 0.85 : 0.7) : 0;
    else strength = includeName ? (ipHost || (SOURCE_TEXT_EXT.test(urlPath) && !shown) ? 0.85 : 0.7) : ipHost ? 0.6 : 0;
  } else if (!share && CONFIG_NAME.test(input.name)) {
    // `_CONF[path]=https://...`, `mosConfig_absolute_path=...`: a PHP setting that names a directory, overwritten with a URL.
    strength = 0.5;
  }
  if (strength) out.push(finding("rfi", "path.remote-include", strength, m.index, m.index + m[0].length));
}

/**
 * A hidden file or folder in a URL path (`/.cursor/mcp.json`): tools keep settings and secrets there,
 * sites serve none, but for the standard `/.well-known/` and Azure App Service's sign-in routes (`/.auth/`).
 */
const HIDDEN_SEGMENT = /\/\.(?!well-known\/|auth\/)[^/.][^/]*/;

/**
 * A segment that is only a path parameter, or `.` with one, and more path after it (`/;/admin`,
 * `/.;/admin`, `/;a=b/admin`): a proxy or a filter matches the segment as written, Tomcat and Spring
 * drop the parameter and the dot after the check (Shiro's and TeamCity's authentication bypasses).
 * A session rewritten into the URL is one, named with a token for its value (`/shop/;jsessionid=.../cart`,
 * OpenWrt's `/cgi-bin/luci/;stok=7f0a1b2c.../admin`).
 */
const PARAMETER_SEGMENT = /\/\.?;(?!jsessionid=|[\w.-]+=[\w-]{8,}\/)[^/]*(?=\/)/i;
/**
 * A path parameter that is only a file extension, behind at most one character and line breaks
 * (`/app/rest/server;.jsp`, `/bin/querybuilder.json;x.css`, AEM's `;%0aa.css`): a filter that lets a
 * suffix through (a login page's `.jsp`, a static `.css`) sees it, the container drops it. A file
 * named with a `;` has a name (`Report;final.txt`); a session id is a name and a value.
 */
const SUFFIX_PARAMETER = /;[\r\n]*[^/;=?.\s]?\.(?:jsp|jspx|do|action|css|js|png|gif|jpe?g|ico|svg|woff2?|html?|json|txt|xml)(?=$|[/?;])/i;
/** In a value that is a path the application forwards to (`jsp=/app/rest/users;.jsp`): the extension alone (`a.css;b.css` is a list). */
const VALUE_SUFFIX_PARAMETER = /;\.(?:jsp|jspx|do|action|css|js|png|gif|jpe?g|ico|svg|woff2?|html?|json|txt|xml)(?=$|[/?;])/i;

/**
 * A script's name right below a static file's, `/uploads/avatar.jpg/x.php`: nginx passes a path to
 * PHP-FPM by its last extension, and PHP (`cgi.fix_pathinfo`) runs the longest prefix that is a file,
 * the uploaded image, as PHP. No site puts a script below an image, a text or an archive (a folder
 * named after a library, `three.js/`, is a folder).
 */
const SCRIPT_SEGMENT = /\.(?:php\d?|phtml|phar|pht|jspx?|aspx?)$/i;
const STATIC_SEGMENT = /\.(?:jpe?g|png|gif|bmp|ico|webp|avif|tiff?|svg|txt|pdf|zip|docx?|xlsx?|csv|mp[34])$/i;

function scriptBelowStatic(path: string): number {
  const last = path.lastIndexOf("/");
  if (last <= 0 || !SCRIPT_SEGMENT.test(path.slice(last))) return -1;
  const before = path.lastIndexOf("/", last - 1);
  return STATIC_SEGMENT.test(path.slice(before + 1, last)) ? before + 1 : -1;
}

/**
 * A value that is only a climb (`../`, `..\..\`) in a parameter that names a language, a theme or a
 * template, which the application joins into a path as a folder's name (`lang=../`, Cisco ASA's
 * CVE-2020-3452): it is sent above its folder. A link or a build setting may be a relative `../`.
 */
const ONLY_CLIMB = /^\s*(?:\.\.[/\\])+(?:\.\.)?\s*$/;
const FOLDER_NAMING = /^(?:lang|language|locale|lng|hl|theme|skin|template|tpl|textdomain)$/i;

const SEPARATOR_MARK = 1;
/** `.`, `_` or `0`: what a config file's extension, a key file's name or a spelled-out `0x2f` is written with. */
const NAME_MARK = 2;

/** Which of the marks above the value holds: one pass instead of a regex scan for each. */
function pathMarks(s: string): number {
  let marks = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isSeparator(c)) marks |= SEPARATOR_MARK;
    else if (c === 46 || c === 95 || c === 48) marks |= NAME_MARK;
  }
  return marks;
}

/**
 * `index.php::$DATA`: a file's default NTFS data stream, named so that Windows opens the file while a
 * server that maps handlers by extension serves its source. As Windows spells it, ending the name, or
 * in any case after a file's extension (NTFS reads `index.php::$data` alike): a PHP class's static
 * `self::$data` or `Config::$DATA['db']` is code, and a class name has no extension.
 */
const DATA_STREAM = /[\w.-]::\$DATA(?=$|[\s/?#])|\.[A-Za-z0-9]{1,8}::\$[Dd][Aa][Tt][Aa](?=$|[\s/?#])/;
/**
 * `admin::$INDEX_ALLOCATION`, `admin:$i30:$index_allocation`: a directory's index stream, which Windows
 * opens as the directory itself, to reach a folder a rule on its name guards or to make one where only
 * files can be written. No word of code or prose has this name; NTFS takes it in any case.
 */
const INDEX_STREAM = /[\w.-]:(?:\$I30)?:\$INDEX_ALLOCATION(?![\w$])/i;

/** `\\host\share\file`: Windows fetches it over SMB. */
const UNC = /^\s*\\\\[\w.-]+\\[\w$.-]+/;

/**
 * Of a key (a JSON member's, a parameter's or a cookie's name) only a strong climb and a stream
 * wrapper count: lockfiles and maps name files and folders by key (`node_modules/x`, `/usr/lib/y.so`,
 * a workspace's `../../../shared/utils`), and no key of an honest request climbs to a system file or
 * opens `php://filter`.
 */
const KEY_RULES = new Set(["path.traversal", "path.wrapper"]);
const KEY_FLOOR = 0.9;

/**
 * A URL path that makes a server run a file as a script it is not: a script's name right below a
 * static file's (scriptBelowStatic); a NUL byte, which ends the name where C code (a handler, the
 * file system) reads it, after an extension the server's own check was shown (`/a.php%00.jpg`). No
 * client sends a NUL in a path; only the path as the server decodes it counts, not a reading decoded
 * again (`/search/100%2500`).
 */
function urlPathTricks(input: AnalyzerInput, out: Finding[]): void {
  const s = input.text;
  const below = scriptBelowStatic(s);
  if (below !== -1) out.push(finding("code-injection", "path.script-below-static", 0.85, below, s.length));
  const nul = input.path === "path" ? s.indexOf("\0") : -1;
  if (nul !== -1) out.push(finding("traversal", "path.nul-byte", 0.85, nul, nul + 1));
}

export const pathAnalyzer: Analyzer = {
  name: "path",
  analyze(input: AnalyzerInput): Finding[] {
    if (input.text.length < 3) return [];
    const found = analyzePath(input);
    return input.kind === "key" ? found.filter((f) => KEY_RULES.has(f.rule) && f.strength >= KEY_FLOOR) : found;
  },
};

function analyzePath(input: AnalyzerInput): Finding[] {
  const s = input.text;
  const marks = pathMarks(s);
  const climb = climbOf(s, input);
  const stream = s.indexOf(":$") !== -1 ? (DATA_STREAM.exec(s) ?? INDEX_STREAM.exec(s)) : null;
  const streamFinding = stream ? [finding("traversal", "path.data-stream", 0.85, stream.index + 1, stream.index + stream[0].length)] : [];
  if (!(marks & SEPARATOR_MARK) && !climb && !((marks & NAME_MARK) && /\.(?:ini|env|htaccess|htpasswd|config|conf|cnf)\b|id_[rde]|0x(?:2e|2f|5c)/i.test(s))) return streamFinding;
  const hasScheme = s.indexOf("://") !== -1;
  const out: Finding[] = climb ? [climb, ...streamFinding] : streamFinding;
  const wholeLength = s.trim().length;
  for (const run of pathRuns(s)) judgeRun(run, input, wholeLength, out);
  if (input.kind !== "path" && FOLDER_NAMING.test(input.name) && ONLY_CLIMB.test(s)) out.push(finding("traversal", "path.traversal", 0.85, s.indexOf("."), s.trimEnd().length));
  const spelled = marks & NAME_MARK ? spelledEscapes(s) : null;
  if (spelled !== null) {
    // Dots and slashes spelled as `0x2e`/`0x2f`/`0x5c`: no server decodes them, but a value built
    // that way to climb to a system file says what it wants. Judged on the spelled-out reading, the
    // whole value as evidence (the offsets of that reading are not the value's).
    const found: Finding[] = [];
    for (const run of pathRuns(spelled)) judgeRun(run, input, spelled.trim().length, found);
    const spelledClimb = climbOf(spelled, input);
    if (spelledClimb) found.push(spelledClimb);
    // A climb whose dots or slashes were spelled out is no accident of a relative link.
    for (const f of found) {
      if (f.rule === "path.traversal") out.push({ ...f, strength: Math.max(f.strength, 0.8), start: 0, end: s.length });
      else if (f.rule === "path.sensitive-file") out.push({ ...f, start: 0, end: s.length });
    }
  }
  if (hasScheme) wrappers(s, input, out);
  if (input.kind !== "path" && (hasScheme || SHARE_START.test(s))) remoteInclusion(s, input, out);
  const parameterSegment = input.kind === "path" ? PARAMETER_SEGMENT.exec(s) : null;
  if (parameterSegment) out.push(finding("traversal", "path.dot-segment", 0.85, parameterSegment.index + 1, parameterSegment.index + parameterSegment[0].length));
  const suffixRe = input.kind === "path" ? SUFFIX_PARAMETER : s.charCodeAt(0) === 47 ? VALUE_SUFFIX_PARAMETER : null;
  const suffix = suffixRe && s.indexOf(";") !== -1 ? suffixRe.exec(s) : null;
  if (suffix) out.push(finding("traversal", "path.suffix-parameter", 0.85, suffix.index, suffix.index + suffix[0].length));
  // Found before the hidden-file sign below, which stands only for a path nothing else explains.
  if (input.kind === "path") urlPathTricks(input, out);
  const hidden = input.kind === "path" ? HIDDEN_SEGMENT.exec(s) : null;
  if (hidden && out.length === 0) out.push(finding("traversal", "path.hidden-file", 0.6, hidden.index + 1, hidden.index + hidden[0].length));
  const unc = UNC.exec(s);
  if (unc && input.kind !== "path") out.push(finding("traversal", "path.unc", 0.75, unc.index, unc.index + unc[0].length));
  return strongestPerRule(out);
}
