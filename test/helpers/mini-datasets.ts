/** A datasets folder of a few lines of our own: two payload lists and legitimate queries (enough for a whole generic build). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./tmp.ts";

export function miniDatasets(): string {
  const dir = tempDir();
  mkdirSync(join(dir, "payloads"));
  mkdirSync(join(dir, "legit-queries"));
  const sqli = Array.from({ length: 60 }, (_, i) => [`${i}' OR '${i}'='${i}`, `${i} UNION SELECT username,password FROM users--`, `x'; WAITFOR DELAY '0:0:${i % 9}'--`][i % 3]);
  const xss = Array.from({ length: 60 }, (_, i) => [`<script>alert(${i})</script>`, `<img src=x onerror=alert(${i})>`, `"><svg/onload=confirm(${i})>`][i % 3]);
  writeFileSync(join(dir, "payloads", "sqli.txt"), sqli.join("\n"));
  writeFileSync(join(dir, "payloads", "xss.txt"), xss.join("\n"));
  const queries = Array.from({ length: 300 }, (_, i) => `q=${["red+shoes", "cheap+flights", "o%27brien", "news"][i % 4]}&page=${i}`);
  writeFileSync(join(dir, "legit-queries", "openappsec-legitimate-6.json"), JSON.stringify(queries));
  return dir;
}
