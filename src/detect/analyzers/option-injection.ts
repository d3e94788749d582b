/**
 * Argument (option) injection: a value that is a tool's options, for an application that puts it on a
 * command line with no `--` before it (a file name to tar, a repository URL to git, an address to
 * sendmail). There is no separator to break out with: the options themselves make the tool run a
 * program (`--checkpoint-action=exec=sh x`, `-oProxyCommand=...`, `--upload-pack=...`), or read or write
 * a file it should not (`--post-file=/etc/passwd`, sendmail's `-X/var/www/x.php` log).
 *
 * Only a value that opens with an option (`-x`, `--name`: not a Markdown bullet's `- `, a rule's `---`
 * or a signature's `-- `), or with one token and then an option, is looked at, and only its first line
 * up to a `--` that ends the options: an option further on is a command line quoted in prose, which
 * the shell analyzer judges.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { commandOf } from "./shell.ts";
import { finding } from "./text.ts";

/**
 * A value that opens with an option (a dash and a letter, or two dashes and a letter), or with one
 * token and then an option: the address that sendmail's `-f` was given (`a@b.c -X/var/www/x.php`), the
 * name that find's `-name` was (`x -exec id ;`), or a host and a port (nc's `10.0.0.1 4444 -e /bin/sh`). A token that is itself a command's name makes a
 * command line (`git -c core.sshCommand=... clone`, quoted in help text), which the shell analyzer judges.
 */
const OPENS_WITH_OPTION = /^[ \t]*(?:([^\s-][^\s]{0,63})[ \t]+(?:\d{1,5}[ \t]+)?)?--?[A-Za-z]/;
/** Where the options end: a line break, or `--` on its own. */
const OPTIONS_END = /[\r\n]|\s--(?=\s|$)/;

/**
 * Options whose argument the tool runs as a command: tar's checkpoint action, command filter and
 * compressor; ssh's and scp's ProxyCommand and LocalCommand; git's pack programs, `--exec` (the program
 * it runs on the other side) and the config keys that name a command; rsync's remote shell; zip's test
 * command; find's -exec up to its `;` or `+`; an interpreter given to a tool's `-e` (a shell or cmd.exe
 * also to nc's `-e` and `-c` and ncat's `--sh-exec`); a shell as tar's `-I` compressor; git grep's pager
 * (`--open-files-in-pager`), wget's `--use-askpass` program. Long options also
 * abbreviated, as getopt_long takes any unique prefix, with `=` or a blank before the argument.
 */
const RUNS_COMMAND = new RegExp(
  String.raw`(?:^|\s)(?:--exec(?:=|\s+)\S|--checkpoint-a[a-z]*[=\s]+['"]?exec=|--to-c[a-z]*[=\s]|--use-compress-p[a-z]*[=\s]|--rsh[=\s]|--rsync-p[a-z]*[=\s]|--upload-p[a-z]*[=\s]|--receive-p[a-z]*[=\s]|` +
    String.raw`-o\s*['"]?(?:ProxyCommand|LocalCommand|PermitLocalCommand=yes)|(?:-c\s*|--config[=\s])['"]?(?:core\.(?:sshCommand|pager|fsmonitor|hooksPath)|protocol\.ext\.allow)=|` +
    String.raw`--unzip-c[a-z]*[=\s]|-TT[\s=]*\S|--open-files-in-p[a-z]*[=\s]|--use-askp[a-z]*[=\s]|-I\s*['"]?(?:\/(?:usr\/(?:local\/)?)?s?bin\/)?(?:ba|z|da|k)?sh\b|(?:-e|-c|--sh-exec[=\s]|--exec[=\s])\s*(?:['"]?\/(?:usr\/(?:local\/)?)?s?bin\/(?:ba|z|da|k|c|tc)?sh\b|['"]?(?:cmd|powershell|pwsh)(?:\.exe)?(?=['"\s]|$)|['"](?:sh|bash|zsh|dash|ksh|python[0-9.]*|perl|ruby|node|php)\b|(?:sh|bash|zsh|dash|ksh|python[0-9.]*|perl|ruby|node|php)(?=\s*$|\s+-))|-exec(?:dir)?\s+\S[^\r\n]{0,200}?(?:\\?;|\s\+)(?=\s|$))`,
  "i",
);

/**
 * Options that send a local file away or write one where the tool should not: wget's --post-file and
 * --body-file, curl's form and data uploads and --upload-file of an absolute path, sendmail's log file
 * (`-X`) and queue directory, find's -fprint, -fprintf and -fls, curl's and wget's options read from a file
 * where anyone may write or uploads land (`--config=/tmp/x`, `-K /var/www/uploads/x`: a config file
 * uploaded first sets the output and the URL; a CI job's `--config /etc/app/config.yaml` is its own), and an output
 * file or directory (ImageMagick's `-write` among them) under a web root or a system directory.
 */
const MOVES_FILE = new RegExp(
  String.raw`(?:^|\s)(?:--(?:post|body)-f[a-z]*[=\s]+\/|(?:-F|--form)\s*['"]?[\w-]+=@\/|(?:-d|--data(?:-binary|-raw|-urlencode)?)[=\s]*['"]?@\/|(?:--upload-f[a-z]*[=\s]+|-T\s*)\/\w|` +
    String.raw`-X\s*\/|-O\s*QueueDirectory=|-f(?:printf?|print0|ls)\s+\/|(?:-K\s*|--config[=\s]+)['"]?\/(?:(?:tmp|var\/tmp|dev\/shm)\/|\S*upload)|` +
    String.raw`(?:-o|-O|--output(?:-document)?[=\s]|--directory-prefix=|-P|[-+]write\s)\s*\/(?:var\/www|srv|etc|root|usr)\/)`,
);

/**
 * Exim's string expansion that runs a program or reads a file or socket, `${run{/bin/sh -c id}}`,
 * `${readfile{/etc/passwd}}`: what an address or a header that Exim expands executes (CVE-2019-10149),
 * and what `-be` evaluates. No other language spells it.
 */
const EXIM_RUN = /\$\{\s*(?:run|readfile|readsocket)\s*\{/i;

/**
 * Values that are a tool's own syntax for running a program or reading a file, whatever the options:
 * git's `ext::` remote helper runs its command (`ext::sh -c id`, as a repository URL); ImageMagick
 * reads a file as a caption's or label's text (`caption:@/etc/passwd`) and runs an MSL script
 * (`msl:/tmp/x.msl`); Ghostscript's `%pipe%` output runs a command; an SSH URL whose host starts with
 * `-` is ssh's option when a client hands the host on (`ssh://-oProxyCommand=id/x`: git, hg and svn's
 * clone of a URL, CVE-2017-1000117), as no host name starts so. Each at the value's start, where
 * the tool reads its argument, except `%pipe%`, which a PostScript document holds anywhere.
 */
const TOOL_SYNTAX = /^\s*(?:ext::\s*\S|(?:ssh|git\+ssh|ssh\+git|svn\+ssh|hg\+ssh|bzr\+ssh|sftp|scp|rsync):\/\/-\w|(?:caption|label|text|pango):@(?:\/|\.\.)|(?:msl|ephemeral):(?:\/|\.\.?\/|[A-Za-z]:[\\/]))|%pipe%\s*\S/i;

/** The tools whose options these are, and every command the shell analyzer knows: a value that opens with one is a command line. */
const OPTION_TOOLS = new Set("git ssh scp sftp tar rsync zip unzip find sendmail exim wget curl convert magick mogrify nc ncat netcat".split(" "));
const namesTool = (token: string) => OPTION_TOOLS.has(token.slice(token.lastIndexOf("/") + 1).toLowerCase()) || commandOf(token) !== null;

/** The shell's word separator spelled out (`${IFS}`, `$IFS`, `$IFS$9`, whose `$9` is empty): blanks of the same length to the options it separates. */
const IFS = /\$\{IFS\}|\$IFS(?:\$\d)?/g;

function analyzeOptions(input: AnalyzerInput): Finding[] {
  const text = input.text.indexOf("IFS") === -1 ? input.text : input.text.replace(IFS, (m) => " ".repeat(m.length));
  const exim = text.indexOf("${") !== -1 ? EXIM_RUN.exec(text) : null;
  if (exim) return [finding("cmdi", "options.exim-run", 0.9, exim.index, exim.index + exim[0].length)];
  const tool = text.indexOf(":") !== -1 || text.indexOf("%pipe%") !== -1 ? TOOL_SYNTAX.exec(text) : null;
  if (tool) return [finding("cmdi", "options.tool-syntax", 0.85, tool.index, tool.index + tool[0].length)];
  const opening = OPENS_WITH_OPTION.exec(text);
  if (!opening || (opening[1] !== undefined && namesTool(opening[1]))) return [];
  const end = OPTIONS_END.exec(text)?.index ?? text.length;
  const options = text.slice(0, end);
  const runs = RUNS_COMMAND.exec(options);
  if (runs) return [finding("cmdi", "options.runs-command", 0.9, runs.index, runs.index + runs[0].length)];
  const moves = MOVES_FILE.exec(options);
  return moves ? [finding("cmdi", "options.moves-file", 0.85, moves.index, moves.index + moves[0].length)] : [];
}

export const optionInjectionAnalyzer: Analyzer = {
  name: "options",
  analyze: (input) => (input.kind === "path" ? [] : analyzeOptions(input)),
};
