/**
 * PowerShell that a command line injected into Windows runs: the constructs it uses to run code that
 * no word list names. The shell analyzer finds PowerShell's cmdlets and aliases by name after a
 * separator (`; Invoke-Expression $x`, `| iex`); these are the ways around a name:
 * - the call operator on an expression (`& ('who'+'ami')`, `&(gcm *ke-e*)`, `.($env:ComSpec[4,15,25]-join'')`,
 *   `&("{0}{1}" -f 'who','ami')`);
 * - an environment variable as the command (`$env:ComSpec /c whoami`);
 * - an alias made for a runner (`sal x iex; x 'whoami'`);
 * - a .NET type whose static members build and run code (`[ScriptBlock]::Create('whoami')`,
 *   `[Diagnostics.Process]::Start('cmd')`, `[Reflection.Assembly]::Load(...)`);
 * - a word spelled by character codes (`[char]119+[char]104+[char]111`), or with backticks inside
 *   (``I`E`X``);
 * - .NET's socket or web client made (`$c=New-Object Net.Sockets.TCPClient(...)`).
 * Helpdesk tickets and forum posts quote all of these, with prose before them or as the whole value.
 * Only where an injected command starts is read: the first separator, at the value's start or after one
 * short token (`; ...`, `127.0.0.1; ...`, `x|...`). That one position, and a bounded stretch after it,
 * keeps the check linear. A base64 reading is read from its start: a ticket quotes a script as text,
 * and base64 (UTF-16LE, for `-EncodedCommand`) is how a script travels to be run.
 */
import type { Finding } from "./finding.ts";
import { finding } from "./text.ts";

/** Characters one of the forms needs: checked first, so that most values cost one scan. */
const TRIGGER = /::|\$env:|\[char|\b(?:iex|invoke-expression)\s*[($'"]|\b(?:sal|set-alias|nal|new-alias)\s|[&.]\s*[($'"]|new-object|[a-z-]`[a-z]/i;

/**
 * Cmdlets and aliases that run or fetch code, to be read through backticks: PowerShell drops a backtick
 * before a letter it does not escape, so ``I`E`X`` and ``Inv`oke-Exp`ression`` run as `IEX`.
 */
const RUNNERS = new Set("iex invoke-expression iwr invoke-webrequest irm invoke-restmethod start-process saps new-object invoke-command icm invoke-item start-job add-type set-executionpolicy powershell pwsh".split(" "));
/** A word with a backtick inside it (or before it: ``` `i`e`x ```). */
const TICKED_WORD = /^`?[a-z][a-z-]*`[a-z`-]*/i;

/**
 * A separator (`;`, `|`, `||`, `&&`, a line break) at the value's start or after one short token: where
 * an injected command begins. A line break counts only after a value (`127.0.0.1`, `ping`), not after
 * a ticket's label (`Steps:`, `{`). A single `&` is left to the forms: it is PowerShell's call operator.
 */
const INJECTED_START = /^\s*((?:[^\s;|&`$()]{0,64}\s*(?:;|\|\|?|&&)|[\w.@-]{0,64}[ \t]*\r?\n))?\s*/;
/** How much of the command after that start the forms read. */
const COMMAND_REACH = 512;

const FORMS: { re: RegExp; strength: number }[] = [
  // A runner given code to run: `IEX (New-Object Net.WebClient).DownloadString(...)`, `iex $payload`.
  { re: /^(?:iex|invoke-expression)\s*[($'"]/i, strength: 0.9 },
  // The call operator on an expression that names or builds the command.
  { re: /^[&.]\s*\(\s*(?:gcm|gal|get-command|get-alias|\$env:|\[char|\[scriptblock\]|\(?\s*['"][^'"\n]{0,40}['"]\s*(?:\+|-f\b))/i, strength: 0.9 },
  { re: /^[&.]\s*\(?[^()\n]{0,80}-join\s*['"(]/i, strength: 0.9 },
  // An environment variable run as a command: `$env:ComSpec /c`, `& $env:ComSpec`, `$env:SystemRoot\System32\cmd.exe`.
  { re: /^(?:&\s*)?\$env:(?:ComSpec|SystemRoot|windir|PSHOME)\b(?:\s+\/[ck]\b|\\[\w\\]*\.exe\b|\[)/i, strength: 0.9 },
  // An alias made for a runner, to be called by its new name.
  { re: /^(?:sal|set-alias|nal|new-alias)\s+(?:-\w+\s+)?['"]?\w+['"]?\s+(?:-\w+\s+)?['"]?(?:iex|invoke-expression|icm|invoke-command)\b/i, strength: 0.9 },
  // Types whose static members build, load or start code: a script opens so too, so below proof.
  { re: /^[(\s]*\[(?:System\.)?(?:Management\.Automation\.)?(?:ScriptBlock|Diagnostics\.Process|Reflection\.Assembly|Activator|AppDomain|Runtime\.InteropServices\.Marshal)\]::\w+/i, strength: 0.8 },
  // .NET's socket and web clients made from the command line: a reverse shell's or a download cradle's first step.
  { re: /^(?:\$\w+\s*=\s*)?\(?\s*new-object\s+(?:-t[a-z]*\s+)?['"]?(?:system\.)?net\.(?:sockets\.tcp(?:client|listener)|webclient)\b/i, strength: 0.9 },
  // A COM object that runs commands or fetches code.
  { re: /^(?:\$\w+\s*=\s*)?\(?\s*new-object\s+-com[a-z]*\s+['"]?(?:wscript\.shell|shell\.application|msxml2\.xmlhttp|microsoft\.xmlhttp)\b/i, strength: 0.9 },
  // A word spelled by character codes, added up or listed, anywhere in the command.
  { re: /\[char\]\s*(?:\d{2,3}|0x[0-9a-f]{2})(?:\s*\+\s*\[char\]\s*(?:\d{2,3}|0x[0-9a-f]{2})){2}|\[char\[\]\]\s*\(\s*\d{2,3}(?:\s*,\s*\d{2,3}){2}/i, strength: 0.85 },
];

/** `encoded`: the value is a base64 reading, a script sent to be run, read from its start. */
export function powershellFindings(s: string, out: Finding[], encoded = false): void {
  if (!TRIGGER.test(s)) return;
  const start = INJECTED_START.exec(s)!;
  // A value that is a PowerShell line as a whole is a script quoted (a ticket that opens with the
  // command it ran): an injection breaks out of the value before it.
  if (start[1] === undefined && !encoded) return;
  const at = start[0].length;
  const command = s.slice(at, at + COMMAND_REACH);
  const ticked = TICKED_WORD.exec(command);
  if (ticked && RUNNERS.has(ticked[0].replaceAll("`", "").toLowerCase())) out.push(finding("cmdi", "shell.powershell", 0.9, at, at + ticked[0].length));
  for (const { re, strength } of FORMS) {
    const m = re.exec(command);
    if (m) out.push(finding("cmdi", "shell.powershell", strength, at + m.index, at + m.index + m[0].length));
  }
}
