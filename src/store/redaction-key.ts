/**
 * The installation's secret for the hashes of redacted values (detect/redact.ts): 32 random bytes in
 * `<data_dir>/redaction.key`, readable by Moat's user alone. Made on first use and kept, so that the
 * same secret has the same hash across restarts; anyone with the database but not this file cannot
 * test guesses against the hashes.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makePrivateDir, PRIVATE_FILE_MODE } from "../core/private-files.ts";

const FILE = "redaction.key";
const KEY_BYTES = 32;

export function redactionKeyPath(dataDir: string): string {
  return join(dataDir, FILE);
}

/** The key of the installation whose data lives in `dataDir`; made (mode 0600) when there is none yet. */
export function loadRedactionKey(dataDir: string): Uint8Array {
  const path = redactionKeyPath(dataDir);
  makePrivateDir(dataDir);
  if (!existsSync(path)) {
    // Written aside, then linked in: a link never replaces a key, and nobody reads a half-written one.
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${randomBytes(KEY_BYTES).toString("hex")}\n`, { mode: PRIVATE_FILE_MODE });
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      unlinkSync(tmp);
    }
  }
  // A key copied in by hand with looser permissions is tightened, not trusted as it is.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, PRIVATE_FILE_MODE);
  const hex = readFileSync(path, "utf8").trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${path} is not a redaction key (expected ${KEY_BYTES * 2} hex digits); remove it to make a new one (hashes of redacted values will change)`);
  return Buffer.from(hex, "hex");
}
