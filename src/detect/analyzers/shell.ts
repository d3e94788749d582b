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
import { decodeHTML } from "entities";
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { asciiSet, escapedBreakAt, finding, isAsciiDigit, isAsciiLetter, isSpaceCode, isWideSpace, isWordCode, judgePath, partitionPoint, strongestPerRule } from "./text.ts";
import { powershellFindings } from "./powershell.ts";
import { isBase64Reading } from "../../decompose/leaf.ts";

/** How much a command word alone says. */
export type Tier = "tool" | "lang" | "word";

/**
 * The command names below are what the analyzer recognizes in a request's values (`; uname -a` sent to
 * a form); Moat runs none of them. Commands that are no English word: their name after a separator
 * is already strong.
 */
const UNIX_TOOLS = `whoami uname wget curl nc ncat netcat socat telnet bash zsh ksh csh tcsh dash busybox ifconfig netstat
  nslookup printenv chmod chown chgrp useradd usermod crontab nohup sudo base64 xxd hexdump hostname lsof mkfifo mknod
  tftp rsync grep egrep fgrep gawk xargs nmap getent sysctl iptables traceroute passwd systemctl uptime lastlog htop aptitude
  apt-get yum dnf pip3 gcc gdb strace ltrace vim visudo ssh-copy-id base32 zcat bzcat xzcat zstdcat gunzip unxz bunzip2 irb
  openssl journalctl cpulimit uconv pkexec nsenter unshare setsid runuser capsh crictl c89 c99 objdump readelf lastlogin mawk nawk
  rmt flock chattr lsattr setfacl getfacl shred mktemp dmesg lsblk lsmod insmod modprobe rmmod ldd ldconfig nproc lscpu blkid
  fdisk mkfs chroot tcpdump tshark masscan hping3 sqlmap msfconsole msfvenom tmux systemd-run nsupdate whois rlogin rsh sftp
  smbclient rpcclient ldapsearch mysqldump pg_dump sqlcmd readlink realpath pgrep pidof chpasswd groupadd adduser deluser
  userdel setcap getcap gpg whereis unzip poweroff ifdown ifup iwconfig ssh-keygen telnetd utelnetd dropbear xterm`;
/** Interpreters: also the names of languages, which tag lists (`python|php`) join with separators. */
const UNIX_LANGS = "python python2 python3 perl php ruby node lua java sh";
/**
 * Tools that skill and tag lists name as often as shells run them (`php; mysql; docker`): no English
 * word, but read like interpreters, strong only with shell-like arguments.
 */
const UNIX_STACK = `mysql psql sqlite3 mongo mongosh redis-cli docker kubectl podman npm npx pip pip2 gem cpan composer ansible
  ansible-playbook ansible-vault ansible-console ansible-config ansible-galaxy chef-client chef-shell chef-vault chef-run chef-solo
  knife cscli tclsh`;
/** Commands that are also English words or common abbreviations: they need shell-like arguments or a break-out. */
const UNIX_WORDS = `id ls cat echo ping sleep set env dir type time kill who which date head tail more less sort find file touch
  test exec eval export unset ps pwd rm cp mv ln cut diff tr wc uniq locate history alias awk sed mail tar zip gzip
  dig ssh ftp scp tee dd rev printf top vi umount tac timeout route arp df du reboot shutdown mkdir
  rmdir nl od cd trap service mount`;
/** cmd.exe and PowerShell, matched without regard to case as Windows does (a trailing `.exe` dropped). */
const WINDOWS_TOOLS = `cmd powershell pwsh certutil bitsadmin wmic mshta rundll32 regsvr32 cscript wscript systeminfo tasklist
  taskkill ipconfig netsh schtasks whoami nslookup findstr icacls invoke-expression invoke-webrequest start-process
  new-object get-content set-content get-childitem iex iwr invoke-restmethod invoke-command invoke-item start-job
  start-bitstransfer get-process stop-process get-wmiobject get-ciminstance invoke-wmimethod remove-item copy-item add-type
  set-executionpolicy out-file import-module get-credential get-localuser get-acl new-item get-service nltest dsquery quser
  qwinsta wevtutil vssadmin bcdedit fsutil driverquery gpresult klist setspn xcopy robocopy forfiles msiexec attrib cacls`;
const WINDOWS_WORDS = "dir type ver net echo set ping start call copy move del erase ren vol more find sort reg timeout route arp sc";

function tierMap(lists: [string, Tier][]): Map<string, Tier> {
  const m = new Map<string, Tier>();
  // Later lists do not demote an earlier, stronger tier.
  for (const [list, tier] of lists) for (const w of list.split(/\s+/)) if (w && !m.has(w)) m.set(w, tier);
  return m;
}
const UNIX = tierMap([[UNIX_TOOLS, "tool"], [UNIX_LANGS, "lang"], [UNIX_STACK, "lang"], [UNIX_WORDS, "word"]]);
const WINDOWS = tierMap([[WINDOWS_TOOLS, "tool"], [WINDOWS_WORDS, "word"]]);
const BIN_DIRS = ["/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"];
const SHELL_BINARIES = /(?:\/bin\/(?:ba|z|k|c|da)?sh|cmd(?:\.exe)?|powershell(?:\.exe)?)(?![\w.])/i;
/** Shells: a pipe into one runs whatever came before it as a script. */
const SHELLS = new Set(["sh", "bash", "zsh", "ksh", "dash", "csh", "tcsh", "busybox"]);
/** Builtins that do nothing an attacker wants without arguments (`cd`, `trap`): only shell-like arguments make them a step of one. */
const NEEDS_ARGUMENTS = new Set(["cd", "trap"]);
/** Commands that run the command after them (`time`, `nohup`, `sudo`): what matters is that next command. */
const PREFIXES = new Set(["time", "nohup", "strace", "ltrace", "sudo", "doas", "env", "nice", "timeout", "exec", "command", "xargs", "stdbuf"]);

/**
 * Arguments that name what no site parameter names: the file system root, the system's own directories
 * (`/etc/`, `/proc/`, `/bin/`, `C:\Windows`, `%SYSTEMROOT%`), or a path spelled with glob characters
 * in a directory (`/[e]tc/`, `/???/`), which only a shell resolves.
 */
const SYSTEM_TARGET =
  /(?:^|[\s=:'"<>,{])(?:\/(?:etc|proc|sys|dev|root|bin|sbin|boot|tmp|var\/(?:log|www|tmp|spool|run\/secrets)|usr\/(?:local\/)?s?bin|home)(?:[/'"\s]|$)|\/['"]?\s*$|\/\S{0,40}\[[^\]\s]{1,16}\]|\/[^\s/?]{0,16}[?*][^\s/]{0,16}\/|[a-z]:\\(?:windows|winnt|users|boot)|%(?:systemroot|windir|comspec|userprofile)%)/i;

/** Longest command word read: longer words are no command names. */
const MAX_WORD = 64;
/** Arguments looked at after a command word. */
const MAX_ARGS = 200;

const isOperator = (c: number) =>
  c === 59 /* ; */ || c === 124 /* | */ || c === 38 /* & */ || c === 10 || c === 13 || c === 96 /* ` */ || c === 60 /* < */ ||
  c === 62 /* > */ || c === 40 /* ( */ || c === 41; /* ) */

/** indexOf bounded to `limit` characters, so that a scan repeated at many positions stays linear. */
function indexWithin(s: string, ch: string, from: number, limit: number): number {
  const code = ch.charCodeAt(0);
  const stop = Math.min(s.length, from + limit + 1);
  for (let k = from; k < stop; k++) if (s.charCodeAt(k) === code) return k;
  return -1;
}

/** Length of a `${IFS}`, `$IFS$9` or `$IFS` at i (shell whitespace once split), else 0. */
function ifsAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 36) return 0;
  if (s.startsWith("${IFS}", i)) return 6;
  if (s.startsWith("$IFS", i)) return s.charCodeAt(i + 4) === 36 && isAsciiDigit(s.charCodeAt(i + 5)) ? 6 : 4;
  return 0;
}

/** The last character before i that is no space or tab; -1 when there is none. */
function lastNonBlankBefore(s: string, i: number): number {
  let k = i - 1;
  while (k >= 0 && (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9)) k--;
  return k;
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

/**
 * ASCII characters a word's plain stretch stops at: what ends a word (space, operator, and `,` `}` in
 * braces) and what the shell reads specially inside one (`$` `\` quotes `^`). 1 always, 2 in braces only.
 */
const WORD_STOP = new Uint8Array(128);
for (const c of " \t\n\v\f\r;|&`<>()$\\'\"^") WORD_STOP[c.charCodeAt(0)] = 1;
WORD_STOP[0] = 1;
WORD_STOP[44] = WORD_STOP[125] = 2;

/** Where the plain stretch of a word from i ends (at most `limit` characters on). */
function plainRunEnd(s: string, i: number, inBrace: boolean, limit: number): number {
  const stop = Math.min(s.length, i + limit);
  for (; i < stop; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && WORD_STOP[c]! !== 0 && (WORD_STOP[c] === 1 || inBrace)) break;
  }
  return i;
}

/** A substring expansion that gives `/`: the first character of a variable every shell sets to an absolute path. */
const SLASH_EXPANSION = /^(?:PATH|HOME|PWD|OLDPWD|SHELL):0:1$/;

/** A word spelled with cmd.exe's caret before its letters, the first one too. */
const CARET_SPELLED = /^\^[A-Za-z]\w*\^[A-Za-z]/;
/** `%SystemRoot%`, `%ComSpec%`: a Windows variable, which a path may start with (`%SystemRoot%\system32`). */
const WINDOWS_VARIABLE = /^%\w+%/;

/** Reads one shell word at i; `inBrace` for `{cat,/etc/passwd}`, where a comma separates words. */
function readWord(s: string, i: number, inBrace: boolean): Word {
  let text = "";
  let obfuscated = false;
  while (i < s.length && text.length <= MAX_WORD) {
    // Most words are plain throughout: copied in one slice, not a character at a time.
    const run = plainRunEnd(s, i, inBrace, MAX_WORD + 1 - text.length);
    if (run > i) {
      text += s.slice(i, run);
      i = run;
      continue;
    }
    const c = s.charCodeAt(i);
    // ``` `` ``` and `$()` substitute nothing: `pi``ng`, `c$()at` are `ping` and `cat`.
    if ((c === 96 && s.charCodeAt(i + 1) === 96) || (c === 36 && s.charCodeAt(i + 1) === 40 && s.charCodeAt(i + 2) === 41)) {
      i += c === 96 ? 2 : 3;
      obfuscated = true;
      continue;
    }
    // A NUL ends the word: C's `system()` reads the command up to it (`;id\0`).
    if (isSpaceCode(c) || isOperator(c) || c === 0 || (inBrace && (c === 44 || c === 125))) break;
    if (c === 36 /* $ */) {
      const next = s.charCodeAt(i + 1);
      if (ifsAt(s, i) || next === 40) break;
      if (next === 123 /* { */) {
        const close = indexWithin(s, "}", i + 2, 32);
        if (close === -1) break;
        // `${PATH:0:1}`: the first character of a variable that holds an absolute path is `/`.
        if (SLASH_EXPANSION.test(s.slice(i + 2, close))) text += "/";
        i = close + 1;
        obfuscated = true;
        continue;
      }
      if (isAsciiLetter(next) || next === 95) {
        // `$u` (an unset variable) expands to nothing: `c$u\at` is `cat`.
        i += 2;
        while (i < s.length && isWordCode(s.charCodeAt(i))) i++;
        obfuscated = true;
        continue;
      }
      if (next === 39 || next === 34) {
        // `$'id'`, `$"id"`: ANSI-C and locale quoting; the `$` only says how the quotes read.
        i++;
        obfuscated = true;
        continue;
      }
      // Special parameters (`$@` `$*` `$#` `$!` `$?` `$$` `$-`, `$0`-`$9`): no command name has them, so
      // inside a word they are filler (`c$?at`) and the word is read without them.
      if (isAsciiDigit(next) || next === 64 || next === 42 || next === 35 || next === 33 || next === 63 || next === 36 || next === 45) {
        i += 2;
        obfuscated = true;
        continue;
      }
    }
    // A line break written as the escape `\n` or `\r`: payloads carry it so, and whatever builds the
    // command with escapes read turns it into a break. It ends the word only when no letter follows
    // (`C:\new` is a path).
    if (text !== "" && escapedBreakAt(s, i) && !isAsciiLetter(s.charCodeAt(i + 2))) break;
    if (c === 92 /* \ */ && i + 1 < s.length && !isSpaceCode(s.charCodeAt(i + 1))) {
      // A backslash before a letter is an escape to the shell, but a Windows path separator too.
      const windowsPath = isAsciiLetter(s.charCodeAt(i + 1)) && (text.indexOf(":") !== -1 || text.indexOf("\\") !== -1 || WINDOWS_VARIABLE.test(text));
      if (isAsciiLetter(s.charCodeAt(i + 1)) && !windowsPath) obfuscated = true;
      text += windowsPath ? "\\" + s[i + 1] : s[i + 1];
      i += 2;
      continue;
    }
    if (c === 39 /* ' */ || c === 34 /* " */) {
      const close = indexWithin(s, s[i]!, i + 1, MAX_WORD);
      if (close === -1) {
        // cmd.exe drops the quotes in a program's name, an unclosed last one too (`w"h"o"a"m"i`).
        if (text === "" || c !== 34) break;
        i++;
        obfuscated = true;
        continue;
      }
      text += s.slice(i + 1, close);
      i = close + 1;
      obfuscated = true;
      continue;
    }
    // cmd.exe's escape character, which it drops before a plain letter: `w^h^o^a^m^i`, `^w^h^o^a^m^i`
    // (leading only among more carets: `^abc` alone is a regular expression's anchor).
    if (c === 94 /* ^ */ && (text !== "" || CARET_SPELLED.test(s.slice(i, i + MAX_WORD)))) {
      i++;
      obfuscated = true;
      continue;
    }
    text += s[i];
    i++;
  }
  return { text, end: i, obfuscated };
}

/**
 * A short glob pattern (`?`, `*`, `[...]`) as a RegExp, or null when its brackets make no valid class
 * (`/???/c?t[`, `[z-a]`): such a word names no binary.
 */
function globRegExp(pattern: string): RegExp | null {
  try {
    return new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, "\\$&").replaceAll("?", ".").replaceAll("*", "[^/]*")}$`);
  } catch {
    return null;
  }
}

/** A file name a program dropped in the working directory may have: `mips`, `x86_64.bin`, `a.sh`. */
const DROPPED_PROGRAM = /^[\w-][\w.-]{0,31}$/;

/** The command a word names, through a binary directory or a glob, with its tier; null when none. */
export function commandOf(word: string): { name: string; tier: Tier } | null {
  const tier = UNIX.get(word);
  if (tier) return { name: word, tier };
  const lower = word.toLowerCase();
  // `%ComSpec%` holds the path of cmd.exe.
  const program = lower === "%comspec%" ? "%systemroot%\\system32\\cmd" : lower.endsWith(".exe") ? lower.slice(0, -4) : lower;
  const winBase = program.slice(program.lastIndexOf("\\") + 1);
  const win = WINDOWS.get(winBase);
  // `cmd`, `C:\Windows\System32\cmd.exe`, `%SystemRoot%\system32\cmd.exe`.
  if (win && (winBase === program || /^(?:[a-z]:|%\w+%)\\/.test(program))) return { name: winBase, tier: winBase === program ? win : "tool" };
  const slash = word.lastIndexOf("/");
  if (slash < 0) return null;
  const dir = word.slice(0, slash);
  const base = word.slice(slash + 1);
  // A program run from the working directory (`./mips`, a bot's dropped binary): no English word.
  if (dir === "." && DROPPED_PROGRAM.test(base)) return { name: base, tier: "word" };
  if (!/[?*[]/.test(word)) {
    const t = BIN_DIRS.includes(dir) ? UNIX.get(base) : undefined;
    // A binary named by its absolute path is shell, whatever the word means in English.
    return t ? { name: base, tier: t === "word" ? "tool" : t } : null;
  }
  if (!word.startsWith("/") || !/[a-z]/.test(base.replace(/\[[^\]]*\]/g, ""))) return null;
  const dirGlob = globRegExp(dir);
  if (!dirGlob || !BIN_DIRS.some((d) => dirGlob.test(d))) return null;
  const baseGlob = globRegExp(base);
  if (baseGlob) for (const [name, t] of UNIX) if (baseGlob.test(name)) return { name, tier: t === "word" ? "tool" : t };
  return null;
}

type ArgShape = "none" | "shell" | "words";
/** `%SYSTEMROOT%`, `%TEMP%`: a cmd.exe environment variable (prose writes `100%` or `%d`, never `%NAME%`). */
function windowsVariableAt(s: string, i: number): boolean {
  let k = i + 1;
  if (!isAsciiLetter(s.charCodeAt(k)) && s.charCodeAt(k) !== 95) return false;
  const stop = Math.min(s.length, i + 34);
  while (k < stop && isWordCode(s.charCodeAt(k))) k++;
  return s.charCodeAt(k) === 37;
}

/** The verbs of commands whose plain-word arguments are how they are used. */
const COMMAND_VERBS: Record<string, RegExp> = {
  net: /^(?:user|localgroup|group|view|share|use|session|accounts|config|stop|start)\b/i,
  sc: /^(?:query|queryex|qc|start|stop|config|create|delete|sdshow|sdset|control|failure)\b/i,
  service: /^[\w@.-]+\s+(?:start|stop|restart|reload|status)\b|^--status-all\b/,
};
/** Words that come before a number in addresses and prose (`SC 29201`, `service 24/7`, `Mount 3`): a number after them is no argument. */
const NAMES_BEFORE_NUMBERS = new Set(["sc", "service", "mount"]);
/** A Windows registry hive (`HKLM\Software`, `HKEY_CURRENT_USER`): an argument of `reg` and PowerShell, no word of prose. */
const REGISTRY_HIVE = /^HK(?:LM|CU|CR|CC|U|EY_(?:LOCAL_MACHINE|CURRENT_USER|CLASSES_ROOT|USERS|CURRENT_CONFIG))(?:[\\:\s]|$)/i;

const isProseBeforeSlash = (c: number) => isAsciiLetter(c) || isAsciiDigit(c) || c === 46;

/**
 * A relative path to a file through the slash at j: `config/database.yml`, `WEB-INF/web.xml`,
 * `a/b/c` (a second slash). A site's address before it (`example.com/index.html`) is prose's link.
 */
const RELATIVE_FILE = /^[\w.-]*\/(?:[\w.-]*\/[\w./-]*|[\w-]+\.[A-Za-z0-9]{1,5})(?=$|[\s;|&)`'"])/;
const SITE_BEFORE = /[\w-]\.[A-Za-z]{2,}$/;
function namesFile(s: string, j: number): boolean {
  let start = j;
  while (start > 0 && /[\w.-]/.test(s[start - 1]!)) start--;
  return !SITE_BEFORE.test(s.slice(start, j)) && RELATIVE_FILE.test(s.slice(start, start + MAX_WORD * 2));
}

/**
 * What follows a command word up to the next operator: nothing, shell-looking arguments, or prose. A
 * command that is also an English word takes numbers as shell arguments only when they are all it has
 * (`;kill 9 1234`), or when a number or an address is what it acts on (NUMBER_TAKERS: `;sleep 10 x`,
 * `;ping 10.0.0.1 x`) after a separator or spelled for a shell (`sl''eep 10 x`): otherwise, with words
 * among them, they are prose's (`; top 10 deals`, `; date 06/15, time 8pm`, and a whole value's
 * `sleep 10 hours`, a search), and a number's own `/` or `.` is no path.
 */
function argShape(s: string, i: number, command: string, tier: Tier, shellMeant: boolean): { shape: ArgShape; end: number; comment: boolean } {
  i = skipBlanks(s, i);
  const stop = Math.min(s.length, i + MAX_ARGS);
  let j = i;
  let shell = false;
  let atTokenStart = true;
  let numbers = 0;
  let hasWord = false;
  let inNumber = false;
  let comment = false;
  for (; j < stop; j++) {
    const c = s.charCodeAt(j);
    if (c === 59 || c === 124 || c === 38 || c === 10 || c === 13 || c === 96 || c === 41) break;
    if (escapedBreakAt(s, j) && !isAsciiLetter(s.charCodeAt(j + 2))) break;
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
      // `<3` is a heart: a descriptor is written to (`>2`) or duplicated (`<&3`), not read from as a file.
      const duplicated = s.charCodeAt(j + 1) === 38;
      const target = s.charCodeAt(skipBlanks(s, j + (s.charCodeAt(j + 1) === c || duplicated ? 2 : 1)));
      if (target === 47 || target === 38 || target === 36 || target === 46 || ((c === 62 || duplicated) && (isAsciiDigit(target) || isAsciiDigit(s.charCodeAt(j + 1))))) shell = true;
    } else if (atTokenStart && c === 35 && EMPTY_COMMENT.test(s.slice(j + 1, j + 1 + MAX_WORD))) {
      // `; id #`, `; id #'`: a word that starts with `#` opens a comment, which drops the rest of the
      // line the value was put into. One that says something (`#devlife`, `set # 2 was hard`) is prose's.
      comment = true;
      break;
    } else if (atTokenStart) {
      const next = s.charCodeAt(j + 1);
      inNumber = isAsciiDigit(c);
      // A flag (`-la`, `--help`, `/c`), a path (`/etc`, `C:\`, `~/`), a variable, a quoted argument, a glob.
      // A quote that never closes is prose's apostrophe (`id's notes`), not a quoted argument.
      if ((c === 45 && (isAsciiLetter(next) || next === 45)) || c === 47 || c === 92 || c === 36 || c === 42 || c === 126 || c === 46) shell = true;
      else if (inNumber) numbers++;
      else if ((c === 39 || c === 34) && indexWithin(s, s[j]!, j + 1, MAX_ARGS) !== -1) {
        // A quoted argument; but a command that is also a word, given a quoted plain word, is a sentence
        // quoting it (`& call "Mike"`, `& type "reset"`), unless printing it is what the command does.
        if (tier !== "word" || PRINTERS.has(command) || !PLAIN_QUOTED.test(s.slice(j, j + MAX_WORD))) shell = true;
        else hasWord = true;
      }
      else if (c === 37 && windowsVariableAt(s, j)) shell = true;
      else if ((c === 72 || c === 104) && REGISTRY_HIVE.test(s.slice(j, j + 24))) shell = true;
      else if (tier !== "word" && isAsciiLetter(c) && WINDOWS_PROGRAM.test(s.slice(j, j + MAX_WORD))) shell = true;
      else if (isAsciiLetter(c) && next === 58 && (s.charCodeAt(j + 2) === 92 || s.charCodeAt(j + 2) === 47 || j + 2 >= stop)) shell = true;
      else if (isAsciiLetter(c)) hasWord = true;
    } else if (!inNumber && (c === 36 || (c === 47 && (tier !== "word" || !isProseBeforeSlash(s.charCodeAt(j - 1)) || namesFile(s, j))))) {
      // A slash right after a letter, digit or dot is prose's after a command that is also a word
      // (`and/or`, `date/time`, `example.com/help`), unless the word goes on to a file (namesFile); a
      // path a shell reads starts a word or follows `=` (`if=/proc/self/environ`).
      shell = true;
    }
    atTokenStart = false;
  }
  if (j === i) return { shape: "none", end: i, comment };
  if (numbers > 0 && !NAMES_BEFORE_NUMBERS.has(command) && (tier !== "word" || !hasWord || (shellMeant && NUMBER_TAKERS.has(command)))) shell = true;
  // `net user`, `sc query`, `service nginx stop`: commands known by their verbs.
  if (!shell && Object.hasOwn(COMMAND_VERBS, command) && COMMAND_VERBS[command]!.test(s.slice(i, i + 48))) shell = true;
  return { shape: shell ? "shell" : "words", end: j, comment };
}

/**
 * A Windows program or script by its file name (`calc.exe`, `x.ps1`): what `Start-Process` or `cmd /c`
 * is given to run. After a command that is also a word (`& start setup.exe`) it may be a sentence's;
 * `.com` is left out, which every domain ends with (`nslookup example.com`).
 */
const WINDOWS_PROGRAM = /^[\w.-]{1,48}\.(?:exe|bat|cmd|ps1|vbs|hta|msi|scr)(?![\w.])/i;

/** `"Mike"`, `'reset'`: a quotation of plain words, standing alone (not a quote spliced into a word, `'e'tc`). */
const PLAIN_QUOTED = /^(["'])[A-Za-z][A-Za-z ]{0,40}\1(?=$|[\s.,!?<>])/;
/** What follows a comment's `#` when it only cuts the line: nothing, or the quotes and brackets the value was put between. */
const EMPTY_COMMENT = /^[\s'"`;)]*(?:$|[\r\n])/;
/** Commands that print their arguments: a quoted word is what they were sent to print (`;echo "pwned"`). */
const PRINTERS = new Set(["echo", "printf"]);

/** Commands that act on a number or an address: a number among their arguments is what they were sent for. */
const NUMBER_TAKERS = new Set(["sleep", "ping", "kill", "timeout", "usleep", "seq"]);

/** Strength of a command after a separator, by the command's tier and its arguments. */
const AFTER_SEPARATOR: Record<Tier, Record<ArgShape, number>> = {
  tool: { none: 0.9, shell: 0.9, words: 0.7 },
  lang: { none: 0.6, shell: 0.85, words: 0.5 },
  word: { none: 0.55, shell: 0.85, words: 0.4 },
};

/**
 * Windows' administration tools whose verbs are plain words (`wmic process call create`, `netsh
 * firewall set`, `vssadmin list shadows`), and PowerShell's cmdlets (`Start-Process calc`). Not the
 * shells and interpreters (`cmd`, `powershell`, `iex`), which prose names (`Mac & Cmd key shortcuts`)
 * and whose real arguments (`/c`, `-enc`) read as shell already, nor the tools given a file.
 */
const WINDOWS_VERB_TOOLS = new Set(["wmic", "netsh", "vssadmin", "schtasks", "bcdedit", "wevtutil", "fsutil", "bitsadmin", "nltest", "dsquery", "setspn", "gpresult", "qwinsta", "quser"]);
const takesVerbs = (name: string) => WINDOWS_VERB_TOOLS.has(name) || (name.includes("-") && WINDOWS.get(name) === "tool");

const IPV4_ALONE = /^\s*['"]?\d{1,3}(?:\.\d{1,3}){3}['"]?\s*$/;
/** `1.1.1.1`; and a host name's 253 characters with quotes and blanks around: what may stand before the separator. */
const SHORTEST_ADDRESS = 7;
const MAX_HOST_BEFORE = 260;
const HOST_GLUED = /^\s*['"]?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}['"]?$/;

/**
 * All before the separator is an IPv4 address, or a host name glued to the separator: what a ping or
 * DNS-lookup form is given. Plain words after the command only after an address and `;`, `|` or `&`:
 * a text's first line may be an address or a version number (`1.0.0.0\ntest fixes`), a title a site's
 * name.
 */
function hostBefore(s: string, sep: number, shape: ArgShape): boolean {
  if (sep < SHORTEST_ADDRESS || sep > MAX_HOST_BEFORE) return false;
  const before = s.slice(0, sep);
  const lineBreak = s.charCodeAt(sep) === 10 || s.charCodeAt(sep) === 13 || s.charCodeAt(sep) === 92;
  return shape === "words" ? !lineBreak && IPV4_ALONE.test(before) : IPV4_ALONE.test(before) || HOST_GLUED.test(before);
}

/** The separator breaks out of a value: nothing but quotes before it, or a quote, digit or bracket right before. */
function breaksOut(s: string, sep: number): boolean {
  const k = lastNonBlankBefore(s, sep);
  if (k < 0) return true;
  const c = s.charCodeAt(k);
  return c === 39 || c === 34 || isAsciiDigit(c) || c === 41 || c === 93 || c === 125;
}

const OPENING_SEPARATOR_CAP = 0.8;

/** The separator at `sep` is `;`, `|` or `&`, with nothing but blanks and quotes before it. */
function opensWithSeparator(s: string, sep: number): boolean {
  const separator = s.charCodeAt(sep);
  if (separator !== 59 && separator !== 124 && separator !== 38) return false;
  for (let k = 0; k < sep; k++) {
    const c = s.charCodeAt(k);
    if (c !== 32 && c !== 9 && c !== 39 && c !== 34) return false;
  }
  return true;
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

/** What a value holds, in one pass: which constructs can be there at all (bits of `shellChars`). */
const HAS = {
  /** A separator, substitution, redirection, group or variable: `;|&` newline backtick `$<>({%` or `\n`. */
  TRIGGER: 1,
  /** What a whole-value command line needs: whitespace, a quote or a glob character. */
  WHOLE: 2,
  PERCENT: 4,
  BRACE: 8,
  LESS: 16,
  SLASH: 32,
  PAREN: 64,
  /** What a command position after the start begins with (see forEachCommandPosition). */
  POSITION: 128,
} as const;
const CHAR_HAS = new Uint8Array(128);
for (const c of ";|&`$<>({%\n\r") CHAR_HAS[c.charCodeAt(0)]! |= HAS.TRIGGER;
for (const c of " \t\n\v\f\r'\"?*[") CHAR_HAS[c.charCodeAt(0)]! |= HAS.WHOLE;
// `\` starts a position only as the escape `\n` or `\r`: shellChars and forEachCommandPosition look at the next character.
for (const c of ";|&`$<>\n\r\\") CHAR_HAS[c.charCodeAt(0)]! |= HAS.POSITION;
CHAR_HAS[37]! |= HAS.PERCENT;
CHAR_HAS[123]! |= HAS.BRACE;
CHAR_HAS[60]! |= HAS.LESS;
CHAR_HAS[47]! |= HAS.SLASH;
CHAR_HAS[40]! |= HAS.PAREN;

/** Values up to this long are read in one pass; longer ones by the engine's searches, faster per character. */
const SHORT_VALUE = 128;
const TRIGGER = /[;|&\n\r`$<>({%]|\\[nr]/;
const WHOLE_COMMAND = /[\s'"?*[]/;

/**
 * The HAS bits of a value (a bit may be set for a character that is not there, never the reverse).
 * A short value is read in one pass instead of a regex or an indexOf per construct.
 */
function shellChars(s: string): number {
  if (s.length > SHORT_VALUE) {
    // The bits that would cost a search of their own are assumed set: their constructs search anyway.
    let bits = HAS.LESS | HAS.SLASH | HAS.PAREN | HAS.POSITION;
    if (TRIGGER.test(s)) bits |= HAS.TRIGGER;
    else if (WHOLE_COMMAND.test(s)) bits |= HAS.WHOLE;
    if (s.indexOf("%") !== -1) bits |= HAS.PERCENT;
    if (s.indexOf("{") !== -1) bits |= HAS.BRACE;
    return bits;
  }
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      if (isWideSpace(c)) bits |= HAS.WHOLE;
    } else if (c === 92 /* \ */) {
      if (escapedBreakAt(s, i)) bits |= HAS.TRIGGER | HAS.POSITION;
    } else bits |= CHAR_HAS[c]!;
  }
  return bits;
}

/**
 * Calls `visit` at every command position after the start: after separators and substitutions.
 * Positions where no command word can start (`;;`, `; 5`) are skipped before any work.
 */
function forEachCommandPosition(s: string, visit: (p: Position) => void): void {
  let backticks = 0;
  let fence = -1;
  const lastBacktick = s.lastIndexOf("`");
  for (let i = nextPositionChar(s, 0); i !== -1; ) {
    const c = s.charCodeAt(i);
    let at = -1;
    let kind: Position["kind"] = "op";
    if (c === 59 || c === 10 || c === 13) at = i + 1;
    // After a letter, `\n` is more likely a path's backslash (`C:\data\nid`) than a line break.
    else if (escapedBreakAt(s, i) && !isAsciiLetter(s.charCodeAt(i - 1))) at = escapedBreakAt(s, i + 2) ? i + 4 : i + 2;
    else if (c === 124 || (c === 38 && characterReferenceAt(s, i) === 0)) {
      at = i + (s.charCodeAt(i + 1) === c ? 2 : 1);
    } else if (c === 96 && (fence = fenceEnd(s, i)) !== -1) {
      // A Markdown code fence (a line of ```bash) opens no substitution.
      i = nextPositionChar(s, fence);
      continue;
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
    if (at !== -1) {
      const next = s.charCodeAt(at === s.length ? at - 1 : at);
      // `<` opens only a substitution's input redirection (`$(</etc/passwd)`, see substitutedFile).
      if (at < s.length && (isAsciiLetter(next) || next === 32 || next === 9 || next === 47 || next === 92 || next === 39 || next === 34 || next === 36 || next === 123 || next === 40 || next === 37 || (next === 46 && s.charCodeAt(at + 1) === 47) || (next === 60 && kind !== "op"))) {
        visit({ sep: i, at, kind });
      }
    }
    i = nextPositionChar(s, Math.max(i, at - 1) + 1);
  }
}

/** A command that is also a word, alone in backticks in a sentence. */
const PROSE_CAP = 0.55;
/** Prose after the closing backtick: a blank and a word, or a sentence's punctuation. */
const PROSE_AFTER = /^`(?:\s+[A-Za-z]|[.,!?:)])/;
/** Words of prose around inline code, at least: `ab \`id\` ok` is too little to be a sentence. */
const PROSE_WORDS = 3;
const PROSE_WORD = /[A-Za-z]{2,}/g;

/**
 * ``The `ls` command lists files``: backticks that open after a blank and close before more words or
 * a sentence's end, in a sentence of a few words. A shell runs them too, but the value is a sentence
 * that quotes code; an injection puts them where a shell's word begins (`;`id``, `x`id``) or ends the value.
 */
function inlineCodeInProse(s: string, open: number, close: number): boolean {
  if (s.charCodeAt(close) !== 96 || !isSpaceCode(s.charCodeAt(open - 1)) || !PROSE_AFTER.test(s.slice(close, close + 3))) return false;
  const around = s.slice(Math.max(0, open - 60), open) + " " + s.slice(close + 1, close + 61);
  return (around.match(PROSE_WORD)?.length ?? 0) >= PROSE_WORDS;
}

/** A command on a line of a Markdown code block. */
const FENCED_CAP = 0.5;

/**
 * Where the Markdown code fence at i ends, or -1: three or more backticks that open a line with no other
 * backtick on it (```bash). Elsewhere backticks are substitutions, empty or not: a shell runs
 * x```id``` as `` then `id` then ``.
 */
function fenceEnd(s: string, i: number): number {
  if (!(i === 0 || s.charCodeAt(i - 1) === 10 || s.charCodeAt(i - 1) === 13) || !s.startsWith("```", i)) return -1;
  let end = i + 3;
  while (s.charCodeAt(end) === 96) end++;
  for (let k = end; k < s.length && s.charCodeAt(k) !== 10 && s.charCodeAt(k) !== 13; k++) if (s.charCodeAt(k) === 96) return -1;
  return end;
}

/** Where the value's Markdown code fences start, in order. */
function codeFences(s: string): number[] {
  const out: number[] = [];
  for (let i = s.indexOf("```"); i !== -1; i = s.indexOf("```", i + 3)) if (fenceEnd(s, i) !== -1) out.push(i);
  return out;
}

/**
 * Whether `at` lies inside a closed Markdown code block: after an odd number of fences, with one more
 * after it (a binary search, so a value of many stays linear).
 */
function inCodeFence(fences: readonly number[], at: number): boolean {
  const before = partitionPoint(fences.length, (k) => fences[k]! < at);
  return before % 2 === 1 && before < fences.length;
}

/** `&copy;`, `&#169;`, `&#xA9;`: markup's character reference, whose `&` separates no command (`&reg;`). */
const CHARACTER_REFERENCE = /&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/y;

/** The length of the character reference at i, or 0. */
function characterReferenceAt(s: string, i: number): number {
  CHARACTER_REFERENCE.lastIndex = i;
  const m = CHARACTER_REFERENCE.exec(s);
  // A name only when HTML knows it: `&id;` is no reference, and a shell runs `id` after it.
  return m !== null && (m[0].charCodeAt(1) === 35 || decodeHTML(m[0]) !== m[0]) ? m[0].length : 0;
}

/** The characters with HAS.POSITION, for long values (a regex search outruns a loop per character). */
const POSITION_CHAR = /[;|&`$<>\n\r\\]/g;

/** The index of the next character at or after `from` that may start a command position, or -1. */
function nextPositionChar(s: string, from: number): number {
  if (s.length > SHORT_VALUE) {
    POSITION_CHAR.lastIndex = from;
    return POSITION_CHAR.test(s) ? POSITION_CHAR.lastIndex - 1 : -1;
  }
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && CHAR_HAS[c]! & HAS.POSITION) return i;
  }
  return -1;
}

/**
 * Interpreters and shells told to run code given inline: `perl -e`, `sh -c`, `cmd /c`, `powershell -enc`,
 * also after a few other options (`powershell -nop -w hidden -enc ...`, `python3 -u -c ...`).
 */
const INLINE_CODE = /^(?:\s+-[\w-]{1,20}(?:\s+[A-Za-z][\w-]{0,20})?){0,6}?\s*(?:-[ecr]\b|\/c\b|-(?:command|encodedcommand|enc)\b)/i;
const INLINE_RUNNERS = new Set(["perl", "python", "python2", "python3", "php", "ruby", "node", "bash", "sh", "zsh", "ksh", "dash", "cmd", "powershell", "pwsh"]);

/** How a command word was spelled, beyond its name. */
interface Spelling {
  /** Quotes, escapes or empty variables inside the name (`'wh'oami`, `c$@at`), not just quotes around it; or a dropped word before it. */
  split: boolean;
  /** An empty word before it, dropped by the shell (`$u cat`): no text writes one there. */
  dropped: boolean;
  /** Glob characters resolved against binary directories (`/???/??t`). */
  globbed: boolean;
  /** Run through a prefix command (`time`, `nohup`, `sudo`). */
  prefixed: boolean;
  /** Spaced from its arguments by `${IFS}` or `$IFS` (`cat${IFS}/etc/passwd`): only a shell reads that as a space. */
  ifsSpaced: boolean;
}

/** A flag (`-la`, `--help`) or a URL among the arguments. */
const FLAG_OR_URL = /(?:^|\s)(?:--?[a-z]|(?:https?|ftp):\/\/)/i;

/** A word of a sentence: letters, maybe a sentence's punctuation after them; or a number. */
const SENTENCE_TOKEN = /^(?:[A-Za-z]{2,}[.,!?;:]?|\d+[.,]?)$/;
/** Files an attacker reads for what they hold (credentials, keys, logs): named with words after them, still read. */
const SECRET_TARGET = /\/etc\/(?:shadow|gshadow|passwd|master\.passwd|sudoers)\b|\/\.ssh\/|id_(?:rsa|dsa|ecdsa|ed25519)\b|\/var\/log\/|\/proc\/self\/|win\.ini|\.env\b|\.htpasswd/i;

/**
 * `cat /proc/cpuinfo shows 4 cores but your app uses 1`: a command that is also a word, its first
 * argument a system file, then a sentence (three words or more, two of them of three letters or more,
 * nothing a shell would read as a flag, a path or an operator). A shell would run it, but the value is someone writing about
 * the file; a credential, a key or a log (SECRET_TARGET) is read whatever words follow it.
 */
function sentenceAfterTarget(rest: string): boolean {
  const tokens = rest.trim().split(/\s+/).slice(1);
  let words = 0;
  let long = 0;
  for (const t of tokens) {
    if (!SENTENCE_TOKEN.test(t)) return false;
    if (/[A-Za-z]/.test(t)) words++;
    if (/[A-Za-z]{3}/.test(t)) long++;
  }
  return words >= 3 && long >= 2;
}

/**
 * A value that is itself a command line (a parameter a site hands to a shell): the command alone is
 * not enough, since a site may take one; what surrounds it decides. Strong: a system path or a glob
 * path as an argument (`cat /etc/passwd`, `ls -la /`), a shell binary (`nc -e /bin/sh`), code given
 * inline (`perl -e`), a PowerShell cmdlet with arguments, a command name spelled to dodge filters.
 */
function judgeWholeCommand(s: string, word: Word, cmd: { name: string; tier: Tier }, args: { shape: ArgShape; end: number }, how: Spelling): number {
  const viaPath = /[\\/]/.test(word.text);
  // Prose starts with capitalised words that cmd.exe would run (`Del Nuevo Mundo S/N`): a Unix spelling, a path or a tool.
  const shellSpelling = cmd.name === word.text || viaPath || cmd.tier === "tool";
  const rest = s.slice(word.end, args.end + 1);
  let strength = 0;
  if (args.shape === "shell") {
    if (shellSpelling && SYSTEM_TARGET.test(rest)) strength = cmd.tier === "word" && !SECRET_TARGET.test(rest) && sentenceAfterTarget(rest) ? PROSE_CAP : 0.9;
    else if (cmd.tier === "tool" && SHELL_BINARIES.test(rest)) strength = 0.9;
    else if (INLINE_RUNNERS.has(cmd.name) && INLINE_CODE.test(rest)) strength = 0.85;
    else if (cmd.name.indexOf("-") > 0) strength = 0.85; // a PowerShell cmdlet (`Invoke-WebRequest http://...`)
    else if ((cmd.tier !== "word" || viaPath || how.prefixed) && FLAG_OR_URL.test(rest)) strength = 0.8;
    else if (/[<>]|\|\s*\S/.test(rest) || word.obfuscated) strength = 0.7;
    else if (cmd.tier === "tool" || viaPath) strength = 0.6;
    else if (cmd.name === word.text) strength = 0.5;
  } else if (args.shape === "none" && (viaPath || word.obfuscated) && cmd.tier !== "word") {
    strength = 0.6;
  }
  if (how.globbed) strength = Math.max(strength, 0.9);
  if (how.split && (cmd.tier !== "word" || args.shape === "shell")) strength = Math.max(strength, 0.85);
  if (how.prefixed && cmd.tier !== "word") strength = Math.max(strength, 0.8);
  if (how.ifsSpaced) strength = Math.max(strength, 0.9);
  return strength;
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

/**
 * Where a parameter that names a shell ends its word: the value's end, a blank or `${IFS}`, an operator,
 * a quote, or a brace expansion's `,` and `}` (`;$SHELL${IFS}-c${IFS}id`, `{$0,-c,id}`). `$0$h`, in a
 * GIF's bytes, is one longer word.
 */
const endsCommandWord = (s: string, k: number) => k >= s.length || " \t\n<>|;&)`,}'\"".includes(s[k]!) || ifsAt(s, k) > 0;


/**
 * Parameters that name a shell, and whether one may open the value: `$SHELL` and `${SHELL}` (the
 * user's shell), `$0` and `${0}` (the shell that runs the command line; opening a value it is a price,
 * `$0 - $50`, not a command).
 */
const SHELL_PARAMETERS: [spelling: string, opensValue: boolean][] = [["${SHELL}", true], ["$SHELL", true], ["${0}", false], ["$0", false]];

function shellVariableAt(s: string, i: number): Word | null {
  for (const [v, opensValue] of SHELL_PARAMETERS) {
    if (!s.startsWith(v, i) || !endsCommandWord(s, i + v.length)) continue;
    // Opening the value, only `$SHELL`; after a separator or a prefix command, either.
    return opensValue || lastNonBlankBefore(s, i) >= 0 ? { text: "sh", end: i + v.length, obfuscated: true } : null;
  }
  return null;
}

/**
 * A word made only of unquoted expansions that give nothing (an unset `$u` or `${u}`, `$@` and `$*` with
 * no arguments): the shell drops it, and the next word is the command (`;$u cat /etc/passwd`). Not `$5`
 * (prose's price), nor `$?`, `$#`, `$$` or `$-`, which give text; `${IFS}` ends a word before this, and
 * `${PATH:0:1}` gives `/`.
 */
const EMPTY_EXPANSIONS = /^(?:\$(?:[A-Za-z_]\w*|\{[A-Za-z_]\w*\}|[@*]))+$/;
/** Dropped words read before a command at most. */
const MAX_DROPPED = 8;

/** A word that is one quoted string: `"time"`, `'id'`. */
const WHOLE_QUOTED = /^(['"])[^'"]*\1$/;

/** The command word at i (through prefix commands and dropped empty words), its command and how it was spelled; null when none. */
function commandAt(s: string, i: number, inBrace: boolean): { word: Word; cmd: { name: string; tier: Tier }; how: Spelling } | null {
  let prefixed = false;
  let dropped = 0;
  for (let hops = 0; hops < 3; hops++) {
    const word = shellVariableAt(s, i) ?? readWord(s, i, inBrace);
    if (!word.text) {
      // In braces the next word starts after the comma (`{$u,cat,/etc/passwd}`).
      const next = inBrace && s.charCodeAt(word.end) === 44 ? word.end + 1 : skipBlanks(s, word.end);
      // A longer run of expansions is no word a shell user writes before a command (and the test stays cheap).
      if (word.end - i > MAX_WORD || !EMPTY_EXPANSIONS.test(s.slice(i, word.end)) || next === word.end || next >= s.length || isOperator(s.charCodeAt(next))) return null;
      // Dropped words are no hop of their own: a few of them must not use up the prefix commands' count.
      if (++dropped > MAX_DROPPED) return null;
      hops--;
      i = next;
      continue;
    }
    const cmd = commandOf(word.text);
    if (!cmd) return null;
    const raw = s.slice(i, word.end);
    const how: Spelling = {
      split: dropped > 0 || (word.obfuscated && !WHOLE_QUOTED.test(raw)),
      dropped: dropped > 0,
      globbed: /[?*[]/.test(word.text),
      prefixed,
      ifsSpaced: ifsAt(s, word.end) > 0,
    };
    if (!PREFIXES.has(cmd.name)) return { word, cmd, how };
    // `time sh -c id`: the prefix is the first word, the command the next one.
    const next = skipBlanks(s, word.end);
    const inner = next < s.length && !isOperator(s.charCodeAt(next)) ? (shellVariableAt(s, next) ?? readWord(s, next, inBrace)) : null;
    if (!inner?.text || !commandOf(inner.text)) return { word, cmd, how };
    i = next;
    prefixed = true;
  }
  return null;
}

/** A pipe into a shell or interpreter (`curl http://x/a | sh`): what comes before it is run as a script. */
function pipedIntoShell(s: string, p: Position, cmd: { name: string }, args: { shape: ArgShape }): boolean {
  if (s.charCodeAt(p.sep) !== 124 || s.charCodeAt(p.sep + 1) === 124 || s.charCodeAt(p.sep - 1) === 124) return false;
  if (args.shape === "words" || !(SHELLS.has(cmd.name) || INLINE_RUNNERS.has(cmd.name))) return false;
  // The input is a command with arguments, not a word in a list (`python|php|sh`).
  const before = s.slice(Math.max(0, p.sep - MAX_ARGS), p.sep);
  return /\S[ \t]+\S[^;&|\n]*$/.test(before.trimEnd());
}

/**
 * A substitution that is only an input redirection from a file, `$(</etc/passwd)` or `` `<~/.ssh/id_rsa` ``:
 * bash reads the file into the command line, `cat` without `cat`. No prose writes `$(<` or a backtick
 * before `<` and a path.
 */
function substitutedFile(s: string, p: Position, i: number): Finding | null {
  if ((p.kind !== "subst" && p.kind !== "backtick") || s.charCodeAt(i) !== 60) return null;
  const word = readWord(s, skipBlanks(s, i + 1), false);
  if (!/^(?:~|\.{0,2}\/)/.test(word.text) || word.text.length < 2) return null;
  const after = skipBlanks(s, word.end);
  const closed = s.charCodeAt(after) === (p.kind === "subst" ? 41 : 96);
  return finding("cmdi", "shell.substitution", closed ? 0.9 : 0.8, p.sep, closed ? after + 1 : word.end);
}

/**
 * After a command's name on a line of its own: a configuration's key assigned (`type = "ingress"`,
 * `time = 5`, `level := info`: INI, TOML, HCL, Makefiles). A shell would run it, `=` its first argument
 * (`; cat = /home/app/.env` reads the file all the same): after `;`, `|` or `&` it stays a command.
 */
const ASSIGNED = /^[ \t]*[+:?]?=(?!=)/;

/**
 * Whether the command at p is no command but a line of another language: a configuration's key at
 * a line's start (ASSIGNED), or a command that is also a word called as a function (jq's
 * `del(.password)`, `sort(list)`: `(` is a syntax error to a shell; PowerShell calls its tools so,
 * `iex(...)`, and those stay).
 */
function anotherLanguage(s: string, p: Position, found: { word: Word; cmd: { tier: Tier } }): boolean {
  const after = s.slice(found.word.end, found.word.end + MAX_WORD);
  const c = s.charCodeAt(p.sep);
  // A line break, or one written out (`\n`): the positions forEachCommandPosition starts a line at.
  const lineStart = p.kind === "start" || c === 10 || c === 13 || c === 92;
  return (lineStart && ASSIGNED.test(after)) || (found.cmd.tier === "word" && after.startsWith("("));
}

/** The command at one position, as a finding, or null. */
function judgePosition(s: string, p: Position, plainList: () => boolean, script: () => boolean, fences: () => readonly number[]): Finding | null {
  let i = skipBlanks(s, p.at);
  const read = substitutedFile(s, p, i);
  if (read) return read;
  // A subshell or a brace group: `;(id)`, `;{cat,/etc/passwd}`, `{,ifconfig}`.
  let inBrace = false;
  while (i < s.length && (s.charCodeAt(i) === 40 || s.charCodeAt(i) === 123 || s.charCodeAt(i) === 32 || (inBrace && s.charCodeAt(i) === 44))) {
    if (s.charCodeAt(i) === 123) inBrace = true;
    i++;
  }
  const found = commandAt(s, i, inBrace);
  if (!found || anotherLanguage(s, p, found)) return null;
  const { word, cmd, how } = found;
  const braceList = inBrace && (s.charCodeAt(word.end) === 44 || s.charCodeAt(i - 1) === 44);
  const args = braceList && s.charCodeAt(word.end) === 44 ? { shape: "shell" as const, end: indexWithin(s, "}", word.end, MAX_ARGS) + 1 || word.end, comment: false } : argShape(s, word.end, cmd.name, cmd.tier, p.kind !== "start" || word.obfuscated || how.dropped || how.globbed || how.ifsSpaced);
  if (args.shape !== "shell" && NEEDS_ARGUMENTS.has(cmd.name)) return null;
  const end = Math.max(word.end, args.end);
  // Brace expansion that spells a command (`{cat,/etc/passwd}`, `{,ifconfig}`) is the shell's alone.
  if (braceList && (cmd.tier !== "word" || /[/-]/.test(s.slice(word.end, args.end)))) return finding("cmdi", "shell.obfuscated-command", 0.9, p.sep, end);

  if (p.kind === "start") {
    const strength = judgeWholeCommand(s, word, cmd, args, how);
    return strength ? finding("cmdi", word.obfuscated || how.dropped || how.globbed || how.ifsSpaced ? "shell.obfuscated-command" : "shell.command", strength, i, end) : null;
  }
  let strength = AFTER_SEPARATOR[cmd.tier][args.shape];
  if (args.shape === "none" && cmd.tier !== "tool" && breaksOut(s, p.sep)) strength += 0.25;
  // `;echo vulnerable`: a value that opens with `;`, `|` or `&` was written to end a command (one that
  // opens with a line break is a text's first line). Plain words after it stay below proof strength:
  // `&whois lookup` may still be a search.
  else if (args.shape === "words" && opensWithSeparator(s, p.sep)) strength = Math.min(strength + 0.2, OPENING_SEPARATOR_CAP);
  // `& wmic process call create calc`, `& netsh firewall set opmode disable`: Windows' own tools take
  // plain words for verbs, and no sentence names them after a separator.
  if (args.shape === "words" && takesVerbs(cmd.name)) strength = Math.max(strength, 0.85);
  // `; id #`, `127.0.0.1 && id #'`: the command's line commented out after it is the template it was put into.
  if (args.comment && args.shape !== "words") strength = Math.max(strength, 0.85);
  // `8.8.8.8;id`, `127.0.0.1; ps aux`, `example.com|id`: the address a ping or lookup form asks for, then a
  // command: the first thing sent to such a form. A site's name glued to the separator only (a title
  // writes `Example.com | Find a home`).
  if (p.kind === "op" && hostBefore(s, p.sep, args.shape)) strength = Math.max(strength, 0.9);
  if (args.shape === "none" && cmd.tier === "lang" && plainList()) strength = Math.min(strength, 0.5);
  if (p.kind === "subst") {
    strength = Math.min(0.95, strength + (args.shape === "words" ? 0.2 : 0.3));
    // A closed `$(...)`/`<(...)` around a command: no prose is written so.
    if (s.charCodeAt(args.end) === 41) strength = Math.max(strength, 0.9);
  }
  if (p.kind === "backtick") {
    strength = Math.min(0.95, strength + (args.shape === "shell" ? 0.05 : 0.15));
    // A command with arguments in closed backticks; a lone word in backticks is how prose quotes code.
    if (args.shape !== "none" && s.charCodeAt(args.end) === 96) strength = Math.max(strength, args.shape === "shell" ? 0.9 : 0.8);
  }
  if (pipedIntoShell(s, p, cmd, args)) strength = Math.max(strength, 0.9);
  if (how.prefixed && cmd.tier !== "word") strength = Math.max(strength, 0.85);
  const c = s.charCodeAt(p.sep);
  // A word quoted whole on a line of its own is a list's item (a Go import block, pretty-printed JSON,
  // a YAML list), not a name spelled to dodge a filter.
  const listItem = (c === 10 || c === 13) && WHOLE_QUOTED.test(s.slice(i, word.end));
  const obfuscated = (((word.obfuscated && !listItem) || how.dropped) && args.shape !== "words") || how.ifsSpaced;
  if (obfuscated) strength = Math.max(0.9, strength);
  if (noisyBefore(s, p.sep)) strength = Math.min(strength, NOISY_CAP);
  if ((c === 10 || c === 13 || c === 92) && script()) strength = Math.min(strength, SCRIPT_CAP);
  // What prose writes around a command that is also a word: Markdown's inline code in a sentence (`The
  // \`ls\` command`, the word alone: moderate, for the model to weigh), a line of a closed code block
  // (without a shell's arguments). A tool, or arguments a shell reads, stay as they are.
  if (!obfuscated && cmd.tier !== "tool") {
    if (cmd.tier === "word" && args.shape === "none" && p.kind === "backtick" && inlineCodeInProse(s, p.sep, args.end)) strength = Math.min(strength, PROSE_CAP);
    else if (args.shape !== "shell" && (c === 10 || c === 13) && inCodeFence(fences(), p.sep)) strength = Math.min(strength, FENCED_CAP);
  }
  if (obfuscated) return finding("cmdi", "shell.obfuscated-command", strength, p.sep, end);
  const rule = p.kind === "op" ? "shell.separator-command" : "shell.substitution";
  return finding("cmdi", rule, strength, p.sep, end);
}

/** `NAME=` at a command position (the start, or after a separator): a shell variable assigned. */
const ASSIGNMENT = /(?:^|[;&|\n\r`(]|\\[nr])[ \t^]*([A-Za-z_]\w{0,31})=/g;

interface Assignment {
  /** Where the name starts (the evidence's start) and where the stored value starts. */
  name: number;
  value: number;
}

/** The variables a value assigns at command positions, by name (the first assignment of each). */
function assignments(s: string): Map<string, Assignment> {
  const found = new Map<string, Assignment>();
  if (s.indexOf("=") === -1) return found;
  for (const m of s.matchAll(ASSIGNMENT)) {
    const value = m.index + m[0].length;
    if (!found.has(m[1]!)) found.set(m[1]!, { name: value - 1 - m[1]!.length, value });
  }
  return found;
}

/** The variable reference (`$NAME` or `${NAME}`) at i: its name and where it ends, or null. */
function variableRefAt(s: string, i: number): { name: string; end: number } | null {
  if (s.charCodeAt(i) !== 36) return null;
  const braced = s.charCodeAt(i + 1) === 123;
  const nameStart = i + (braced ? 2 : 1);
  let end = nameStart;
  while (end < s.length && end - nameStart <= 32 && isWordCode(s.charCodeAt(end))) end++;
  if (end === nameStart) return null;
  const name = s.slice(nameStart, end);
  if (braced && s.charCodeAt(end++) !== 125) return null;
  return { name, end };
}

/** A cell's DDE call, at a cell's start (the value's, a line's or after a CSV's comma or tab): `=cmd|' /C calc'!A0`, `@SUM(1+1)*cmd|'…'!A0`. */
const DDE_FORMULA = /(?:^|[\n,;\t"])[ \t]*[=+\-@][^\n|]{0,64}?\b[A-Za-z][\w.]{0,31}[ \t]*\|[ \t]*['"][^'"\n]{0,256}['"][ \t]*![ \t]*[A-Za-z$]*\$?\d*/;

const SOCAT_SHELL = /\bsocat\b[^\n]{0,200}?\b(?:exec|system)\s*:/i;

/** Most variables joined into one command word (`$c1$c2$c3`). */
const MAX_JOINED = 16;

/**
 * `CMD=$'id';$CMD`, `X=whoami&&${X}`: a command stored in a variable, then run by expanding that
 * variable at a command position, so the command word never stands where a filter looks for it.
 * Stronger when the stored value starts with a known command. The word may also be several variables
 * joined (`c1=c;c2=a;c3=t;$c1$c2$c3 /etc/passwd`): a command spelled a letter at a time, found when
 * the joined values name one.
 */
function variableRun(s: string, p: Position, assigned: Map<string, Assignment>): Finding | null {
  let end = skipBlanks(s, p.at);
  const stored: Assignment[] = [];
  for (let ref = variableRefAt(s, end); ref && stored.length < MAX_JOINED; ref = variableRefAt(s, end)) {
    const a = assigned.get(ref.name);
    if (!a || a.value > p.sep) return null;
    stored.push(a);
    end = ref.end;
  }
  if (!stored.length) return null;
  const after = s.charCodeAt(end);
  if (end < s.length && !isSpaceCode(after) && !isOperator(after) && !escapedBreakAt(s, end)) return null;
  // `c4=\ ` stores a space: the escaped blank that splits the joined word into command and argument.
  const values = stored.map((a) => (s.startsWith("\\ ", a.value) ? " " : readWord(s, a.value, false).text));
  const command = values.join("").trim().split(/\s/, 1)[0]!;
  const start = Math.min(...stored.map((a) => a.name));
  if (stored.length > 1) return commandOf(command) ? finding("cmdi", "shell.variable-command", 0.9, start, end) : null;
  return finding("cmdi", "shell.variable-command", commandOf(command) ? 0.9 : 0.6, start, end);
}

/** cmd.exe's `FOR %x IN (...) DO ...` loop: the `%x` loop variable is batch syntax, no prose has it. */
const CMD_FOR = /\bfor\s+(?:\/[a-z]\s+(?:\\?"[^"\n]{0,80}"\s*|[^\s%"]{1,80}\s+)?){0,3}%%?[^\s]{1,32}\s+in\s*\((?:[^()]|\([^()]{0,80}\)){0,400}\)\s*do\b/i;
/** cmd.exe's `IF %x% == ...` / `IF "%~1" NEQ ...`: a comparison of batch variables. */
const CMD_IF = /\bif\s+(?:\/i\s+)?(?:not\s+)?["'[({]?%[~\w][^\s=]{0,30}\s*(?:==|\s(?:equ|neq|lss|leq|gtr|geq)\s)/i;
/**
 * cmd.exe's other IF forms: `IF [NOT] EXIST path`, `ERRORLEVEL n`, `CMDEXTVERSION n`, `DEFINED name`, or
 * a comparison of two operands with `==` or EQU/NEQ/LSS/LEQ/GTR/GEQ. Prose has "if not defined" too,
 * so the test must be followed by what IF runs: a `(` block or a command (see batchIf).
 */
const CMD_IF_TEST =
  /\bif\s+(?:\/i\s+)?(?:not\s+)?(?:exist\s+(?:"[^"\n]{1,200}"|[^\s"(]{1,200})|errorlevel\s+\d{1,5}|cmdextversion\s+\d{1,3}|defined\s+[\w.-]{1,64}|(?:"[^"\n]{0,80}"|\([^()\s]{0,80}\)|[^\s=()"]{1,80})\s*(?:==|\s(?:equ|neq|lss|leq|gtr|geq)\s)\s*(?:"[^"\n]{0,80}"|\([^()\s]{0,80}\)|[^\s=()"]{1,80}))[ \t]+/gi;
/** What a batch IF runs besides a known command: flow control, which no command list names. */
const BATCH_FLOW = new Set(["goto", "exit", "if", "for", "call", "rem", "pause", "shift", "cd", "md", "rd", "mkdir", "rmdir", "setlocal", "endlocal", "@echo"]);

/** The first batch IF whose test is followed by a `(` block or a command, as its span, or null. */
function batchIf(s: string): [number, number] | null {
  CMD_IF_TEST.lastIndex = 0;
  for (let m = CMD_IF_TEST.exec(s); m; m = CMD_IF_TEST.exec(s)) {
    const at = m.index + m[0].length;
    if (s.charCodeAt(at) === 40) return [m.index, at + 1];
    const word = readWord(s, at, false).text;
    const lower = word.toLowerCase();
    if (word && (BATCH_FLOW.has(lower) || commandOf(lower) !== null)) return [m.index, at + word.length];
  }
  return null;
}

/** A character of a shell function name (`:` included: `:(){ :|:& };:`). */
const isNameCode = (c: number) => isWordCode(c) || c === 58;
/** Longest function name and body read for a fork bomb. */
const MAX_FUNCTION_NAME = 32;
const MAX_FUNCTION_BODY = 200;

/**
 * A shell function that calls itself in a pipe or in the background, then is called: a fork bomb
 * (`:(){ :|:& };:`). Found from each `()` followed by `{`, with bounded reads, so it stays linear.
 */
function forkBomb(s: string): Finding | null {
  for (let k = s.indexOf("()"); k !== -1; k = s.indexOf("()", k + 2)) {
    const open = skipBlanks(s, k + 2);
    if (s.charCodeAt(open) !== 123) continue;
    let start = k;
    while (start > 0 && k - start < MAX_FUNCTION_NAME && isNameCode(s.charCodeAt(start - 1))) start--;
    const name = s.slice(start, k);
    const close = indexWithin(s, "}", open + 1, MAX_FUNCTION_BODY);
    if (!name || close === -1) continue;
    const body = s.slice(open + 1, close);
    if (!/[|&]/.test(body) || body.indexOf(name) === -1) continue;
    let call = skipBlanks(s, close + 1);
    if (s.charCodeAt(call) === 59) call = skipBlanks(s, call + 1);
    if (s.startsWith(name, call) && !isNameCode(s.charCodeAt(call + name.length))) return finding("cmdi", "shell.fork-bomb", 0.9, start, call + name.length);
  }
  return null;
}

/**
 * cmd.exe's substring of a variable, `%COMSPEC:~0,1%`: a piece of a known value, which spells a
 * command's name without writing it (`%COMSPEC:~0,1%%COMSPEC:~-4,1%d` is `cmd`). Only batch syntax has
 * it; a script that trims a string (`%str:~1,-1%`) uses one, a name pieced together several in a row.
 */
const CMD_SUBSTRING = /%([A-Za-z_][\w()]{0,31}):~-?\d{1,4}(?:,-?\d{1,4})?%/g;
/**
 * cmd.exe's dynamic variables: their value changes (the date, the time, a random number, the current
 * directory), so their pieces spell no fixed name; `%DATE:~10,4%%DATE:~4,2%` is a batch file's timestamp.
 */
const DYNAMIC_VARIABLES = new Set(["date", "time", "random", "cd", "errorlevel", "cmdcmdline", "cmdextversion", "highestnumanodenumber"]);

function cmdSubstrings(s: string, out: Finding[]): void {
  let first = -1;
  let end = -1;
  let joined = 1;
  CMD_SUBSTRING.lastIndex = 0;
  for (let m = CMD_SUBSTRING.exec(s); m; m = CMD_SUBSTRING.exec(s)) {
    if (DYNAMIC_VARIABLES.has(m[1]!.toLowerCase())) continue;
    if (m.index === end) joined++;
    else if (joined < 2) first = m.index;
    end = m.index + m[0].length;
    if (joined >= 2) break;
  }
  if (first !== -1) out.push(finding("cmdi", "shell.batch-substring", joined >= 2 ? 0.9 : 0.6, first, end));
}

function batchAndFunctions(s: string, chars: number, out: Finding[]): void {
  if (chars & HAS.PERCENT) {
    const loop = /do\b/i.test(s) ? CMD_FOR.exec(s) : null;
    if (loop) out.push(finding("cmdi", "shell.batch", 0.9, loop.index, loop.index + loop[0].length));
    const cond = CMD_IF.exec(s);
    if (cond) out.push(finding("cmdi", "shell.batch", 0.8, cond.index, cond.index + cond[0].length));
    if (s.indexOf(":~") !== -1) cmdSubstrings(s, out);
  }
  // IF tests with a `%var%` are found above; these forms need only the keywords.
  const cond = chars & HAS.WHOLE && /\bif\s/i.test(s) ? batchIf(s) : null;
  if (cond && !out.some((f) => f.rule === "shell.batch")) out.push(finding("cmdi", "shell.batch", 0.8, cond[0], cond[1]));
  if (chars & HAS.BRACE) {
    const bomb = forkBomb(s);
    if (bomb) out.push(bomb);
  }
}

const SSI = /<!--\s*#\s*(exec|include|echo|config|printenv|set|fsize|flastmod)\b/gi;
/**
 * Edge Side Includes: a cache in front of the site (Varnish, Squid, a CDN) runs these in a response it
 * caches, so a reflected one fetches what it names or prints the request's cookies and headers.
 */
const ESI_FETCH = /<esi:(?:include|inline|eval)\b[^<>]{0,2000}?\bsrc\s*=/i;
/**
 * An ESI element closed on itself (`<esi:debug/>`, `<esi:vars />`): markup to run, not a tag named in
 * prose; but `<esi:comment .../>` is a page author's note, which the cache drops.
 */
const ESI_SELF_CLOSED = /<esi:(?!comment\b)[a-z]+\b[^<>]{0,2000}?\/>/i;
/** An ESI variable (`$(HTTP_COOKIE)`, `$(QUERY_STRING{a})`) in a value that has an ESI element. */
const ESI_VARIABLE = /\$\((?:HTTP_[A-Z_]+|QUERY_STRING|REMOTE_ADDR)\b/;

const SHELLSHOCK = /^\s*\(\s*\)\s*\{/;
const DEV_TCP = /\/dev\/(?:tcp|udp)\/[\w.-]+\/\d+/g;

/** `encoded`: the value is a base64 reading, as PowerShell's `-EncodedCommand` takes a script (see powershell.ts). */
function analyzeShell(s: string, encoded = false): Finding[] {
  const chars = shellChars(s);
  // Without these no construct here can be present.
  if (!(chars & (HAS.TRIGGER | HAS.WHOLE))) return [];
  const out: Finding[] = [];
  batchAndFunctions(s, chars, out);
  powershellFindings(s, out, encoded);
  const shock = chars & HAS.PAREN && chars & HAS.BRACE ? SHELLSHOCK.exec(s) : null;
  if (shock) out.push(finding("cmdi", "shell.shellshock", 0.95, shock.index, shock.index + shock[0].length));
  if (chars & HAS.LESS && s.indexOf("<!--") !== -1) {
    for (const m of s.matchAll(SSI)) {
      const directive = m[1]!.toLowerCase();
      out.push(finding("cmdi", "shell.ssi", directive === "exec" ? 0.95 : directive === "include" ? 0.85 : 0.8, m.index, m.index + m[0].length));
    }
  }
  const esiAt = chars & HAS.LESS ? s.search(/<esi:/i) : -1;
  if (esiAt !== -1) {
    // A fetch from where `src` points, an ESI variable printed, or an element opened and closed: a tag
    // named in prose (`Our CDN supports <esi:include> tags`) is none of them.
    const fetch = ESI_FETCH.exec(s);
    const closed = s.indexOf("</esi:", esiAt);
    if (fetch) out.push(finding("cmdi", "shell.esi", 0.9, fetch.index, fetch.index + fetch[0].length));
    else if (ESI_VARIABLE.test(s)) out.push(finding("cmdi", "shell.esi", 0.85, esiAt, s.indexOf(">", esiAt) + 1 || s.length));
    else if (closed !== -1) out.push(finding("cmdi", "shell.esi", 0.8, esiAt, closed + 6));
    else {
      const selfClosed = ESI_SELF_CLOSED.exec(s);
      if (selfClosed) out.push(finding("cmdi", "shell.esi", 0.8, selfClosed.index, selfClosed.index + selfClosed[0].length));
    }
  }
  // A spreadsheet's Dynamic Data Exchange: `=cmd|' /C calc'!A0` in a cell runs the program when an
  // exported CSV is opened (formula injection). No honest formula names a program before `|'…'!`.
  const dde = s.indexOf("|") !== -1 && s.indexOf("!") !== -1 ? DDE_FORMULA.exec(s) : null;
  if (dde) out.push(finding("cmdi", "shell.dde-formula", 0.9, dde.index, dde.index + dde[0].length));
  // socat joining a network address to a program (`socat tcp-connect:10.0.0.7:9001 exec:sh,pty`): a
  // reverse or bind shell, whatever separates it from the value.
  const socat = s.indexOf(":") !== -1 && /socat/i.test(s) ? SOCAT_SHELL.exec(s) : null;
  if (socat) out.push(finding("cmdi", "shell.socat-shell", 0.9, socat.index, socat.index + socat[0].length));
  if (chars & HAS.SLASH && s.indexOf("/dev/") !== -1) {
    for (const m of s.matchAll(DEV_TCP)) {
      const before = s.slice(Math.max(0, m.index - 4), m.index);
      out.push(finding("cmdi", "shell.dev-tcp", /[<>&]/.test(before) ? 0.95 : 0.75, m.index, m.index + m[0].length));
    }
  }
  let list: boolean | undefined;
  const plainList = () => (list ??= isPlainList(s));
  const whole = judgePosition(s, { sep: 0, at: 0, kind: "start" }, plainList, () => false, () => []);
  if (whole) out.push(whole);
  if (!(chars & HAS.POSITION)) return strongestPerRule(out);
  // A value that starts as a command line (or a script) runs its next lines too: they are that script, not an injection.
  let startsScript: boolean | undefined;
  const script = () => (startsScript ??= whole !== null || s.startsWith("#!") || commandOf(readWord(s, skipBlanks(s, 0), false).text) !== null);
  let fenceIndex: number[] | undefined;
  const fences = () => (fenceIndex ??= codeFences(s));
  let assigned: Map<string, Assignment> | undefined;
  forEachCommandPosition(s, (p) => {
    const f = judgePosition(s, p, plainList, script, fences);
    if (f) out.push(f);
    if (s.charCodeAt(skipBlanks(s, p.at)) !== 36) return;
    const run = variableRun(s, p, (assigned ??= assignments(s)));
    if (run) out.push(run);
  });
  return strongestPerRule(out);
}

/** Characters that open a command in a path segment (`/files/;id`, `/x/|id`, `/x/`id``, `/x/\nid`). */
const SEGMENT_BREAK = asciiSet(";|&`$'\"\\\n\r");

/** Parameters whose value a handler may run as it is: a debug endpoint's, a device's or a kubelet's `cmd`. */
const COMMAND_PARAMETER = /^(?:cmd|command|exec|execute|shell|cmdline)$/i;
/**
 * What an attacker runs first to see that a command ran: who and where the server is. A file manager's
 * `cmd=ls` or `cmd=chmod` is its own verb; none of these is one.
 */
const PROBE_COMMANDS = new Set(["id", "whoami", "uname", "hostname", "ifconfig", "ipconfig", "systeminfo", "netstat", "tasklist", "printenv"]);

/** What may follow the probe: nothing, its options or a separator (`whoami /all`, `id;`); `id desc` is a sort. */
const PROBE_ARGUMENTS = /^\s*(?:$|[-/;|&])/;

/** `cmd=id`, `command=whoami /all`: a probe command as the whole value of a parameter named for one. */
function namedProbeCommand(input: AnalyzerInput): Finding | null {
  if (input.kind !== "value" || !COMMAND_PARAMETER.test(input.name)) return null;
  const start = skipBlanks(input.text, 0);
  const found = commandAt(input.text, start, false);
  if (!found || !PROBE_COMMANDS.has(found.cmd.name) || !PROBE_ARGUMENTS.test(input.text.slice(found.word.end, found.word.end + 8))) return null;
  return finding("cmdi", "shell.named-command", 0.85, start, found.word.end);
}

function analyzeValue(input: AnalyzerInput): Finding[] {
  const found = analyzeShell(input.text, isBase64Reading(input.path));
  const named = namedProbeCommand(input);
  return named ? strongestPerRule([...found, named]) : found;
}

export const shellAnalyzer: Analyzer = {
  name: "shell",
  analyze: (input: AnalyzerInput) => (input.kind === "path" ? judgePath(input.text, SEGMENT_BREAK, analyzeShell) : analyzeValue(input)),
};
