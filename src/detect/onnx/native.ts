/**
 * onnxruntime-node's binding needs libonnxruntime.so.1 beside it. Run from source it is there; inside
 * the single executable it is not, so the library is embedded, written once to a cache directory, and
 * loaded with bun:ffi before onnxruntime-node is imported: the binding then finds it already loaded.
 *
 * Before anything loads it, onnxruntime's own telemetry is switched off (see disableOrtTelemetry).
 */
import { dlopen, FFIType } from "bun:ffi";
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import embeddedLibrary from "../../../node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1" with { type: "file" };
import ortPackage from "../../../node_modules/onnxruntime-node/package.json" with { type: "json" };

/** Where the library is unpacked: MOAT_CACHE_DIR, else ~/.cache/moat, else the temp directory. */
function cacheDirs(): string[] {
  const dirs = [process.env.MOAT_CACHE_DIR, process.env.XDG_CACHE_HOME && join(process.env.XDG_CACHE_HOME, "moat"), join(homedir(), ".cache", "moat"), join(tmpdir(), `moat-${process.getuid?.() ?? "user"}`)];
  return dirs.filter((d): d is string => Boolean(d)).map((d) => join(d, `onnxruntime-${ortPackage.version}`));
}

function unpack(dir: string, bytes: Uint8Array): string {
  const target = join(dir, "libonnxruntime.so.1");
  if (existsSync(target) && statSync(target).size === bytes.byteLength) return target;
  mkdirSync(dir, { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  writeFileSync(partial, bytes, { mode: 0o755 });
  renameSync(partial, target); // atomic: a concurrent start never loads a half-written library
  return target;
}

/**
 * onnxruntime 1.29+ on Linux starts Microsoft's 1DS telemetry when its environment is created: it
 * reads /proc/self/cmdline, /etc/machine-id and /etc/os-release, keeps a device id and an event queue
 * under ~/.cache/Microsoft/DeveloperTools/.onnxruntime, writes /tmp/mat-debug-<pid>.log and uploads
 * over HTTPS. A security appliance must not phone home, and that code also overflows the main
 * thread's stack on a long command line: it recurses about three frames per byte of
 * /proc/self/cmdline, so `moat scan` with some 29 KB of paths (about 400 long file names) died with
 * SIGSEGV while loading the model. ORT_DISABLE_TELEMETRY=1 turns all of it off, but onnxruntime reads
 * it with getenv(), and Bun's process.env does not write the C environment: hence libc's setenv.
 */
function disableOrtTelemetry(): void {
  const libc = dlopen("libc.so.6", { setenv: { args: [FFIType.cstring, FFIType.cstring, FFIType.i32], returns: FFIType.i32 } });
  try {
    if (libc.symbols.setenv(Buffer.from("ORT_DISABLE_TELEMETRY\0"), Buffer.from("1\0"), 1) !== 0) throw new Error("setenv(ORT_DISABLE_TELEMETRY) failed");
  } finally {
    libc.close();
  }
}

let prepared = false;

export async function prepareOrtLibrary(): Promise<void> {
  if (prepared) return;
  prepared = true;
  disableOrtTelemetry();
  if (!embeddedLibrary.startsWith("/$bunfs/") && !embeddedLibrary.startsWith("B:/~BUN/")) return; // from source
  const bytes = await Bun.file(embeddedLibrary).bytes();
  const errors: string[] = [];
  for (const dir of cacheDirs()) {
    try {
      // bun:ffi wants one symbol: OrtGetApiBase is the library's entry point.
      dlopen(unpack(dir, bytes), { OrtGetApiBase: { args: [], returns: "ptr" } });
      return;
    } catch (e) {
      errors.push(`${dir}: ${(e as Error).message}`);
    }
  }
  throw new Error(`cannot unpack the onnxruntime library (set MOAT_CACHE_DIR to a writable directory): ${errors.join("; ")}`);
}
