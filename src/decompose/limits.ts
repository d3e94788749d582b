import { MAX_KEPT_BODY_BYTES } from "../core/http-request.ts";

/** How much of a request the decompose stage looks at: enough for any real request, bounded for hostile ones. */
export interface DecomposeLimits {
  /**
   * Body characters looked at (after inflating a gzip/deflate body); more is flagged "body-oversize".
   * By default all a source may keep: each source bounds the body by its own setting
   * (mirror.max_body_bytes, server.max_body_bytes), and what it kept is judged whole.
   */
  maxBodyBytes: number;
  /**
   * Leaves per request; more is flagged "too-many-leaves", and what each request part holds past it
   * is still judged, as one text leaf a part: nothing a request carries goes unread.
   */
  maxLeaves: number;
  /** Nesting of JSON and XML; deeper is flagged "too-deep". */
  maxDepth: number;
  /** Encodings layered inside one value (base64 of JSON of a URL-encoded value is 3); more is flagged "too-deep". */
  maxEncodingLayers: number;
}

export const DEFAULT_DECOMPOSE_LIMITS: Readonly<DecomposeLimits> = Object.freeze({
  maxBodyBytes: MAX_KEPT_BODY_BYTES,
  maxLeaves: 10_000,
  maxDepth: 32,
  maxEncodingLayers: 6,
});
