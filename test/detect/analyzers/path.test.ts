import { describe, expect, test } from "bun:test";
import { pathAnalyzer } from "../../../src/detect/analyzers/path.ts";
import { evidence, junk, strength, strongest } from "./helpers.ts";

const s = (text: string, name = "file") => strength(pathAnalyzer, text, { name, path: `query.${name}` });
const p = (text: string) => strength(pathAnalyzer, text, { kind: "path", location: "path", path: "path", name: "" });

describe("path analyzer", () => {
  test("traversal that escapes the root, however the parents are spelled", () => {
    for (const v of ["../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "....//....//....//etc/passwd", "..;/..;/WEB-INF/web.xml", "foo/../../../../proc/self/environ", "..\u0000/..\u0000/etc/passwd", "..\u2215..\u2215..\u2215etc\u2215shadow"]) {
      expect(s(v)).toBeGreaterThanOrEqual(0.9);
    }
    expect(strongest(pathAnalyzer, "../../../../etc/passwd")!.class).toBe("traversal");
  });

  test("the escape depth sets the strength when no known file is reached", () => {
    expect(s("../img/a.png")).toBe(0.5);
    expect(s("../../x/y")).toBe(0.7);
    expect(s("../../../x/y")).toBe(0.85);
    // Resolving inside the root is no escape.
    expect(s("a/b/../c")).toBe(0);
    // An ellipsis in prose is no parent directory.
    expect(s("wait... ok")).toBe(0);
  });

  test("a short climb to a static file, inside markup or Markdown, is a page's or a document's relative link: weak", () => {
    for (const v of ['<link rel="stylesheet" href="../css/style.css">', '<img src="../../images/logo.png">', "[Setup guide](../../docs/setup.md)"]) expect(s(v)).toBe(0.3);
    // The whole value of a file parameter, deeper, spelled to pass a filter, or to a file a site hides: a traversal.
    expect(s("../../uploads/shell.png")).toBe(0.7);
    expect(s("../../../images/logo.png")).toBe(0.85);
    expect(s("....//....//img/a.png")).toBeGreaterThanOrEqual(0.8);
    expect(s("../../app/config.php")).toBe(0.7);
  });

  test("absolute sensitive files, Windows and Unix", () => {
    expect(s("/etc/passwd")).toBe(0.9);
    expect(s("C:\\Windows\\System32\\drivers\\etc\\hosts")).toBe(0.9);
    expect(s("c:\\boot.ini")).toBeGreaterThanOrEqual(0.85);
    expect(s("/etc/hostname.ge2")).toBe(0.8);
    // The same file named in a sentence is weak; a relative `etc/passwd` is a word.
    expect(s("how do I edit /etc/hosts on a mac")).toBe(0);
    expect(s("docs/etc/passwd-policy")).toBe(0);
  });

  test("a system path named among words of prose reaches no file: under the bound on weak evidence", () => {
    for (const v of ["check /var/log/syslog for errors", "/etc/hosts 修改", "请检查 /etc/hosts。", "日志路径在 /var/log/app/error.log，我看了一下全是 timeout。", "C:\\Windows\\System32\\cmd.exe 打不开", "/etc/passwd 文件格式是什么", "/etc/hosts文件怎么改"]) {
      expect([v, s(v) < 0.5]).toEqual([v, true]);
    }
    // Punctuation, a single letter or another path beside it is no prose: the mention stays at 0.5; the whole value is the read.
    for (const v of ["/etc/passwd?", "/etc/passwd|", "x /etc/passwd", "/etc/passwd /etc/shadow", "/etc/passwd .jpg"]) expect([v, s(v)]).toEqual([v, 0.5]);
    // A command that reads the file it is given makes a command line: `; gc C:\Windows\win.ini` is PowerShell's Get-Content.
    for (const v of ["; gc C:\\Windows\\win.ini", "type C:\\Windows\\win.ini", "sudo cat /etc/shadow", "include /etc/passwd"]) expect([v, s(v)]).toEqual([v, 0.5]);
    expect(s("/etc/passwd")).toBe(0.9);
    expect(s("/var/log/nginx/access.log")).toBe(0.9);
    // Words far from the path are not read: a megabyte of runs stays linear.
    expect(s("/etc/passwd?" + "?".repeat(40) + " and more words")).toBe(0.5);
    expect(s("/etc/x ".repeat(150_000))).toBe(0.5);
  });

  test("words after a NUL byte are no part of the file name: the path is still a mention, not prose", () => {
    // A C string ends at the NUL (what `%00` truncation relies on): the file opened is the path alone.
    for (const v of ["/etc/passwd\0 hello world", "/etc/hostname\0 ab cd", "/etc/hosts\0 修改"]) expect([v, s(v)]).toEqual([v, 0.5]);
    // Run into the path after the NUL, CJK text is cut off with the rest: the whole value reads the file.
    expect(s("/etc/shadow\0文件")).toBe(0.9);
    // Before the path, or before the NUL, the words are still the name's.
    expect(s("check /etc/passwd\0 for errors")).toBe(0);
  });

  test("bracket globs that a shell resolves to a sensitive file", () => {
    expect(s("/[e]tc/pa[s]swd")).toBe(0.9);
    expect(s("/etc/sh[a]dow")).toBe(0.9);
    expect(s("/[a-z]/x")).toBe(0);
  });

  test("an upload's file name with a parent directory, in either slash", () => {
    const upload = (text: string, kind: "filename" | "part-header" = "filename") => strength(pathAnalyzer, text, { kind, location: "body", name: "file" });
    expect(upload("../1.7z")).toBe(0.85);
    expect(upload("..\\x.png")).toBe(0.85);
    expect(upload('form-data; name="f"; filename="../../a.jsp"', "part-header")).toBe(0.85);
    expect(upload("report..final.pdf")).toBe(0);
  });

  test("PHP stream wrappers are local file inclusion", () => {
    for (const v of ["php://filter/convert.base64-encode/resource=index.php", "expect://id", "phar://./uploads/x.jpg/a", "data://text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWzBdKTs/Pg=="]) {
      expect(s(v)).toBeGreaterThanOrEqual(0.85);
    }
    expect(s("file:///etc/passwd")).toBeGreaterThanOrEqual(0.85);
    expect(s("data:image/png;base64,iVBORw0KGgo=")).toBe(0);
    // A system location as the resource markup or CSS loads: what a server that renders it reads.
    for (const v of ['<svg><image xlink:href="file:///etc/passwd" width="9"/></svg>', "body{background:url(file:///proc/self/environ)}", "<img src='file:///C:/Windows/win.ini'>"]) expect([v, s(v, "doc")]).toEqual([v, 0.85]);
    // A document pasted from a desktop loads the user's own files; a link to a share is a link.
    for (const v of ['<img src="file:///C:/Users/ann/Desktop/photo.jpg">', '<a href="file://fileserver/share/doc.pdf">doc</a>']) expect([v, s(v, "doc")]).toEqual([v, 0]);
  });

  test("remote file inclusion: a URL to a script, or ending in ? to cut the suffix", () => {
    const rfi = strongest(pathAnalyzer, "http://198.51.100.7/shell.txt?", { name: "page" })!;
    expect([rfi.class, rfi.rule, rfi.strength]).toEqual(["rfi", "path.remote-include", 0.85]);
    expect(s("http://198.51.100.7/c99.php", "include")).toBe(0.85);
    expect(s("https://foo.example", "_CONF[path]")).toBe(0.5);
    // A bare name ending in ? (a paste site's raw text): strong under a name an include takes, moderate elsewhere.
    expect(s("https://pastebin.example/raw/AbCdEf12?", "page")).toBe(0.85);
    expect(s("https://pastebin.example/raw/AbCdEf12?", "ref")).toBe(0.6);
    // Links are not inclusions: a page, an image with a trailing ?, a search URL.
    expect(s("https://www.example.com/products/index.php", "url")).toBe(0);
    expect(s("https://p1.example-cdn.com/img/a~tplv:240.awebp?", "name")).toBe(0);
    expect(s("https://www.google.com/search?q=x", "ref")).toBe(0);
  });

  test("an image on a site's host under a name that shows it, or a page under a name that says it is an address, is no inclusion", () => {
    const shown: [string, string][] = [
      ["https://img.example.com/a/b/c.jpg", "src"], ["https://cdn.example.com/upload/2023/12/a.png", "file"], ["https://www.example.com/static/a.gif", "show"],
      ["https://www.example.com/list.jsp", "page_url"], ["https://www.example.com/index.php?id=1", "pageUrl"],
    ];
    for (const [v, name] of shown) expect([v, name, s(v, name)]).toEqual([v, name, 0]);
    // A shell in a picture under an include's name, or on a bare address; a script or text file anywhere.
    expect(s("http://evil.example/shell.jpg", "page")).toBe(0.7);
    expect(s("http://evil.example/shell.png", "include")).toBe(0.7);
    expect(s("http://198.51.100.7/a.jpg", "src")).toBe(0.85);
    expect(s("https://evil.example/shell.txt", "src")).toBe(0.7);
    expect(s("http://evil.example/c99.php", "file")).toBe(0.7);
  });

  test("source served as text under a name only an include takes, a fragment that cuts the suffix, an include from a share", () => {
    for (const [v, name] of <[string, string][]>[["https://transfer.example/get/Hk3kq/sh.txt", "page"], ["http://evil.example/r57.inc", "template"], ["https://gist.example/raw/x.sh", "module"]]) {
      expect([v, name, s(v, name)]).toEqual([v, name, 0.85]);
    }
    const cases: [string, string, number][] = [
      // A query that is only a file's name makes the URL end as an upload or include check wants.
      ["https://evil.example/?.jpg", "page", 0.85], ["https://evil.example/shell?x.png", "template", 0.85], ["https://cdn.example.com/photo?w=200&fmt=.png", "page", 0],
      // `#` drops the appended `.php` as `?` does.
      ["http://evil.example/shell.txt#", "template_url", 0.85], ["https://pastebin.example/raw/AbCdEf12#", "page", 0.85],
      // PHP's include opens a share (`//host/share/x.php`, `\\host\share\x.php`) over SMB on Windows.
      ["//198.51.100.7/share/shell.php", "lang", 0.85], ["\\\\198.51.100.7\\share\\shell.php", "page", 0.85], ["//files.example/share/shell.php", "include", 0.7],
    ];
    for (const [v, name, want] of cases) expect([v, name, s(v, name)]).toEqual([v, name, want]);
    // A page or a link under other names, an image a page shows, a share's page with a query: no inclusion.
    for (const [v, name] of <[string, string][]>[["//cdn.example.com/x/about.php", "next"], ["//img.example.com/a.png", "page"], ["//cdn.example.com/about?", "page"], ["https://www.example.com/news#top", "page"]]) {
      expect([v, name, s(v, name)]).toEqual([v, name, 0]);
    }
  });

  test("a file's NTFS data stream named (a source read past a handler mapped by extension)", () => {
    for (const v of ["view::$DATA", "index.php::$DATA", "/files/web.config::$DATA", "index.php::$data", "login.aspx::$Data"]) expect([v, s(v)]).toEqual([v, 0.85]);
    expect(p("/index.asp::$DATA")).toBe(0.85);
    // A directory's index stream opens the directory itself, in any case, with or without its name $I30.
    for (const v of ["admin::$INDEX_ALLOCATION", "/uploads/x::$index_allocation/", "files:$I30:$INDEX_ALLOCATION", "a.php::$INDEX_ALLOCATION"]) expect([v, s(v)]).toEqual([v, 0.85]);
    for (const v of ["$INDEX_ALLOCATION", "index allocation", "Foo::$index_allocations"]) expect([v, s(v)]).toEqual([v, 0]);
    for (const v of ["std::vector", "Foo::$bar", "a::$DATABASE", "return self::$data;", "static::$DATA['db']", "Config::$DATA;", "Foo::$data", "$this->x = parent::$data", "a.php::$database"]) expect([v, s(v)]).toEqual([v, 0]);
  });

  test("UNC paths", () => {
    expect(evidence(pathAnalyzer, "\\\\198.51.100.7\\share\\x.php")).toBe("\\\\198.51.100.7\\share");
  });

  test("Tomcat's `..;/` climbs in a value too, at proof strength: no text writes it; an ellipsis stays weaker", () => {
    for (const v of ["..;/manager/html", "..;/..;/admin"]) expect([v, s(v)]).toEqual([v, 0.85]);
    expect(s(".../admin")).toBeLessThan(0.85);
  });

  test("a file in a Java web application's private WEB-INF directory, which the container never serves", () => {
    for (const v of ["WEB-INF/classes/application.properties", "/WEB-INF/lib/app.jar", "web-inf/classes/db.properties"]) expect([v, s(v)]).toEqual([v, 0.85]);
    // The directory alone names no file; in a sentence it is a mention.
    for (const v of ["WEB-INF", "WEB-INF/", "see WEB-INF/classes for the config"]) expect([v, s(v) < 0.5]).toEqual([v, true]);
  });

  test("a file in ASP.NET's private App_Data and App_Code directories, which IIS never serves", () => {
    for (const v of ["~/App_Data/users.mdf", "App_Data/ASPNETDB.MDF", "/app_code/Db.cs"]) expect([v, s(v)]).toEqual([v, 0.85]);
    // Many a program's own `app_data` folder holds its files (a Docker volume's uploads, a report).
    for (const v of ["App_Data", "~/App_Data/", "app_data_export.csv", "/srv/app_data/uploads/photo.jpg", "app_data/reports/2024.csv"]) expect([v, s(v) < 0.5]).toEqual([v, true]);
  });

  test("the URL path: traversal, dot segments, Tomcat's ..;, sensitive and hidden files", () => {
    expect(p("/static/../../etc/passwd")).toBe(0.95);
    expect(p("/a/../b")).toBe(0.85);
    expect(p("/app/..;/manager/html")).toBe(0.85);
    expect(p("/.git/config")).toBe(0.7);
    expect(p("/.claude/settings.json")).toBe(0.6);
    // Developer tools' credentials are sensitive files, not just hidden ones.
    for (const v of ["/.npmrc", "/.kube/config", "/.cursor/mcp.json", "/.vscode/sftp.json", "/.roo/mcp.json", "/.n8n/config"]) expect(p(v)).toBe(0.7);
    expect(p("/.vscode/settings.json")).toBe(0.6);
    expect(p("/.well-known/security.txt")).toBe(0);
    expect(p("/.auth/login/aad/callback")).toBe(0);
    expect(p("/.authorized_keys")).toBe(0.6);
    expect(p("/cgi-bin/x.cgi")).toBe(0);
    expect(p("/v1.0/me/drive/root:/report (1).pdf:/content")).toBe(0);
  });

  test("keys name files and folders (a lockfile's, a map's); only a climb out or a stream wrapper counts there", () => {
    const key = (text: string) => strongest(pathAnalyzer, text, { kind: "key" })?.rule ?? null;
    for (const v of ["node_modules/@babel/core", "/usr/lib/x.so", "/etc/passwd", "C:\\Windows\\win.ini", "src/a.ts", "../lib", "../../packages/a", "../../../shared/utils"]) expect([v, key(v)]).toEqual([v, null]);
    expect(key("../../../../root/.bash_history")).toBe("path.traversal");
    expect(key("php://filter/convert.base64-encode/resource")).toBe("path.wrapper");
  });

  test("a 1 MB value is judged whole, and binary junk gives no throw", () => {
    expect(s("x".repeat(1_000_000) + " ../../../../etc/passwd")).toBe(0.95);
    expect(s("../".repeat(300_000))).toBe(0.85);
    expect(() => pathAnalyzer.analyze({ text: junk(200_000), location: "body", path: "body", name: "", kind: "text" })).not.toThrow();
    expect(s("")).toBe(0);
  });
});

describe("climbs a filter did not see", () => {
  const climb = (text: string) => Math.max(0, ...pathAnalyzer.analyze({ text, location: "query", path: "query.file", name: "file", kind: "value" }).map((f) => f.strength));

  test("dots glued to a name by an encoded separator the filter did not decode, up to a system file", () => {
    expect(climb("........boot.ini")).toBeGreaterThanOrEqual(0.8);
    expect(climb("..\uEFC8..\uEFC8..\uEFC8etc/passwd")).toBeGreaterThanOrEqual(0.8);
  });

  test("dots and slashes spelled 0x2e, 0x2f, 0x5c on the way to a system file", () => {
    expect(climb("0x2e0x2e/0x2e0x2e/etc/passwd")).toBeGreaterThanOrEqual(0.8);
    expect(climb("..0x5c..0x5cwindows\\win.ini")).toBeGreaterThanOrEqual(0.8);
  });

  test("parents on the way to a system file, even when they do not climb above the value's start", () => {
    expect(climb("/api/v1/items/../../windows/system32/drivers/etc/hosts")).toBeGreaterThanOrEqual(0.8);
    expect(climb("docs/../manual/intro.html")).toBeLessThan(0.8);
  });

  test("ellipses in prose and hex numbers are not climbs", () => {
    expect(climb("wait....and then it broke")).toBe(0);
    expect(climb("....and then")).toBe(0);
    expect(climb("color 0x2e0x2f is a code")).toBe(0);
  });

  test("three dots or more that end a path lead nowhere: Go's package pattern and an ellipsis; before a step they still climb", () => {
    for (const v of ["go test ./...", "go build ./... && go test ./...", "run: go vet ./...", "see ./..."]) expect([v, s(v)]).toEqual([v, 0]);
    expect(s(".../.../.../etc/passwd")).toBeGreaterThanOrEqual(0.9);
    expect(s("....//....//etc/passwd")).toBeGreaterThanOrEqual(0.9);
    expect(s(".../...//...")).toBeGreaterThanOrEqual(0.8);
    expect(s("../../...")).toBeGreaterThanOrEqual(0.7);
  });
});

describe("climbs spelled in junk, up to a system file", () => {
  const climb = (text: string, name = "file") => Math.max(0, ...pathAnalyzer.analyze({ text, location: "query", path: `query.${name}`, name, kind: "value" }).map((f) => f.strength));

  test("dot-dot units spelled with broken escapes, stray bytes, ? or NUL, joined to the file's segments by the same junk", () => {
    for (const v of [
      "..%c0%qf..%c0%qfetc%c0%qfpasswd",
      "%c0.%c0.%uEFC8boot.ini",
      "?./?./windows/system32/drivers/etc/hosts",
      "..%2%f..%2%fetc%2%fissue",
      "%252e%252e%c1%af%252e%252e%c1%afboot.ini",
      "%\u00c0n\u00c0n%5%cetc%5%cpasswd",
      ".\u0000.%uF025.\u0000.%uF025windows%uF025system32%uF025drivers%uF025etc%uF025hosts",
      "/api/v1/items/..%uF025..%uF025etc%uF025passwd",
      "..%c0%qf..%c0%qf.htpasswd%00",
    ]) expect(climb(v)).toBeGreaterThanOrEqual(0.8);
    // Junk before a root is still that root.
    expect(climb("%00/etc/passwd%00")).toBe(0.9);
  });

  test("prose and words next to a system file's name are no climb", () => {
    expect(climb("wait...etc/hosts")).toBe(0);
    expect(climb("v1.2...etc/passwd")).toBe(0);
    expect(climb("and so on... etc. passwd")).toBe(0);
    expect(climb("etc%20passwd")).toBe(0);
    expect(climb("~/etc/passwd")).toBe(0);
    expect(climb("./etc/passwd")).toBe(0);
  });

  test("in a path, a climb in a route parameter counts with a few more segments after it", () => {
    for (const path of ["/files/À.À./À.À./etc/shadow/view", "/dl/..%c0%qf..%c0%qfetc%c0%qfpasswd/raw/1", "/x/?.0x2f?.0x2fetc0x2fpasswd/view"]) expect(p(path)).toBeGreaterThanOrEqual(0.8);
    // The path's own names after a word with dots are no climb.
    for (const path of ["/docs/wait.../etc/passwd-manual/view", "/blog/v1.2...etc/hosts/comments"]) expect(p(path)).toBeLessThan(0.8);
  });

  test("a climb inside one route segment, its slash escaped past the router, is strong wherever it leads", () => {
    const segment = (text: string, path = "path.segment[3]~url") => strength(pathAnalyzer, text, { location: "path", kind: "value", path, name: "" });
    expect(segment("../console.portal")).toBe(0.85);
    expect(segment("..\\admin", "path.segment[1]")).toBe(0.85);
    // The same one-level climb in a parameter is a relative link's.
    expect(s("../console.portal")).toBe(0.5);
    expect(segment("report.2024.pdf")).toBe(0);
  });

  test("a 1 MB run of junk is read once", () => {
    expect(climb("%c0%qf".repeat(170_000) + "etc%c0%qfpasswd")).toBe(0.9);
    expect(climb("%c0%qf".repeat(170_000) + "xpasswd")).toBe(0);
    expect(climb("%" + "25".repeat(500_000) + "2epasswd")).toBe(0);
    expect(climb("\u00c0n".repeat(500_000) + "hosts")).toBe(0);
  });
});

describe("absolute paths inside a value, and server logs", () => {
  const v = (text: string) => strength(pathAnalyzer, text, { name: "file", path: "query.file" });

  test("a directory joined with an absolute name (`//`, a drive, Vite's /@fs/) reads from the root", () => {
    expect(v("/files//etc/shadow")).toBe(0.9);
    expect(v("/files/C:/windows/system32/config/sam")).toBe(0.9);
    expect(p("/@fs/etc/passwd")).toBe(0.9);
    // Not at a root: a file named like a system one in a site's tree.
    expect(v("/a//b/etc/passwd")).toBe(0);
    expect(v("/docs/etc/passwd")).toBe(0);
  });

  test("an absolute path into the system directories counts even when it names a file deeper down", () => {
    expect(v("/proc/self/fd/35/etc/passwd")).toBe(0.8);
    expect(v("/sys/class/net/eth0/address")).toBe(0.8);
    expect(v("cat /sys/class/net/eth0/address")).toBe(0.5);
  });

  test("a site's credentials by their full path on its server, or reached by a climb", () => {
    for (const x of ["/var/www/html/wp-config.php", "/usr/local/etc/php/php.ini", "/opt/tomcat/conf/tomcat-users.xml", "/app/.env", "/srv/app/config/database.yml"]) expect([x, v(x)]).toEqual([x, 0.85]);
    expect(v("/var/lib/mysql/mysql/user.MYD")).toBe(0.9);
    expect(v("../config/database.yml")).toBe(0.95);
    // The file named from the site's root, or in a sentence, says less.
    expect(v("/wp-config.php")).toBe(0.6);
    expect(v("config/database.yml")).toBe(0.6);
    expect(v("see /var/www/html/wp-config.php for settings")).toBeLessThan(0.6);
    // A stack trace's frame names the file an error happened in; a home directory is a file manager's.
    expect(strength(pathAnalyzer, "/var/www/html/wp-config.php", { location: "body", name: "abs_path", path: "body.json.exception.values[0].stacktrace.frames[3].abs_path" })).toBe(0.6);
    expect(v("/home/user/.env")).toBe(0.6);
  });

  test("a web server's access or error log by absolute path: what log poisoning reads back", () => {
    expect(v("C:\\xampp\\apache\\logs\\access.log")).toBe(0.8);
    expect(v("/usr/local/apache2/logs/error_log")).toBe(0.8);
    expect(v("/opt/lampp/logs/ssl_request_log")).toBe(0.6);
    expect(v("access.log")).toBe(0);
    expect(v("logs/error.log")).toBe(0);
    expect(v("see /var/log/nginx/error.log for details")).toBe(0);
  });

  test("a climb spelled with 0x escapes is no relative link", () => {
    expect(v("0x5c0x2e./")).toBeGreaterThanOrEqual(0.8);
    expect(v("0x2e0x2e%c1%pc0x2e0x2e%c1%pcetc%c1%pcpasswd")).toBeGreaterThanOrEqual(0.8);
  });

  test("the cheap first checks keep every spelling: upper-case wrappers, a NUL or `;` in one segment, drive and root names", () => {
    expect(s("PHP://filter/resource=index")).toBe(0.9);
    expect(s("x SSH2.exec://host/cmd")).toBe(0.7);
    expect(s("/ETC/PASSWD\u0000.png")).toBe(0.9);
    expect(s("a/b;c/../../../etc/passwd")).toBe(0.95);
    expect(s("C:\\Windows\\win.ini")).toBe(0.85);
    expect(s("/@fs/etc/passwd")).toBe(0.9);
    expect(s("see 0X2e0X2e0X2fetc0X2fpasswd")).toBe(0.95);
    expect(s("Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101")).toBe(0);
  });
});

describe("path analyzer: URL paths a proxy and the container read apart", () => {
  const reading = (text: string) => strength(pathAnalyzer, text, { kind: "path", location: "path", path: "path~url", name: "" });
  test("a dot segment seen only once the path is decoded again was encoded past the server's check", () => {
    expect(reading("/console/images/../console.portal")).toBe(0.85);
    // Sent so, it stays under its first segment (below).
    expect(p("/console/images/../console.portal")).toBe(0.6);
    // Another reading of the path (a segment's base64) was no second URL decoding, nor a path a server routes.
    expect(strength(pathAnalyzer, "/a/../b", { kind: "path", location: "path", path: "path~base64", name: "" })).toBe(0.6);
  });

  test("a segment that is only a path parameter, or `.` with one, before more path", () => {
    for (const v of ["/;/admin/page", "/.;/admin/user/list", "/app/;x=1/secure"]) expect([v, p(v)]).toEqual([v, 0.85]);
    // A session id rewritten into the URL; a segment's own parameter is a matrix parameter.
    for (const v of ["/shop/;jsessionid=0A1B2C", "/shop/;jsessionid=0A1B2C/cart", "/app/x;jsessionid=ABC123", "/a/b;v=1/c"]) expect([v, p(v)]).toEqual([v, 0]);
  });
});

describe("path analyzer: round s23's fixes", () => {
  test("a value that is only a climb, where a parameter names a folder by a language, a theme or a template", () => {
    for (const v of ["../", "..\\..\\", "../..", " ../ "]) expect([v, s(v, "lang")]).toEqual([v, 0.85]);
    for (const v of ["..", "../images/a.png"]) expect([v, s(v, "lang") < 0.85]).toEqual([v, true]);
    // A relative base path or link elsewhere (a build setting's `assetPrefix`, a file manager's folder).
    for (const name of ["assetPrefix", "dir"]) expect([name, s("../", name) < 0.85]).toEqual([name, true]);
  });

  test("a path parameter that is only a file extension, in the URL path or a path the application forwards to", () => {
    for (const v of ["/app/rest/server;.jsp", "/bin/querybuilder.json;\na.css", "/bin/querybuilder.json.servlet;x.css"]) expect([v, p(v)]).toEqual([v, 0.85]);
    expect(s("/app/rest/users;.jsp", "jsp")).toBe(0.85);
    // A file named with a `;`, a session id, a list of files.
    for (const v of ["/shop/;jsessionid=0A1B2C", "/app/x;jsessionid=ABC.css", "/a;b/c.css", "/download/Report;final.txt", "/docs/v1.2;latest.html"]) expect([v, p(v)]).toEqual([v, 0]);
    for (const v of ["a;b.css", "/css/a.css;b.css"]) expect([v, s(v, "files")]).toEqual([v, 0]);
  });
});

describe("path analyzer: a URL path that makes a server run a file as a script", () => {
  test("a script's name below a static file's (nginx and PHP-FPM's path info), and a NUL in the path", () => {
    for (const v of ["/uploads/avatar.jpg/x.php", "/files/doc.txt/index.php", "/images/3.gif/x.jsp", "/a.gif".repeat(10_000) + "/x.php"]) {
      expect([v, strongest(pathAnalyzer, v, { kind: "path", location: "path", path: "path", name: "" })?.rule, p(v)]).toEqual([v, "path.script-below-static", 0.85]);
    }
    for (const v of ["/images/a.gif\0.php", "/x.php\0.jpg"]) expect([v, p(v)]).toEqual([v, 0.85]);
    // A front controller's path info, a document's page below it, a folder named after a library, and
    // a NUL only a second decoding makes, are not.
    for (const v of ["/index.php/api/users", "/docs/manual.pdf/view", "/app.php/assets/app.js", "/img/logo.png", "/projects/three.js/index.php", "/a.gif/b/x.php", "/a.js".repeat(10_000) + "/x.php"]) {
      expect([v.slice(0, 40), p(v)]).toEqual([v.slice(0, 40), 0]);
    }
    expect(strength(pathAnalyzer, "/search/100\0", { kind: "path", location: "path", path: "path~url", name: "" })).toBe(0);
    // In a value, `.jpg/x.php` is a path like any other.
    expect(s("uploads/avatar.jpg/x.php", "q")).toBe(0);
  });
});

describe("path analyzer: a dot segment a client left in the URL path", () => {
  test("`..` that moves the request to another first segment, past a proxy's or a filter's check on it", () => {
    for (const v of ["/vpn/../vpns/portal/pwn.xml", "/res/../admin/diagnostic.jsp", "/.well-known/acme-challenge/../../app/settings", "/a/..;/admin"]) {
      expect([v, strongest(pathAnalyzer, v, { kind: "path", location: "path", path: "path", name: "" })?.rule, p(v)]).toEqual([v, "path.dot-segment", 0.85]);
    }
    // An SDK's path under the same first segment, a last `..` and `..foo` (a name) stay weak.
    for (const v of ["/static/js/../css/main.css", "/api/v1/../v2/status", "/get/..", "/get/..foo", "/css/../fonts/roboto.woff2", "/assets/../favicon.ico"]) expect([v, p(v)]).toEqual([v, 0.6]);
  });

  test("a path parameter segment named with a session token is a session rewritten into the URL (OpenWrt's `;stok=`); any other still bypasses", () => {
    for (const v of ["/cgi-bin/luci/;stok=7d2f0a1b2c3d4e5f/admin/wireless", "/shop/;jsessionid=0A1B/cart"]) expect([v, p(v)]).toEqual([v, 0]);
    for (const v of ["/;/admin", "/.;/admin/x", "/;a=b/admin/", "/.;a=b/admin/"]) expect([v, p(v)]).toEqual([v, 0.85]);
  });
});
