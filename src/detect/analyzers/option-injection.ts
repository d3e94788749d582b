/**
 * Argument (option) injection: a value that is a tool's options, for an application that puts it on a
 * command line with no `--` before it (a file name to tar, a repository URL to git, an address to
 * sendmail). There is no separator to break out with: the options themselves make the tool run a
 * program (`--checkpoint-action=exec=sh x`, `-oProxyCommand=...`, `--upload-pack=...`), or read or write
 * a file it should not (`--post-file=/etc/passwd`, sendmail's `-X/var/www/x.php` log).
 *
 * Only a value that starts with a dash is looked at: an option anywhere else is a command line quoted
 * in prose, which the shell analyzer judges.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { finding } from "./text.ts";

/**
 * Options whose argument the tool runs as a command: tar's checkpoint action, command filter and
 * compressor; ssh's and scp's ProxyCommand and LocalCommand; git's pack programs and the config keys
 * that name a command; rsync's remote shell; zip's test command; find's -exec.
 */
const RUNS_COMMAND =
  /(?:^|\s)(?:--checkpoint-action=exec=|--to-command=|--use-compress-program=|--rsh=|--rsync-path=|--upload-pack=|--receive-pack=|-o\s*['"]?(?:ProxyCommand|LocalCommand|PermitLocalCommand=yes)|(?:-c\s*|--config[=\s])core\.(?:sshCommand|pager|editor|fsmonitor|hooksPath)=|--unzip-command=|-TT\s*=?\s*\S|-e\s*['"]?(?:sh|bash)\b|-exec(?:dir)?\s+\S)/i;

/**
 * Options that send a local file away or write one where the tool should not: wget's --post-file and
 * --body-file, curl's form upload and --upload-file of an absolute path, sendmail's log file (`-X`),
 * and an output file or directory under a web root or a system directory.
 */
const MOVES_FILE =
  /(?:^|\s)(?:--(?:post|body)-file=\/|-F\s*['"]?[\w-]+=@\/|(?:--upload-file|-T)\s+\/\w|-X\s*\/|-O\s*QueueDirectory=|(?:-o|-O|--output(?:-document)?[=\s]|--directory-prefix=|-P)\s*\/(?:var\/www|srv|etc|root|home|usr|tmp)\/)/;

function analyzeOptions(input: AnalyzerInput): Finding[] {
  const text = input.text;
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  if (text.charCodeAt(i) !== 45 /* - */) return [];
  const runs = RUNS_COMMAND.exec(text);
  if (runs) return [finding("cmdi", "options.runs-command", 0.9, runs.index, runs.index + runs[0].length)];
  const moves = MOVES_FILE.exec(text);
  return moves ? [finding("cmdi", "options.moves-file", 0.85, moves.index, moves.index + moves[0].length)] : [];
}

export const optionInjectionAnalyzer: Analyzer = {
  name: "options",
  analyze: (input) => (input.kind === "path" ? [] : analyzeOptions(input)),
};
