import { describe, expect, test } from "bun:test";
import { codeAnalyzer } from "../../../src/detect/analyzers/code.ts";
import { evidence, junk, strength, strongest } from "./helpers.ts";

const s = (text: string) => strength(codeAnalyzer, text);
const key = (text: string) => strength(codeAnalyzer, text, { kind: "key", name: text });

describe("code analyzer", () => {
  test("PHP: tags, calls with a code argument, superglobals, interpolation", () => {
    expect(s("<?php echo 1; ?>")).toBe(0.9);
    expect(s("<?=`id`?>")).toBe(0.8);
    expect(s(";system('cat /etc/passwd')")).toBe(0.9);
    expect(s("SyStEm ( $_GET[0] )")).toBe(0.9);
    expect(s("assert(base64_decode('c3lzdGVtKCdpZCcp'))")).toBe(0.9);
    expect(s("phpinfo()")).toBe(0.85);
    expect(s("{${phpinfo()}}")).toBe(0.85);
    expect(s("x=$_POST['a']")).toBe(0.85);
    expect(strongest(codeAnalyzer, "<?php")!.class).toBe("code-injection");
  });

  test("a function name in prose is no call", () => {
    for (const v of ["system(s)", "the system (for now)", "exec(utive) summary", "include (optional)", "my_system('x')", "obj.eval(1)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"]) {
      expect(s(v)).toBe(0);
    }
  });

  test("Node.js: child_process, process.mainModule, prototype pollution", () => {
    expect(s("require('child_process').exec('id')")).toBe(0.95);
    expect(s("process.mainModule.require('fs')")).toBe(0.9);
    expect(s('{"__proto__":{"isAdmin":true}}')).toBe(0.85);
    expect(key("__proto__[isAdmin]")).toBe(0.9);
    expect(key("a[constructor][prototype][x]")).toBe(0.9);
    expect(key("constructorName")).toBe(0);
  });

  test("Java: Runtime.exec, ProcessBuilder, class loader property paths, reflection", () => {
    expect(s('java.lang.Runtime.getRuntime().exec("id")')).toBe(0.95);
    expect(s('new ProcessBuilder("id").start()')).toBe(0.9);
    expect(s("Class.forName('java.lang.Runtime')")).toBe(0.9);
    expect(key("class.module.classLoader.resources.context.parent.pipeline.first.pattern")).toBe(0.95);
    expect(key("class['classLoader'].URLs[0]")).toBe(0.95);
    expect(s("java.io.FileInputStream")).toBe(0.7);
  });

  test("Python and Ruby", () => {
    expect(s("__import__('os').system('id')")).toBe(0.9);
    expect(s("subprocess.check_output(['id'])")).toBe(0.9);
    expect(s("Kernel.exec('id')")).toBe(0.9);
    expect(s("%x(id)")).toBe(0.8);
  });

  test("evidence is the construct", () => {
    expect(evidence(codeAnalyzer, "name=x&cb=require('child_process')")).toBe("require('child_process')");
  });

  test("a 1 MB value is judged whole, and binary junk gives no throw", () => {
    expect(s("(".repeat(500_000) + "x".repeat(500_000) + " passthru($c)")).toBe(0.9);
    expect(s("system(".repeat(150_000))).toBe(0);
    expect(() => codeAnalyzer.analyze({ text: junk(200_000), location: "body", path: "body", name: "", kind: "text" })).not.toThrow();
  });
});
