/**
 * CRLF injection: a line break that starts a header of its own where the application writes the value
 * into a response header (HTTP response splitting, `Set-Cookie` and `Location` injection) or a mail
 * header (`Bcc:` added to a contact form's mail).
 *
 * The decompose stage has already URL-decoded the value, so `%0d%0a` arrives as CR LF. Multi-line
 * text is ordinary in a form body (a pasted letter may well hold "Subject: ..." on a line of its
 * own), so what counts is the header that follows the break:
 * - a second status line (`HTTP/1.1 200`) or a blank line and then markup: the response is split;
 * - a response header that changes what the browser does (`Set-Cookie`, `Location`, `Content-Type`,
 *   `Content-Length`, `Refresh`, ...): strong;
 * - mail recipient headers (`Bcc:`, `Cc:`): strong, other mail headers moderate;
 * - a mail protocol's or a key-value store's command on a line of its own, in that protocol's syntax
 *   (`MAIL FROM:<…>`, `a001 STATUS INBOX`, `FLUSHALL`, `SLAVEOF host 6379`), and Redis's own framing;
 * - a log entry's timestamp after a field of one token: the next line of a log forged;
 * - any other `Name: value` line: only outside a body, where a value has no business spanning lines;
 *   proof when the value starts with the break and the name is hyphenated as header names are.
 * Some servers keep only the low byte of a UTF-16 character when they write a header, so `嘊` (U+560A)
 * and `嘍` (U+560D) act as LF and CR: they count as breaks too, and so does any pair of characters whose
 * low bytes make CR LF (`čĊ`, U+010D U+010A). Unicode's own line and paragraph separators and NEL
 * (U+2028, U+2029, U+0085) end a line for the JavaScript, log viewers and mail tools that split on
 * them.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { isRedirectName } from "./ssrf.ts";
import { escapedBreakAt, finding } from "./text.ts";

const find = (rule: string, strength: number, start: number, end: number): Finding => finding("crlf", `crlf.${rule}`, strength, start, end);

/** Response headers whose injection changes what the browser does with the response. */
const RESPONSE_HEADERS = new Set([
  "set-cookie", "location", "content-type", "content-length", "transfer-encoding", "refresh", "content-disposition",
  "x-xss-protection", "content-security-policy", "access-control-allow-origin", "access-control-allow-credentials",
  "link", "cache-control", "x-frame-options", "strict-transport-security", "content-encoding", "set-cookie2",
]);
/**
 * Request headers that decide where a request goes or whom it comes from: a value the application
 * forwards into a request of its own (request splitting) reroutes it or forges its client. Only
 * outside a body: a config or manifest pasted into a form has `host:` lines of its own.
 */
const ROUTING_HEADERS = new Set([
  "host", "x-forwarded-host", "x-forwarded-for", "x-forwarded-server", "x-forwarded-proto", "forwarded", "via", "x-real-ip",
  "x-remote-ip", "x-remote-addr", "x-originating-ip", "x-client-ip", "x-original-url", "x-rewrite-url", "x-host",
]);
/** The ones that plant state or move the browser: worth injecting even through a stored body value. */
const BROWSER_STATE_HEADERS = new Set(["set-cookie", "set-cookie2", "location", "refresh"]);
const MAIL_RECIPIENTS = new Set(["bcc", "cc", "to"]);
const MAIL_HEADERS = new Set(["from", "subject", "reply-to", "sender", "return-path", "content-transfer-encoding", "mime-version", "x-mailer"]);

/**
 * The value a browser acts on, shaped as that header's: a URL to go elsewhere, a cookie's `name=`, a
 * refresh's seconds. A line of a note (`Location: Building 5`, `Location: /floor2/room5`) moves no
 * browser off the site.
 */
const STATE_VALUES: Record<string, RegExp> = {
  location: /^[ \t]*(?:\/\/|[a-z][a-z0-9+.-]*:)/i,
  refresh: /^[ \t]*\d/,
  "set-cookie": /^[ \t]*[^\s=;,]+=/,
  "set-cookie2": /^[ \t]*[^\s=;,]+=/,
};

function stateValue(name: string, value: string): boolean {
  return Object.hasOwn(STATE_VALUES, name) && STATE_VALUES[name]!.test(value);
}

/** Words joined by hyphens, as header names are written. */
const HEADER_SHAPED = /^[a-z0-9]+(?:-[a-z0-9]+)+$/;

/** A second request smuggled after the break: `GET / HTTP/1.1`. */
const REQUEST_LINE = /^[A-Z]{3,10} [^\s]{1,256} HTTP\/\d(?:\.\d)?\b/;
const LINE_BREAK = /[\r\n\u560a\u560d]/;
/** A line with nothing on it but blanks. */
const BLANK_LINE = /\n[ \t]*\r?\n/;
const URL_START = /^[A-Za-z][\w+.-]*:\/\//;
/** A URL and nothing else, on one line: what a redirect parameter holds. */
const WHOLE_URL = /^[A-Za-z][\w+.-]*:\/\/[^\s]+$/;
/** An absolute path and nothing else: a redirect's target on the same site. */
const WHOLE_PATH = /^\/[^\s]*$/;
const MAX_URL_LINE = 2048;

/** Characters beyond Latin-1 whose low byte is CR (or LF): pairs of them are CR LF to a server that truncates. */
const highWithLowByte = (low: number) => Array.from({ length: 0xff }, (_, k) => ((k + 1) << 8) | low).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCharCode(c)).join("");
/** The cheap check: what withReadersBreaks changes is all beyond ASCII. */
const NON_ASCII = /[^\u0000-\u007f]/;
/** Only before a line's first letter: Chinese writes 不上 (U+4E0D U+4E0A) every day, no header after it. */
const HIGH_CRLF = new RegExp(`[${highWithLowByte(13)}][${highWithLowByte(10)}](?=[A-Za-z])`, "g");
const UNICODE_BREAK = /[\u2028\u2029\u0085]/g;

/** The text with the breaks other readers see made CR LF and LF, the same length (spans stay the value's). */
function withReadersBreaks(text: string): string {
  return text.replace(HIGH_CRLF, "\r\n").replace(UNICODE_BREAK, "\n");
}

function isBreak(code: number): boolean {
  return code === 10 || code === 13 || code === 0x560a || code === 0x560d;
}

/** The header name at i, when followed by `:`: [lower-cased name, index after the colon] or null. */
function headerAt(text: string, i: number): [string, number] | null {
  let j = i;
  while (j < text.length && j - i <= 40 && /[A-Za-z0-9-]/.test(text[j]!)) j++;
  if (j === i || !/[A-Za-z]/.test(text[i]!)) return null;
  let k = j;
  while (text[k] === " " || text[k] === "\t") k++;
  return text[k] === ":" ? [text.slice(i, j).toLowerCase(), k + 1] : null;
}

/**
 * A mail protocol command on a line of its own: a value written into an SMTP, IMAP or POP3 session
 * (a contact form's mailer, a webmail's backend) that breaks a line goes on as a command of that
 * protocol. Each form has the protocol's own syntax, which a line of prose lacks: SMTP's envelope
 * (`MAIL FROM:<a@b>`, `RCPT TO:<...>`), an IMAP command behind its tag (`a001 STATUS INBOX`), a POP3
 * command whose only arguments are message numbers (`RETR 123`, `TOP 1 2`), or an SMTP or POP3 verb
 * spelled in capitals as the RFCs write it (`DATA`, `HELP Postmaster`).
 */
const SMTP_ENVELOPE = /^(?:MAIL[ \t]+FROM|RCPT[ \t]+TO)[ \t]*:[ \t]*</i;
const IMAP_COMMAND =
  /^[A-Za-z]{1,4}\d{1,6}[ \t]+(?:UID[ \t]+)?(?:APPEND|STATUS|STORE|COPY|MOVE|LIST|LSUB|SEARCH|EXAMINE|SELECT|FETCH|LOGIN|LOGOUT|AUTHENTICATE|CAPABILITY|CREATE|DELETE|RENAME|SUBSCRIBE|UNSUBSCRIBE|EXPUNGE|CLOSE|NOOP|IDLE|QUIT)\b/i;
/**
 * What only IMAP writes after a command: a mailbox named `INBOX`, an empty reference (`LIST "" *`), a
 * message set first and data items after it (`1:* (FLAGS)`, `4 BODY[]`), data items or flags in
 * parentheses or behind a backslash (`(MESSAGES)`, `\Deleted`), or nothing at all after a command that
 * takes no argument. A note's line (`A1 Create the report`, `B2 Search from 10:30`) has words there.
 */
const IMAP_SYNTAX =
  /^[ \t]+(?:(?:\d+|\*)(?::(?:\d+|\*))?(?:,(?:\d+|\*)(?::(?:\d+|\*))?)*[ \t]+(?:\(|[+-]?FLAGS\b|BODY|RFC822|ALL\b|FAST\b|FULL\b|ENVELOPE\b)|[^\r\n]{0,80}?(?:""|\((?:FLAGS|BODY|RFC822|UID|ENVELOPE|INTERNALDATE|MESSAGES|UNSEEN|RECENT)\b|\\(?:Seen|Deleted|Flagged|Draft|Answered)\b))/i;
const IMAP_BARE = /^(?:CAPABILITY|LOGOUT|NOOP|EXPUNGE|CLOSE|IDLE)[ \t]*(?:[\r\n\u560a\u560d]|$)/i;

const POP3_NUMBERED = /^(?:RETR|DELE|LIST|UIDL|TOP[ \t]+\d{1,6})[ \t]+\d{1,6}[ \t]*(?:[\r\n\u560a\u560d]|$)/i;
const CAPITAL_VERB = /^(?:DATA|QUIT|RSET|NOOP|STARTTLS|STAT|(?:HELO|EHLO|HELP|VRFY|EXPN|USER|PASS|APOP)[ \t]+[^\s]{1,64})[ \t]*(?:[\r\n\u560a\u560d]|$)/;

/** The mailbox every IMAP server has, as clients write it (a note's "inbox" is a word). */
const INBOX = /^[ \t]+[^\r\n]{0,80}?\bINBOX\b/;

function imapSyntax(line: string, command: RegExpExecArray): boolean {
  const verb = command[0].slice(command[0].search(/[ \t]/)).trimStart().replace(/^UID[ \t]+/i, "");
  const after = line.slice(command[0].length);
  return IMAP_SYNTAX.test(after) || INBOX.test(after) || IMAP_BARE.test(verb + after);
}

/** Where the value's first line break and its first blank line are (-1: none), found once per value. */
interface Lines {
  firstBreak: number;
  firstBlank: number;
  /** The value is where a redirect sends the user (isRedirectName): a path before the break is its target. */
  redirect: boolean;
}

/**
 * A field of one token that a mail session takes as it is: an address (`a@b.example`), a mailbox's
 * name (`INBOX`, `INBOX.Sent`, `Archive/2024`, or `INBOX"` closing the quote it was put in) or a
 * message's number. A heading (`Checklist`, `Urgent!`) is a note's.
 */
const MAIL_FIELD_TOKEN = /^(?:[^\s@]+@[^\s@]+|INBOX(?:[./][^\s"]*)?"?\)?|\d{1,12}|[^\s]*[./][^\s]*)$/;

function mailCommand(text: string, at: number, i: number, inBody: boolean, lines: Lines): Finding | null {
  const line = text.slice(i, i + 200);
  const end = (m: RegExpExecArray) => i + m[0].trimEnd().length;
  let m = SMTP_ENVELOPE.exec(line);
  if (m) return find("mail-command", 0.85, at, end(m));
  const imap = IMAP_COMMAND.exec(line);
  m = imap ?? POP3_NUMBERED.exec(line) ?? CAPITAL_VERB.exec(line);
  if (!m) return null;
  // A parameter or header that starts with the break breaks out of its line at once, into the
  // protocol's own syntax: proof. A break inside text may be a letter's, and a body has lines of its
  // own; there an IMAP command's tag makes the line the surer.
  if (at === 0 && !inBody) return find("mail-command", 0.85, at, end(m));
  // Behind its tag, with the protocol's own argument syntax: no line of a letter reads so.
  const syntax = imap !== null && imapSyntax(line, imap);
  // A field of one token (an address, a mailbox's name) broken after it, the command in the protocol's
  // own syntax (a tag alone is not: `Tasks` then `A1 Create the report` is a note's heading and item).
  if (at === lines.firstBreak && MAIL_FIELD_TOKEN.test(text.slice(0, at)) && (imap === null || syntax)) return find("mail-command", 0.85, at, end(m));
  if (syntax) return find("mail-command", inBody ? 0.7 : 0.85, at, end(m));
  return find("mail-command", (inBody ? 0.6 : 0.7) + (imap ? 0.1 : 0) - (at > 0 ? 0.1 : 0), at, end(m));
}

/**
 * Whether the break at `at` ends the value's first line, and that line is one token: a key, a user
 * name, an address, as a field holds one. In a body a message's first line is often one word too, a
 * greeting (`Hi,`, `Thanks!`): there the token must be a name's characters, no sentence's punctuation.
 */
function afterOneToken(text: string, at: number, inBody: boolean, lines: Lines): boolean {
  return at === lines.firstBreak && (inBody ? /^[\w.@:/+-]{1,250}$/ : /^\S{1,250}$/).test(text.slice(0, at));
}

/**
 * A key-value store's command on a line of its own: a value a cache or a gopher URL writes into a
 * Redis or memcached connection that breaks a line goes on as a command (server-side request
 * forgery's favourite target). Each in the store's own syntax: a command that is no English word
 * (`FLUSHALL`, `flush_all`), one with the arguments it takes (`CONFIG SET dir /var/www`, `SLAVEOF
 * evil.example 6379`, `MODULE LOAD /tmp/x.so`, `EVAL "…" 0`, memcached's `set k 0 0 5`), or a
 * capitalised verb as the documentation writes it, alone or with one key (`SAVE`, `KEYS *`).
 */
const STORE_COMMAND =
  /^(?:(?:FLUSHALL|FLUSHDB)(?:[ \t]+A?SYNC)?|flush_all(?:[ \t]+\d+)?|CONFIG[ \t]+(?:SET[ \t]+\S+[ \t]+\S|GET[ \t]+\S|REWRITE|RESETSTAT)[^\r\n]*|(?:SLAVEOF|REPLICAOF)[ \t]+\S+[ \t]+\d{1,5}|MODULE[ \t]+LOAD[ \t]+\S+|EVAL(?:SHA)?[ \t]+\S[^\r\n]*[ \t]\d{1,3}|SCRIPT[ \t]+(?:LOAD|FLUSH)\b[^\r\n]*|DEBUG[ \t]+(?:SEGFAULT|SLEEP|OBJECT)\b[^\r\n]*|(?:set|add|replace|append|prepend|cas)[ \t]+\S{1,250}[ \t]+\d+[ \t]+\d+[ \t]+\d+)[ \t]*(?=[\r\n\u560a\u560d]|$)/i;
const STORE_CAPITAL_VERB = /^(?:SAVE|BGSAVE|BGREWRITEAOF|SHUTDOWN(?:[ \t]+(?:NO)?SAVE)?|INFO|KEYS[ \t]+\S{1,64}|DEL[ \t]+\S{1,64}|AUTH[ \t]+\S{1,128}|SET[ \t]+\S{1,64}[ \t]+\S[^\r\n]{0,200})[ \t]*(?=[\r\n\u560a\u560d]|$)/;
/** Redis's own framing, an array of bulk strings (`*3\r\n$3\r\nSET\r\n…`): what a gopher URL smuggles whole. */
const RESP_FRAME = /\*\d{1,4}\r?\n\$\d{1,9}\r?\n/;

function storeCommand(text: string, at: number, i: number, inBody: boolean, lines: Lines): Finding | null {
  const line = text.slice(i, i + 300);
  const own = STORE_COMMAND.exec(line);
  const m = own ?? STORE_CAPITAL_VERB.exec(line);
  if (!m) return null;
  // Right at the value's start, or, in the store's own syntax, after a field of one token (a key):
  // the value was written to break out of its line, as a mail command's is. A capitalised word after
  // a greeting (`Hello` then `SAVE`) may be a note's.
  const brokeOut = (at === 0 && !inBody) || (own !== null && afterOneToken(text, at, inBody, lines));
  return find("store-command", brokeOut ? 0.85 : inBody ? 0.6 : 0.7, at, i + m[0].length);
}

/** The levels loggers write, in capitals. */
const LOG_LEVELS = "INFO|WARN(?:ING)?|ERROR|DEBUG|TRACE|FATAL|NOTICE|CRIT(?:ICAL)?|SEVERE";
/**
 * A line shaped as a log entry: a timestamp to the second first (`2026-01-01 12:00:00`,
 * `2026-01-01T12:00:00Z`, `[01/Jan/2026:12:00:00 +0000]`, syslog's `Jan  1 12:00:00`) and then a level
 * or syslog's program (LOG_TAIL), or an access log's `client - - [time]` (ACCESS_LOG_ENTRY).
 * A value written into a log that breaks a line forges the next entry.
 */
const LOG_TIME = /^(?:\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\S*|\[?\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2}\S*|[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2})/;
/** What follows a log's timestamp, and a note's date and time lacks: a level, or syslog's `host program[pid]:`. */
const LOG_TAIL = new RegExp(String.raw`^[^\r\n]{0,40}?\b(?:${LOG_LEVELS})\b|^[ \t]+\S{1,64}[ \t]+[\w./-]{1,64}\[\d{1,7}\]:`);
/** An access log's line: `client - user [time]`. */
const ACCESS_LOG_ENTRY = /^\S{1,64} - \S{1,64} \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2}[^\]]{0,8}\]/;

/**
 * A line that opens with a log level as loggers write it, in capitals (`INFO: User admin logged in`,
 * `[ERROR] ...`): the entry's time is often the logger's own prefix, not the value's to forge.
 */
const LOG_LEVEL_LINE = new RegExp(String.raw`^(?:\[(?:${LOG_LEVELS})\]|(?:${LOG_LEVELS}):)[ \t]+\S`);

function logEntry(text: string, at: number, i: number, inBody: boolean, lines: Lines): Finding | null {
  const line = text.slice(i, i + 200);
  const time = LOG_TIME.exec(line);
  const stamped = time && LOG_TAIL.exec(line.slice(time[0].length)) ? time : ACCESS_LOG_ENTRY.exec(line);
  const m = stamped ?? LOG_LEVEL_LINE.exec(line);
  if (!m) return null;
  // After a field of one token (a user name) or at a parameter's start: written to forge a line. A
  // body's text may quote a log it pasted; a level alone, without the time, may open a note's line.
  const brokeOut = (at === 0 && !inBody) || afterOneToken(text, at, inBody, lines);
  if (!stamped && !brokeOut) return null;
  return find("log-forging", brokeOut ? 0.85 : inBody ? 0.5 : 0.6, at, i + m[0].length);
}

/** What the line starting at i injects (the break run began at `at`; `blankLine`: it ended a header block). */
function injectedLine(text: string, at: number, i: number, blankLine: boolean, inBody: boolean, lines: Lines): Finding | null {
  if (/^HTTP\/\d(?:\.\d)? \d{3}/.test(text.slice(i, i + 13))) return find("response-splitting", 0.95, at, i + 12);
  const requestLine = REQUEST_LINE.exec(text.slice(i, i + 300));
  if (requestLine) return find("request-splitting", 0.9, at, i + requestLine[0].length);
  if (blankLine && /^\s*<(?:html|body|script|svg|img|iframe|!doctype|\?xml)\b/i.test(text.slice(i, i + 20))) {
    return find("response-splitting", 0.9, at, i + 1);
  }
  const header = headerAt(text, i);
  if (!header) return strongest(strongest(mailCommand(text, at, i, inBody, lines), storeCommand(text, at, i, inBody, lines)), logEntry(text, at, i, inBody, lines));
  const [name, end] = header;
  // `Name:` with nothing after it on the line sets nothing.
  if (/^[ \t]*(?:[\r\n\u560a\u560d]|$)/.test(text.slice(end, end + 8))) return inBody ? null : find("header-line", 0.5, at, end);
  if (RESPONSE_HEADERS.has(name)) return find("header-injection", !inBody ? 0.9 : BROWSER_STATE_HEADERS.has(name) && stateValue(name, text.slice(end, end + 64)) ? 0.8 : 0.6, at, end);
  // A recipient header after a blank line is in the mail's body, where the text quotes a header block
  // (a reply's `From: … To: … Cc: …` pasted into a ticket), not among its headers: a blank line ends them.
  if (MAIL_RECIPIENTS.has(name)) return find("mail-header-injection", lines.firstBlank !== -1 && lines.firstBlank < at ? (inBody ? 0.5 : 0.6) : name === "to" ? 0.7 : 0.85, at, end);
  if (MAIL_HEADERS.has(name)) return find("mail-header-injection", inBody ? 0.5 : 0.7, at, end);
  if (!inBody && ROUTING_HEADERS.has(name)) return find("header-injection", 0.85, at, end);
  // `INFO: …` reads as a header's name too: a forged log line is the stronger reading.
  const log = logEntry(text, at, i, inBody, lines);
  if (inBody) return log;
  // A parameter or header that starts with the break has no line of its own before the header it
  // adds: it was written to break out of one (proof, as a mail command there is), when the name is
  // shaped as header names are (`X-Probe`, `Wapiti-Header`), not a word a note starts with (`Re:`, `Note:`).
  // Nor has one that is a single URL before the break, or in a redirect's parameter a path, which a
  // redirect writes into `Location` (`http://www.example.org%0d%0aX-Scan: 1`, `next=/%0d%0aX-Scan: 1`);
  // a word there is a note's (`Price: 20 EUR`), a path elsewhere a file's (`path=/var/log/a.log`).
  const before = at <= MAX_URL_LINE ? text.slice(0, at) : "";
  const proof = HEADER_SHAPED.test(name) && (at === 0 || WHOLE_URL.test(before) || (lines.redirect && WHOLE_PATH.test(before)));
  return strongest(find("header-line", proof ? 0.85 : 0.6, at, end), log);
}

/** Blanks skipped after a break: an indent, not a column of text. */
const MAX_LINE_INDENT = 8;

const strongest = (a: Finding | null, b: Finding | null) => (!a || (b && b.strength > a.strength) ? b : a);

/**
 * Body fields whose value an application writes into a header line, not a text: a mail's recipients,
 * sender and subject (a contact form), a file's name (`Content-Disposition`), a language
 * (`Content-Language`, a cookie), a header's value named so; and where the user is sent next, which
 * goes into `Location` (isRedirectName). A break there breaks the header as in a parameter, not a
 * letter's line.
 */
const HEADER_BOUND_FIELD = /^(?:e-?mail(?:_?address)?|subject|from|to|cc|bcc|reply[-_]?to|sender|file_?name|header_?value|lang|language|locale)$/i;

/** What an escaped break must inject to count: a header or a second message, not any `Name:` line. */
const ESCAPED_RULES = new Set(["crlf.header-injection", "crlf.mail-header-injection", "crlf.response-splitting", "crlf.request-splitting"]);
/**
 * Text before the first escaped break, at most: an injection breaks out of a short value (`en`, a
 * path, a URL). A long text before it is code or a message that spells its breaks out.
 */
const MAX_ESCAPED_PREFIX = 64;
/** A header or a status line before the escaped break: a header block written out (`From: a@b\r\nTo: ...`), not an injection into one. */
const WRITTEN_HEADERS = /[\w-]:[ \t]|HTTP\/\d/;

/**
 * `\r\nSet-Cookie: ...` with the breaks written out: an application that unescapes the value (a
 * string literal in PHP, Python or a template, a JSON fragment it decodes) writes real ones. Weaker
 * than a real break, since most write the backslashes as they are; and only early in a value that
 * is no header block itself. One pass from backslash to backslash, from the first one (`backslash`).
 */
function escapedBreaks(text: string, backslash: number, inBody: boolean, redirect: boolean): Finding | null {
  // The first escaped break: every later one is in the header block it opened.
  let i = backslash;
  while (i !== -1 && i <= MAX_ESCAPED_PREFIX && !escapedBreakAt(text, i)) i = text.indexOf("\\", i + 1);
  if (i === -1 || i > MAX_ESCAPED_PREFIX || WRITTEN_HEADERS.test(text.slice(0, i))) return null;
  let j = i;
  let lineEnds = 0;
  for (; escapedBreakAt(text, j); j += 2) if (text.charCodeAt(j + 1) === 110) lineEnds++;
  const found = injectedLine(text, i, j, lineEnds >= 2, inBody, { firstBreak: i, firstBlank: -1, redirect });
  return found && ESCAPED_RULES.has(found.rule) ? { ...found, strength: Math.round((found.strength - 0.1) * 100) / 100 } : null;
}

/**
 * `%0%0d%0ad`: a CR/LF escape split by another one, so that a filter that deletes line breaks (or
 * their escapes) once joins the halves into `%0d`/`%0a`, decoded later into a real break. Read on the
 * text as sent (`%0%0d%0ad`) and once decoded (`%0` CR LF `d`).
 */
const SPLIT_ESCAPE = /%0(?:%0[ad]|[\r\n])+[ad]/i;

/**
 * A request's `Transfer-Encoding` that a server may read as chunked while another does not: anything
 * but a list of codings ending in `chunked` as RFC 9112 spells it (`xchunked`, `chunk`, `chunked, x`,
 * a coding with no chunked after it). The front end and the back end then frame the body differently,
 * and what one takes for the body's end the other takes for the next request (request smuggling).
 * Clients send `chunked`, at most after a compression.
 */
const CHUNKED_FRAMING = /^(?:(?:gzip|x-gzip|deflate|compress|br|zstd)[ \t]*,[ \t]*)*chunked$/i;

function smugglingFraming(input: AnalyzerInput): Finding[] {
  const value = input.text.trim();
  return value && !CHUNKED_FRAMING.test(value) ? [find("smuggling-framing", 0.85, 0, input.text.length)] : [];
}

export const crlfAnalyzer: Analyzer = {
  name: "crlf",
  analyze(input: AnalyzerInput): Finding[] {
    if (typeof input.text !== "string") return [];
    if (input.location === "header" && input.path === "header.transfer-encoding") return smugglingFraming(input);
    const text = input.text.length && NON_ASCII.test(input.text) ? withReadersBreaks(input.text) : input.text;
    // What counts wherever it sits: an escape split to pass a filter, Redis's framing.
    const split = text.indexOf("%0") >= 0 ? SPLIT_ESCAPE.exec(text) : null;
    const resp = text.indexOf("$") >= 0 ? RESP_FRAME.exec(text) : null;
    const anywhere = strongest(split && find("split-escape", 0.7, split.index, split.index + split[0].length), resp && find("store-command", 0.9, resp.index, resp.index + resp[0].length));
    const early = anywhere ? [anywhere] : [];
    const first = text.search(LINE_BREAK);
    // Without a real break, only an escaped one early in the value can inject (escapedBreaks).
    const backslash = text.indexOf("\\");
    const mayEscape = backslash !== -1 && backslash <= MAX_ESCAPED_PREFIX;
    if (first < 0 && !mayEscape) return early;
    // A value that starts with a header line is a header block someone reports (telemetry of a
    // response, a pasted request), not a value broken out of one.
    // So is a multipart body the decompose stage could not split (it starts with its boundary).
    // A URL's scheme (`http://site\r\nX: y`) is no header name, in a parameter or header. A body's
    // field that starts with a URL and goes on in lines is a bug report or a pasted trace.
    const redirect = isRedirectName(input.name);
    const inBody = input.location === "body" && !HEADER_BOUND_FIELD.test(input.name) && !redirect;
    if ((headerAt(text, 0) && (inBody || !URL_START.test(text))) || text.startsWith("--")) return early;
    let best: Finding | null = strongest(early[0] ?? null, mayEscape ? escapedBreaks(text, backslash, inBody, redirect) : null);
    if (first < 0) return best ? [best] : [];
    const lines: Lines = { firstBreak: first, firstBlank: text.search(BLANK_LINE), redirect };
    // A URL path has no line in it: a break there is only ever sent on purpose (at least moderate), and
    // what it injects (`/go/\r\nLocation: //evil.example`, a redirect that echoes its path) is judged as
    // a parameter's.
    if (input.kind === "path") best = strongest(best, find("break-in-path", 0.6, first, first + 1));
    for (let i = first; i < text.length; i++) {
      if (!isBreak(text.charCodeAt(i))) continue;
      // A run of breaks: CR LF, or CR LF CR LF before a body.
      let j = i;
      let breaks = 0;
      while (j < text.length && isBreak(text.charCodeAt(j))) {
        if (text.charCodeAt(j) !== 13 && text.charCodeAt(j) !== 0x560d) breaks++;
        j++;
      }
      // Blanks and NULs after the break start no line of their own: a folded header line (`\r\n\tSet-Cookie:`)
      // or a NUL a writer drops still puts the header where a filter that reads `\r\nName:` misses it.
      let k = j;
      while (k < text.length && k - j < MAX_LINE_INDENT && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9 || text.charCodeAt(k) === 0)) k++;
      best = strongest(best, injectedLine(text, i, k, breaks >= 2 || j - i >= 3, inBody, lines));
      i = j - 1;
    }
    return best ? [best] : [];
  },
};
