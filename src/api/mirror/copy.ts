/**
 * What the mirror's listener (listener-worker.ts) does with one request from nginx's `mirror`
 * (assets/deploy/nginx/mirror.conf): check that nginx sent it, read the body bounded, and make the
 * copy of the client's request that the mirror source judges. Plain functions, so that tests drive
 * them without a thread.
 *
 * Who may send copies. The listener applies no browser-origin rule, since a copy carries the client's
 * own Origin and Referer (those of the site, not Moat's). A web page still cannot forge a copy: the
 * snippet's X-Original-* headers are required, and a cross-origin request with custom headers is
 * preceded by a CORS preflight that the listener never answers with CORS headers; the Host rule keeps
 * DNS rebinding (which would make the page same-origin) out. Beyond loopback, or with
 * server.require_api_key = "always", a live API key is required as well.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import { toHttpRequest } from "../check-input.ts";
import { originalRequest, requireSnippetHeaders } from "../original-request.ts";
import { ApiError } from "../envelope.ts";
import { FOREIGN_HOST, isAllowedHost, type BrowserPolicy } from "../auth/origin.ts";
import { headerKey, sha256Hex } from "../auth/presented-key.ts";

export const MIRROR_PATH = "/mirror";

/** Bodies are accepted up to this size at the socket (nginx's own client_max_body_size applies first); past mirror.max_body_bytes they are read and discarded. */
export const MIRROR_ACCEPT_BYTES = 1024 * 1_048_576;

export interface CopyRules {
  /** mirror.max_body_bytes */
  maxBodyBytes: number;
  /** The names the listener answers to besides loopback names and IP literals (server.host, server.allowed_hosts). */
  hosts: BrowserPolicy;
  /** The SHA-256 hashes of the live API keys when a key is required, else null. */
  keyHashes: ReadonlySet<string> | null;
}

/** Why a request is not a copy Moat takes: the answer's status and message. */
export interface CopyRefusal {
  status: number;
  message: string;
}

/** A copy as it came, its body read (bounded): what the listener hands over, plain data that crosses threads cheaply. */
export interface ReceivedCopy {
  headers: [string, string][];
  kept: Uint8Array;
  /** The body's real size. */
  total: number;
  /** Epoch ms it was received. */
  at: number;
}

/** The shared counters of copies on their way to the main thread: how many, and their bodies' KiB. */
export const TRANSIT_COPIES = 0;
export const TRANSIT_KIB = 1;
/** Body bytes at most on their way to the main thread: a busy main thread must not let copies pile up in memory. */
export const MAX_TRANSIT_KIB = 256 * 1024;
export const transitKib = (copy: ReceivedCopy): number => Math.ceil(copy.kept.byteLength / 1024);

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Body bytes as text: UTF-8 when they are, else one character a byte (latin1), as the decoders expect of binary bodies. */
function bodyText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  }
}

/**
 * Reads at most `limit` bytes of the body and discards the rest; `total` is the body's real size. A
 * body declared within the limit (nearly all) is read in one piece; only a larger or undeclared one
 * is streamed, keeping its chunks up to the limit.
 */
async function readBounded(request: Request, limit: number): Promise<{ kept: Uint8Array; total: number }> {
  if (!request.body) return { kept: new Uint8Array(0), total: 0 };
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared <= limit) {
    const kept = new Uint8Array(await request.arrayBuffer());
    return { kept, total: kept.byteLength };
  }
  const chunks: Uint8Array[] = [];
  let used = 0;
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.byteLength;
    if (used < limit) {
      const take = Math.min(limit - used, chunk.byteLength);
      chunks.push(chunk.subarray(0, take));
      used += take;
    }
  }
  // A buffer of its own (not Buffer's shared pool): the listener moves it to the main thread.
  return { kept: new Uint8Array(Bun.concatArrayBuffers(chunks)), total };
}

/** Reads the copy's body (bounded): all that must happen before it is answered. */
export async function receiveCopy(request: Request, maxBodyBytes: number, now: number): Promise<ReceivedCopy> {
  const { kept, total } = await readBounded(request, maxBodyBytes);
  return { headers: [...request.headers], kept, total, at: now };
}

/** The copy as a request: nginx's description of the original, its body, and its request id. */
export function mirroredRequest(received: ReceivedCopy): HttpRequest {
  const { kept, total, at } = received;
  const headers = new Headers(received.headers);
  const copy = toHttpRequest({ ...originalRequest(headers), ...(total ? { body: bodyText(kept) } : {}) }, at);
  if (total > kept.byteLength) copy.bodyBytes = total;
  const id = headers.get("x-moat-request-id");
  if (id) copy.extra.request_id = id;
  copy.origin = { source: "mirror" };
  return copy;
}

const refused = (status: number, message: string) => ({ refusal: { status, message } });

/**
 * Why a request is not a copy Moat takes, or, when it is one, the hash of the key it came with (null
 * when no key is required): headers only, before any body is read.
 */
export function checkCopy(request: Request, rules: CopyRules): { refusal: CopyRefusal } | { keyHash: string | null } {
  if (new URL(request.url).pathname !== MIRROR_PATH) return refused(404, `nginx's mirror sends its copies to POST ${MIRROR_PATH}: see assets/deploy/nginx/mirror.conf`);
  if (request.method !== "POST") return refused(405, `only POST ${MIRROR_PATH}`);
  if (!isAllowedHost(request, rules.hosts)) return refused(421, FOREIGN_HOST);
  let keyHash: string | null = null;
  if (rules.keyHashes) {
    const key = headerKey(request.headers);
    keyHash = key === null ? null : sha256Hex(key);
    if (keyHash === null || !rules.keyHashes.has(keyHash)) {
      return refused(401, "a live API key is required: set it in the snippet's `proxy_set_header X-API-Key` (moat apikey create nginx-mirror --scope check)");
    }
  }
  try {
    requireSnippetHeaders(request.headers, "mirror.conf");
  } catch (e) {
    if (e instanceof ApiError) return refused(e.status, e.message);
    throw e;
  }
  return { keyHash };
}
