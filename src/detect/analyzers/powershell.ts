/**
 * PowerShell that a command line injected into Windows runs: the constructs it uses to run code that
 * no word list names. The shell analyzer finds PowerShell's cmdlets and aliases by name after a
 * separator (`; Invoke-Expression $x`, `| iex`); these are the ways around a name:
 * - the call operator on an expression (`& ('who'+'ami')`, `&(gcm *ke-e*)`, `.($env:ComSpec[4,15,25]-join'')`);
 * - an environment variable as the command (`$env:ComSpec /c whoami`);
 * - an alias made for a runner (`sal x iex; x 'whoami'`);
 * - a .NET type whose static members build and run code (`[ScriptBlock]::Create('whoami')`,
 *   `[Diagnostics.Process]::Start('cmd')`, `[Reflection.Assembly]::Load(...)`);
 * - a word spelled by character codes (`[char]119+[char]104+[char]111`).
 * None is prose's: PowerShell alone writes `[Type]::Member` or puts `&` before a parenthesis.
 */
import type { Finding } from "./finding.ts";
import { finding } from "./text.ts";

/** Characters one of the forms needs: checked first, so that most values cost one scan. */
const TRIGGER = /::|\$env:|\[char|\b(?:sal|set-alias|nal|new-alias)\s|[&.]\s*[($'"]/i;

/** Where a command starts: the value's start, a separator, a line, a subexpression or a block. */
const COMMAND_START = String.raw`(?:^|[;|&\n{]|\$\()\s*`;

const FORMS: { re: RegExp; strength: number }[] = [
  // The call operator on an expression that names or builds the command.
  { re: new RegExp(String.raw`${COMMAND_START}[&.]\s*\(\s*(?:gcm|get-command|get-alias|\$env:|\[char|\(?\s*['"][^'"\n]{0,40}['"]\s*\+)`, "i"), strength: 0.9 },
  { re: new RegExp(String.raw`${COMMAND_START}[&.]\s*\(?[^()\n]{0,80}-join\s*['"(]`, "i"), strength: 0.9 },
  // An environment variable run as a command: `$env:ComSpec /c`, `& $env:ComSpec`, `$env:SystemRoot\System32\cmd.exe`.
  { re: new RegExp(String.raw`${COMMAND_START}(?:&\s*)?\$env:(?:ComSpec|SystemRoot|windir|PSHOME)\b(?:\s+\/[ck]\b|\\[\w\\]*\.exe\b|\[)`, "i"), strength: 0.9 },
  // An alias made for a runner, to be called by its new name.
  { re: /\b(?:sal|set-alias|nal|new-alias)\s+(?:-\w+\s+)?['"]?\w+['"]?\s+(?:-\w+\s+)?['"]?(?:iex|invoke-expression|icm|invoke-command|saps|start-process|cmd|powershell)\b/i, strength: 0.9 },
  // Types whose static members build, load or start code.
  { re: /\[(?:System\.)?(?:Management\.Automation\.)?(?:ScriptBlock|Diagnostics\.Process|Reflection\.Assembly|Activator|AppDomain|Runtime\.InteropServices\.Marshal)\]::\w+/i, strength: 0.9 },
  // A word spelled by character codes, joined or added up.
  { re: /(?:\[char\]\s*\d{2,3}\s*\+\s*){2,}\[char\]\s*\d{2,3}|\[char\[\]\]\s*\(\s*\d{2,3}(?:\s*,\s*\d{2,3}){2,}\s*\)/i, strength: 0.8 },
];

export function powershellFindings(s: string, out: Finding[]): void {
  if (!TRIGGER.test(s)) return;
  for (const { re, strength } of FORMS) {
    const m = re.exec(s);
    if (m) out.push(finding("cmdi", "shell.powershell", strength, m.index, m.index + m[0].length));
  }
}
