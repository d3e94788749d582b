/**
 * Command injection, read the way a POSIX shell or cmd.exe reads it: a separator or a substitution
 * (`;` `|` `||` `&&` `&` newline, backticks, `$(...)`, `<(...)`) puts the shell at a command
 * position, and what stands there is read as the shell would read the word (quotes, backslashes,
 * `^`, empty variables and `${IFS}` undone; `/???/c?t` globs resolved against binary paths). A known
 * command there is the finding. English puts commands after semicolons too (`see you; cat food`), so
 * how strong a finding is depends on the command (`wget` is no English word, `cat` is), on its
 * arguments (`-la`, `/etc/passwd`, `$x` are shell; plain words are prose) and on whether the
 * separator breaks out of a value (`1;id`, `';id`). Also: redirections to `/dev/tcp`, Shellshock
 * function definitions and server-side includes.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding, isAsciiDigit, isAsciiLetter, isSpaceCode, strongestPerRule } from "./text.ts";

/** How much a command word alone says. */
type Tier = "tool" | "lang" | "word";

/** Commands that are no English word: their name after a separator is already strong. */
const UNIX_TOOLS = `whoami uname wget curl nc ncat netcat socat telnet bash zsh ksh csh tcsh dash busybox ifconfig netstat
  nslookup printenv chmod chown chgrp useradd usermod crontab nohup sudo base64 xxd hexdump hostname lsof mkfifo mknod
  tftp rsync grep egrep fgrep gawk xargs nmap getent sysctl iptables traceroute passwd systemctl uptime`;
/** Interpreters: also the names of languages, which tag lists (`python|php`) join with separators. */
const UNIX_LANGS = "python python2 python3 perl php ruby node lua java sh";
/** Commands that are also English words or common abbreviations: they need shell-like arguments or a break-out. */
const UNIX_WORDS = `id ls cat echo ping sleep set env dir type time kill who which date head tail more less sort find file touch
  test exec eval export unset ps pwd rm cp mv ln cut diff tr wc uniq locate history alias awk sed mail tar zip gzip
  killall dig ssh ftp scp tee`;
/** cmd.exe and PowerShell, matched without regard to case as Windows does (a trailing `.exe` dropped). */
const WINDOWS_TOOLS = `cmd powershell pwsh certutil bitsadmin wmic mshta rundll32 regsvr32 cscript wscript systeminfo tasklist
  taskkill ipconfig netsh schtasks whoami nslookup findstr icacls invoke-expression invoke-webrequest start-process
  new-object get-content get-childitem iex iwr`;
const WINDOWS_WORDS = "dir type ver net echo set ping start call copy move del erase ren vol more find sort reg";

function tierMap(lists: [string, Tier][]): Map<string, Tier> {
  const m = new Map<string, Tier>();
  // Later lists do not demote an earlier, stronger tier.
  for (const [list, tier] of lists) for (const w of list.split(/\s+/)) if (w && !m.has(w)) m.set(w, tier);
  return m;
}
const UNIX = tierMap([[UNIX_TOOLS, "tool"], [UNIX_LANGS, "lang"], [UNIX_WORDS, "word"]]);
const WINDOWS = tierMap([[WINDOWS_TOOLS, "tool"], [WINDOWS_WORDS, "word"]]);
const BIN_DIRS = ["/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"];
const SHELL_BINARIES = /(?:\/bin\/(?:ba|z|k|c|da)?sh|cmd(?:\.exe)?|powershell(?:\.exe)?)(?![\w.])/i;

/** Longest command word read: longer words are no command names. */
const MAX_WORD = 64;
/** Arguments looked at after a command word. */
const MAX_ARGS = 200;

const isOperator = (c: number) =>
  c === 59 /* ; */ || c === 124 /* | */ || c === 38 /* & */ || c === 10 || c === 13 || c === 96 /* ` */ || c === 60 /* < */ ||
  c === 62 /* > */ || c === 40 /* ( */ || c === 41; /* ) */

/** indexOf bounded to `limit` characters, so that a scan repeated at many positions stays linear. */
function indexWithin(s: string, ch: string, from: number, limit: number): number {
  const k = s.indexOf(ch, from);
  return k !== -1 && k - from <= limit ? k : -1;
}

/** Length of a `${IFS}`, `$IFS$9` or `$IFS` at i (shell whitespace once split), else 0. */
function ifsAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 36) return 0;
  if (s.startsWith("${IFS}", i)) return 6;
  if (s.startsWith("$IFS", i)) return s.charCodeAt(i + 4) === 36 && isAsciiDigit(s.charCodeAt(i + 5)) ? 6 : 4;
  return 0;
}

function skipBlanks(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9) i++;
    else {
      const ifs = ifsAt(s, i);
      if (!ifs) return i;
      i += ifs;
    }
  }
}

interface Word {
  /** The word as the shell sees it, quotes and escapes undone. */
  text: string;
  end: number;
  /** Quotes, escapes, carets or empty variables inside the word: benign text does not spell a command so. */
  obfuscated: boolean;
}

/** Reads one shell word at i; `inBrace` for `{cat,/etc/passwd}`, where a comma separates words. */
function readWord(s: string, i: number, inBrace: boolean): Word {
  let text = "";
  let obfuscated = false;
  while (i < s.length && text.length <= MAX_WORD) {
    const c = s.charCodeAt(i);
    if (isSpaceCode(c) || isOperator(c) || (inBrace && (c === 44 || c === 125))) break;
    if (c === 36 /* $ */) {
      const next = s.charCodeAt(i + 1);
      if (ifsAt(s, i) || next === 40) break;
      if (next === 123 /* { */) {
        const close = indexWithin(s, "}", i + 2, 32);
        if (close === -1) break;
        i = close + 1;
        obfuscated = true;
        continue;
      }
      if (isAsciiLetter(next) || next === 95) {
        // `$u` (an unset variable) expands to nothing: `c$u\at` is `cat`.
        i += 2;
        while (i < s.length && (isAsciiLetter(s.charCodeAt(i)) || isAsciiDigit(s.charCodeAt(i)) || s.charCodeAt(i) === 95)) i++;
        obfuscated = true;
        continue;
      }
      if (isAsciiDigit(next) || next === 64 || next === 42 || next === 35) {
        i += 2;
        obfuscated = true;
        continue;
      }
    }
    if (c === 92 /* \ */ && i + 1 < s.length && !isSpaceCode(s.charCodeAt(i + 1))) {
      // A backslash before a letter is an escape to the shell, but a Windows path separator too.
      if (isAsciiLetter(s.charCodeAt(i + 1)) && !/[:\\]/.test(text)) obfuscated = true;
      text += isAsciiLetter(s.charCodeAt(i + 1)) && /[:\\]/.test(text) ? "\\" + s[i + 1] : s[i + 1];
      i += 2;
      continue;
    }
    if (c === 39 /* ' */ || c === 34 /* " */) {
      const close = indexWithin(s, s[i]!, i + 1, MAX_WORD);
      if (close === -1) break;
      text += s.slice(i + 1, close);
      i = close + 1;
      obfuscated = true;
      continue;
    }
    if (c === 94 /* ^ */ && text !== "") {
      i++;
      obfuscated = true;
      continue;
    }
    text += s[i];
    i++;
  }
  return { text, end: i, obfuscated };
}

/** `?`, `*` and `[...]` glob match of a short pattern against a name (both at most MAX_WORD long). */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, "\\$&").replaceAll("?", ".").replaceAll("*", "[^/]*")}$`);
  return re.test(name);
}

/** The command a word names, through a binary directory or a glob, with its tier; null when none. */
function commandOf(word: string): { name: string; tier: Tier } | null {
  const tier = UNIX.get(word);
  if (tier) return { name: word, tier };
  const lower = word.toLowerCase().replace(/\.exe$/, "");
  const winBase = lower.slice(lower.lastIndexOf("\\") + 1);
  const win = WINDOWS.get(winBase);
  // `cmd`, `C:\Windows\System32\cmd.exe`, `%SystemRoot%\system32\cmd.exe`.
  if (win && (winBase === lower || /^(?:[a-z]:|%\w+%)\\/.test(lower))) return { name: winBase, tier: winBase === lower ? win : "tool" };
  const slash = word.lastIndexOf("/");
  if (slash < 0) return null;
  const dir = word.slice(0, slash);
  const base = word.slice(slash + 1);
  if (!/[?*[]/.test(word)) {
    const t = BIN_DIRS.includes(dir) ? UNIX.get(base) : undefined;
    // A binary named by its absolute path is shell, whatever the word means in English.
    return t ? { name: base, tier: t === "word" ? "tool" : t } : null;
  }
  if (!word.startsWith("/") || !/[a-z]/.test(base.replace(/\[[^\]]*\]/g, ""))) return null;
  if (!BIN_DIRS.some((d) => globMatch(dir, d))) return null;
  for (const [name, t] of UNIX) if (globMatch(base, name)) return { name, tier: t === "word" ? "tool" : t };
  return null;
}

type ArgShape = "none" | "shell" | "words";
const NET_VERBS = /^(?:user|localgroup|group|view|share|use|session|accounts|config|stop|start)\b/i;

/** What follows a command word up to the next operator: nothing, shell-looking arguments, or prose. */
function argShape(s: string, i: number, command: string): { shape: ArgShape; end: number } {
  i = skipBlanks(s, i);
  const stop = Math.min(s.length, i + MAX_ARGS);
  let j = i;
  let shell = false;
  let atTokenStart = true;
  for (; j < stop; j++) {
    const c = s.charCodeAt(j);
    if (c === 59 || c === 124 || c === 38 || c === 10 || c === 13 || c === 96 || c === 41) break;
    if (ifsAt(s, j)) {
      shell = true;
      atTokenStart = true;
      continue;
    }
    if (c === 32 || c === 9) {
      atTokenStart = true;
      continue;
    }
    if (c === 62 || c === 60) {
      // A redirection, when its target is a file, a descriptor or a variable (`>/tmp/x`, `2>&1`, `<$f`).
      const target = s.charCodeAt(skipBlanks(s, j + (s.charCodeAt(j + 1) === c || s.charCodeAt(j + 1) === 38 ? 2 : 1)));
      if (target === 47 || target === 38 || target === 36 || target === 46 || isAsciiDigit(target) || isAsciiDigit(s.charCodeAt(j + 1))) shell = true;
    } else if (atTokenStart) {
      const next = s.charCodeAt(j + 1);
      // A flag (`-la`, `--help`, `/c`), a path (`/etc`, `C:\`, `~/`), a variable, a quote, a glob, a number.
      if ((c === 45 && (isAsciiLetter(next) || next === 45)) || c === 47 || c === 92 || c === 36 || c === 39 || c === 34 || c === 42 || c === 126 || c === 46 || isAsciiDigit(c)) shell = true;
      else if (isAsciiLetter(c) && next === 58 && (s.charCodeAt(j + 2) === 92 || s.charCodeAt(j + 2) === 47 || j + 2 >= stop)) shell = true;
    } else if (c === 47 || c === 36) {
      shell = true;
    }
    atTokenStart = false;
  }
  if (j === i) return { shape: "none", end: i };
  // `net user`, `net view`: Windows' net command is known by its verb.
  if (!shell && command === "net" && NET_VERBS.test(s.slice(i, i + 12))) shell = true;
  return { shape: shell ? "shell" : "words", end: j };
}

/** Strength of a command after a separator, by the command's tier and its arguments. */
const AFTER_SEPARATOR: Record<Tier, Record<ArgShape, number>> = {
  tool: { none: 0.9, shell: 0.9, words: 0.7 },
  lang: { none: 0.6, shell: 0.85, words: 0.5 },
  word: { none: 0.55, shell: 0.85, words: 0.4 },
};

/** The separator breaks out of a value: nothing but quotes before it, or a quote, digit or bracket right before. */
function breaksOut(s: string, sep: number): boolean {
  let k = sep - 1;
  while (k >= 0 && (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9)) k--;
  if (k < 0) return true;
  const c = s.charCodeAt(k);
  if (c === 39 || c === 34) {
    while (k >= 0 && (s.charCodeAt(k) === 39 || s.charCodeAt(k) === 34 || isSpaceCode(s.charCodeAt(k)))) k--;
    return true;
  }
  return isAsciiDigit(c) || c === 41 || c === 93 || c === 125;
}

/** Whole values made of plain items between one repeated separator (`python|php|ruby`, `a; b; c`). */
function isPlainList(s: string): boolean {
  return /^[\w .+#-]+(?:([;|,&])[\w .+#-]+)(?:\1[\w .+#-]+)*$/.test(s);
}

interface Position {
  /** Where the separator or substitution starts (the evidence's start). */
  sep: number;
  /** First character after it. */
  at: number;
  kind: "op" | "subst" | "backtick" | "start";
}

/**
 * Calls `visit` at every command position after the start: after separators and substitutions.
 * Positions where no command word can start (`;;`, `; 5`) are skipped before any work.
 */
function forEachCommandPosition(s: string, visit: (p: Position) => void): void {
  let backticks = 0;
  const lastBacktick = s.lastIndexOf("`");
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let at = -1;
    let kind: Position["kind"] = "op";
    if (c === 59 || c === 10 || c === 13) at = i + 1;
    else if (c === 124 || c === 38) {
      at = i + (s.charCodeAt(i + 1) === c ? 2 : 1);
    } else if (c === 96) {
      backticks++;
      // An opening backtick is a substitution only when it is closed.
      if (backticks % 2 === 1) {
        at = i + 1;
        kind = i < lastBacktick ? "backtick" : "op";
      }
    } else if ((c === 36 || c === 60 || c === 62) && s.charCodeAt(i + 1) === 40 && s.charCodeAt(i + 2) !== 40) {
      at = i + 2;
      kind = "subst";
    }
    if (at === -1) continue;
    const next = s.charCodeAt(at === s.length ? at - 1 : at);
    if (at < s.length && (isAsciiLetter(next) || next === 32 || next === 9 || next === 47 || next === 92 || next === 39 || next === 34 || next === 36 || next === 123 || next === 40 || next === 37)) {
      visit({ sep: i, at, kind });
    }
    i = Math.max(i, at - 1);
  }
}

/** Interpreters and shells told to run code given inline: `perl -e`, `sh -c`, `cmd /c`, `powershell -enc`. */
const INLINE_CODE = /^\s*(?:-[ecr]\b|\/c\b|-(?:command|encodedcommand|enc)\b)/i;
const INLINE_RUNNERS = new Set(["perl", "python", "python2", "python3", "php", "ruby", "node", "bash", "sh", "zsh", "ksh", "dash", "cmd", "powershell", "pwsh"]);

/**
 * A value that is itself a command line (a parameter a site hands to a shell): the command alone is
 * not enough, since a site may take one; arguments that are shell syntax are.
 */
function judgeWholeCommand(s: string, i: number, word: Word, cmd: { name: string; tier: Tier }, args: { shape: ArgShape; end: number }, end: number): Finding | null {
  const viaPath = /[\\/]/.test(word.text);
  const rest = s.slice(word.end, args.end + 1);
  let strength = 0;
  if (args.shape === "shell") {
    if (cmd.tier === "tool" && SHELL_BINARIES.test(rest)) strength = 0.8;
    else if (INLINE_RUNNERS.has(cmd.name) && INLINE_CODE.test(rest)) strength = 0.75;
    else if (/[<>]|\|\s*\S/.test(rest) || word.obfuscated) strength = 0.7;
    else if (cmd.tier === "tool" || viaPath) strength = 0.6;
    // Prose starts with capitalised words that cmd.exe would run (`Del Nuevo Mundo S/N`): a Unix spelling only.
    else if (cmd.name === word.text) strength = 0.5;
  } else if (args.shape === "none" && (viaPath || word.obfuscated) && cmd.tier !== "word") {
    strength = 0.6;
  }
  return strength ? finding("cmdi", word.obfuscated ? "shell.obfuscated-command" : "shell.command", strength, i, end) : null;
}

/**
 * Random-looking text (bot-manager telemetry, tokens) holds separators and short command names by
 * chance: many symbols just before a separator say the separator is noise, not a break-out.
 */
function noisyBefore(s: string, sep: number): boolean {
  let symbols = 0;
  for (let k = Math.max(0, sep - 12); k < sep; k++) if (!/[\w\s.\-/:'",=]/.test(s[k]!)) symbols++;
  return symbols >= 4;
}
/** Most a finding in a noisy stretch, or in a script (a value that is itself a list of commands), may have. */
const NOISY_CAP = 0.6;
const SCRIPT_CAP = 0.7;

/** The command at one position, as a finding, or null. */
function judgePosition(s: string, p: Position, plainList: () => boolean, script: boolean): Finding | null {
  let i = skipBlanks(s, p.at);
  // A subshell or a brace group: `;(id)`, `;{cat,/etc/passwd}`.
  let inBrace = false;
  while (i < s.length && (s.charCodeAt(i) === 40 || s.charCodeAt(i) === 123 || s.charCodeAt(i) === 32)) {
    if (s.charCodeAt(i) === 123) inBrace = true;
    i++;
  }
  const word = readWord(s, i, inBrace);
  if (!word.text) return null;
  const cmd = commandOf(word.text);
  if (!cmd) return null;
  const args = inBrace && s.charCodeAt(word.end) === 44 ? { shape: "shell" as const, end: indexWithin(s, "}", word.end, MAX_ARGS) + 1 || word.end } : argShape(s, word.end, cmd.name);
  const end = Math.max(word.end, args.end);

  if (p.kind === "start") return judgeWholeCommand(s, i, word, cmd, args, end);
  let strength = AFTER_SEPARATOR[cmd.tier][args.shape];
  if (args.shape === "none" && cmd.tier !== "tool" && breaksOut(s, p.sep)) strength += 0.25;
  if (args.shape === "none" && cmd.tier === "lang" && plainList()) strength = Math.min(strength, 0.5);
  if (p.kind === "subst") strength = Math.min(0.95, strength + (args.shape === "words" ? 0.2 : 0.3));
  if (p.kind === "backtick") strength = Math.min(0.95, strength + (args.shape === "shell" ? 0.05 : 0.15));
  if (word.obfuscated && args.shape !== "words") strength = Math.max(0.9, strength);
  if (noisyBefore(s, p.sep)) strength = Math.min(strength, NOISY_CAP);
  const c = s.charCodeAt(p.sep);
  if (script && (c === 10 || c === 13)) strength = Math.min(strength, SCRIPT_CAP);
  if (word.obfuscated && args.shape !== "words") return finding("cmdi", "shell.obfuscated-command", strength, p.sep, end);
  const rule = p.kind === "op" ? "shell.separator-command" : "shell.substitution";
  return finding("cmdi", rule, strength, p.sep, end);
}

const SSI = /<!--\s*#\s*(exec|include|echo|config|printenv|set|fsize|flastmod)\b/gi;
const SHELLSHOCK = /^\s*\(\s*\)\s*\{/;
const DEV_TCP = /\/dev\/(?:tcp|udp)\/[\w.-]+\/\d+/g;

/** Characters without which no construct here can be present. */
const TRIGGER = /[;|&\n\r`$<>(]/;
/** A whole-value command line needs an argument that is shell syntax: a flag, a path or a quote. */
const WHOLE_COMMAND_TRIGGER = /\s[-/\\'"~*]/;

export const shellAnalyzer: Analyzer = {
  name: "shell",
  analyze(input: AnalyzerInput): Finding[] {
    const s = input.text;
    if (!TRIGGER.test(s) && !WHOLE_COMMAND_TRIGGER.test(s)) return [];
    const out: Finding[] = [];
    const shock = SHELLSHOCK.exec(s);
    if (shock) out.push(finding("cmdi", "shell.shellshock", 0.95, shock.index, shock.index + shock[0].length));
    if (s.indexOf("<!--") !== -1) {
      for (const m of s.matchAll(SSI)) {
        const directive = m[1]!.toLowerCase();
        out.push(finding("cmdi", "shell.ssi", directive === "exec" ? 0.95 : directive === "include" ? 0.85 : 0.8, m.index, m.index + m[0].length));
      }
    }
    if (s.indexOf("/dev/") !== -1) {
      for (const m of s.matchAll(DEV_TCP)) {
        const before = s.slice(Math.max(0, m.index - 4), m.index);
        out.push(finding("cmdi", "shell.dev-tcp", /[<>&]/.test(before) ? 0.95 : 0.75, m.index, m.index + m[0].length));
      }
    }
    let list: boolean | undefined;
    const plainList = () => (list ??= isPlainList(s));
    const whole = judgePosition(s, { sep: 0, at: 0, kind: "start" }, plainList, false);
    if (whole) out.push(whole);
    // A value that starts as a command line (or a script) runs its next lines too: they are that script, not an injection.
    const script = whole !== null || s.startsWith("#!") || commandOf(readWord(s, skipBlanks(s, 0), false).text) !== null;
    forEachCommandPosition(s, (p) => {
      const f = judgePosition(s, p, plainList, script);
      if (f) out.push(f);
    });
    return strongestPerRule(out);
  },
};
