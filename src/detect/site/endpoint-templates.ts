/**
 * Endpoint templates: `/products/p41` and `/products/p42` are one endpoint, `/products/{id}`. Two
 * steps. A segment that reads as an identifier is folded as it is seen (digits, UUIDs, hex ids,
 * tokens and slugs with digits in them). Then, when the profile is built, a position where the
 * site's traffic shows many distinct segments (blog posts, product slugs without digits) becomes a
 * wildcard, `{*}`, so that tomorrow's post is a page of a known endpoint, not an unknown endpoint.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import { percentDecode } from "../../parse/decode.ts";
import { HEX_ID, UUID } from "../identifiers.ts";
import { canonicalPath } from "../normalize.ts";
import { RepeatCache } from "../../core/generational-cache.ts";

/** A slug of letters and digits, with `-`, `_` or `.` between its parts. */
const SLUG = /^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$/;
const LONGEST_SLUG = 200;

/** A segment's file extension, lower-cased, or "" (`.env` has none: a leading dot names the file). */
export function extensionOf(segmentOrKey: string): string {
  const last = segmentOrKey.slice(segmentOrKey.lastIndexOf("/") + 1);
  const dot = last.lastIndexOf(".");
  return dot > 0 ? last.slice(dot + 1).toLowerCase() : "";
}

/** `42` → `{n}`, `p41` → `{id}`, `winter-sale-2026.html` → `{slug}.html`; words stay as they are. */
export function foldSegment(segment: string): string {
  const ext = extensionOf(segment);
  const stem = ext ? segment.slice(0, segment.length - ext.length - 1) : segment;
  const suffix = ext ? segment.slice(stem.length) : "";
  if (/^\d+$/.test(stem)) return `{n}${suffix}`;
  if (UUID.test(stem)) return `{uuid}${suffix}`;
  if (HEX_ID.test(stem)) return `{hex}${suffix}`;
  if (stem.length <= LONGEST_SLUG && /\d/.test(stem) && /[A-Za-z]/.test(stem) && SLUG.test(stem)) return `${/[-_.]/.test(stem) ? "{slug}" : "{id}"}${suffix}`;
  return segment;
}

/**
 * Keys of the paths seen lately: a site's traffic asks for the same few thousand paths over and over,
 * and a key costs a decoding, a canonical form and a regex test of every segment.
 */
const recentKeys = new RepeatCache<string>(20_000);
/** Longer paths are keyed afresh each time: the cache's memory stays bounded whatever paths are sent. */
const CACHED_PATH_CHARS = 512;

/** `/api/users/123/orders` → `/api/users/{n}/orders`: ids are not endpoints. */
export function endpointKey(req: Pick<HttpRequest, "path">): string {
  if (req.path.length > CACHED_PATH_CHARS) return keyOf(req.path);
  let key = recentKeys.get(req.path);
  if (key === undefined) recentKeys.set(req.path, (key = keyOf(req.path)));
  return key;
}

function keyOf(path: string): string {
  return canonicalPath(percentDecode(path)).split("/").map(foldSegment).join("/");
}

/** A position generalizes when it holds at least this many distinct segments (the root: `ROOT_MIN_DISTINCT`). */
const MIN_DISTINCT = 12;
/** At the root a site's own pages are many and scanners probe there: it takes far more to generalize. */
const ROOT_MIN_DISTINCT = 60;
/**
 * A segment stays itself when it stands out among its siblings (`/blog/about` next to the posts):
 * at least this share of its position's requests, and `STANDS_OUT` times the median sibling's.
 */
const FREQUENT_SHARE = 0.05;
const STANDS_OUT = 5;

const WILDCARD = "{*}";

function wildcardFor(segment: string): string {
  const ext = extensionOf(segment);
  return ext ? `${WILDCARD}.${ext}` : WILDCARD;
}

interface Node {
  count: number;
  keys: string[];
  children: Map<string, Node>;
}

/**
 * The templates of the folded endpoint keys seen (with how many requests each had): old key → its
 * template (the key itself when nothing generalized it). Segments are grouped by extension, so a
 * wildcard of pages (`{*}`) says nothing of `.php` files.
 */
export function generalizeEndpoints(counts: Map<string, number>): Map<string, string> {
  const root: Node = { count: 0, keys: [], children: new Map() };
  for (const [key, count] of counts) {
    let node = root;
    node.count += count;
    for (const segment of key.split("/").slice(1)) {
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = { count: 0, keys: [], children: new Map() }));
      child.count += count;
      node = child;
    }
    node.keys.push(key);
  }
  const renamed = new Map<string, string>();
  const walk = (node: Node, prefix: string, depth: number) => {
    for (const key of node.keys) renamed.set(key, prefix);
    generalizeChildren(node, depth);
    for (const [segment, child] of node.children) walk(child, `${prefix}/${segment}`, depth + 1);
  };
  walk(root, "", 0);
  return renamed;
}

/** Folds the rare children of `node` into wildcards (merging their subtrees) where they are many. */
function generalizeChildren(node: Node, depth: number): void {
  const bar = depth === 0 ? ROOT_MIN_DISTINCT : MIN_DISTINCT;
  if (node.children.size < bar) return;
  const counts = [...node.children.values()].map((c) => c.count).sort((a, b) => a - b);
  const median = counts[counts.length >> 1]!;
  const frequent = (count: number) => count >= FREQUENT_SHARE * node.count && count >= STANDS_OUT * median;
  const rareByWildcard = new Map<string, string[]>();
  for (const [segment, child] of node.children) {
    if (segment === "" || segment.startsWith(WILDCARD) || frequent(child.count)) continue;
    const w = wildcardFor(segment);
    rareByWildcard.set(w, [...(rareByWildcard.get(w) ?? []), segment]);
  }
  for (const [w, segments] of rareByWildcard) {
    if (segments.length < bar) continue;
    let into = node.children.get(w);
    if (!into) node.children.set(w, (into = { count: 0, keys: [], children: new Map() }));
    for (const segment of segments) {
      merge(into, node.children.get(segment)!);
      node.children.delete(segment);
    }
  }
}

function merge(into: Node, from: Node): void {
  into.count += from.count;
  into.keys.push(...from.keys);
  for (const [segment, child] of from.children) {
    const existing = into.children.get(segment);
    if (existing) merge(existing, child);
    else into.children.set(segment, child);
  }
}

/** The wildcard templates of a profile's endpoints as a trie, built once per profile. */
interface Trie {
  key: string | null;
  children: Map<string, Trie>;
}
const tries = new WeakMap<object, Trie>();

function trieOf(endpoints: Record<string, unknown>): Trie {
  let trie = tries.get(endpoints);
  if (trie) return trie;
  trie = { key: null, children: new Map() };
  for (const key of Object.keys(endpoints)) {
    if (!key.includes(WILDCARD)) continue;
    let node = trie;
    for (const segment of key.split("/").slice(1)) {
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = { key: null, children: new Map() }));
      node = child;
    }
    node.key = key;
  }
  tries.set(endpoints, trie);
  return trie;
}

function matchTemplate(node: Trie, segments: string[], i: number): string | null {
  if (i === segments.length) return node.key;
  const segment = segments[i]!;
  const literal = node.children.get(segment);
  const viaLiteral = literal ? matchTemplate(literal, segments, i + 1) : null;
  if (viaLiteral) return viaLiteral;
  const wildcard = node.children.get(wildcardFor(segment));
  return wildcard ? matchTemplate(wildcard, segments, i + 1) : null;
}

/** The profile key a folded endpoint key falls under: itself when the profile has it, else the template that covers it, else null. */
export function templateOf(endpoints: Record<string, unknown>, key: string): string | null {
  if (Object.hasOwn(endpoints, key)) return key;
  return matchTemplate(trieOf(endpoints), key.split("/").slice(1), 0);
}
