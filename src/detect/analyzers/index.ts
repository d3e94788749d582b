/**
 * Every semantic analyzer, run over a leaf. A leaf's findings depend on its text and where it sat
 * (its kind, path and name: a Referer's query is not a redirect parameter), so that is what the cache keys on.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { Leaf } from "../../decompose/leaf.ts";
import { RepeatCache } from "../../core/generational-cache.ts";
import { isIdentifier } from "../identifiers.ts";
import type { Analyzer, Finding } from "./finding.ts";
import { accessOverrides, authBypassAnalyzer } from "./auth-bypass.ts";
import { isAsciiDigit, plusAsSpace, strongestPerRule } from "./text.ts";
import { codeAnalyzer, phpDispatch } from "./code.ts";
import { crlfAnalyzer } from "./crlf.ts";
import { deserializationAnalyzer } from "./deserialization.ts";
import { expressionAnalyzer } from "./expression.ts";
import { graphqlAnalyzer, operationBatch } from "./graphql.ts";
import { htmlAnalyzer } from "./html.ts";
import { joinedRepeats, pollutionFindings } from "./joined-repeats.ts";
import { ldapAnalyzer } from "./ldap.ts";
import { nosqlAnalyzer } from "./nosql.ts";
import { optionInjectionAnalyzer } from "./option-injection.ts";
import { pathAnalyzer } from "./path.ts";
import { rpcBatch } from "./rpc-batch.ts";
import { scannerAnalyzer } from "./scanner.ts";
import { sessionFixationAnalyzer, sessionIdFromElsewhere } from "./session-fixation.ts";
import { shellAnalyzer } from "./shell.ts";
import { springEnvOverride } from "./spring-env.ts";
import { sqlAnalyzer } from "./sql.ts";
import { ownHostMimicked, ssrfAnalyzer } from "./ssrf.ts";
import { xmlAnalyzer } from "./xml.ts";
import { xpathAnalyzer } from "./xpath.ts";

export const ANALYZERS: readonly Analyzer[] = [
  sqlAnalyzer, htmlAnalyzer, expressionAnalyzer, shellAnalyzer, pathAnalyzer, codeAnalyzer, xmlAnalyzer, ssrfAnalyzer,
  ldapAnalyzer, nosqlAnalyzer, crlfAnalyzer, xpathAnalyzer, sessionFixationAnalyzer, deserializationAnalyzer, scannerAnalyzer, graphqlAnalyzer,
  authBypassAnalyzer, optionInjectionAnalyzer,
];

/** Findings remembered: user agents, paths and many values repeat across requests. */
const CACHE_ENTRIES = 100_000;
/**
 * Longer values are rarely repeated: they are always analyzed. The same bound holds for the path a
 * value is kept under, which names can make as long as a request allows: a flood of long names must
 * not fill the cache's memory.
 */
const CACHE_MAX_CHARS = 256;
/** Places remembered per text: a value seen under more paths than this (`true`, `1`) is judged again there. */
const MAX_PLACES = 4;
const NONE: Finding[] = [];
/** Readings analyzed together (see runAll): 64 to 1,024 measured alike, 16 or all of a large body slower. */
const READINGS_AT_ONCE = 256;

/** A strength the combiner can take: a number in [0, 1]. */
const isValidStrength = (f: Finding) => f.strength >= 0 && f.strength <= 1;

/**
 * Whether a cached place's path is the leaf's: the same path, or for a body's leaves the same but for
 * the indexes of its arrays (`body.json.items[3].tags[0]` and `body.json.items[7].tags[0]`). No analyzer
 * reads a body's array index (the one rule that reads an index, a token's `x5c[0]`, reads a header's or
 * a cookie's), so a value repeated down a list (`"status": "active"`, a tag) is judged once, not again
 * at every item past the first few places (MAX_PLACES).
 */
function samePlace(cached: string, path: string, location: Leaf["location"]): boolean {
  if (cached === path) return true;
  if (location !== "body") return false;
  let i = 0;
  let j = 0;
  while (i < cached.length && j < path.length) {
    const c = cached.charCodeAt(i);
    if (c !== path.charCodeAt(j)) return false;
    i++;
    j++;
    // After a `[` both hold an index, or neither: an index's digits, up to its `]`, are not compared.
    if (c === 0x5b && isAsciiDigit(cached.charCodeAt(i)) && isAsciiDigit(path.charCodeAt(j))) {
      const ci = skipDigits(cached, i);
      const pj = skipDigits(path, j);
      if (cached.charCodeAt(ci) !== 0x5d || path.charCodeAt(pj) !== 0x5d) return false;
      i = ci;
      j = pj;
    }
  }
  return i === cached.length && j === path.length;
}

function skipDigits(s: string, i: number): number {
  while (isAsciiDigit(s.charCodeAt(i))) i++;
  return i;
}

/** A value's findings where it sat, and the next place its text was seen (the same text is judged again under another kind or path). */
interface Placed {
  kind: Leaf["kind"];
  path: string;
  /** The name too: a name-value pair's value is known by its sibling's name, which the path does not hold. */
  name: string;
  findings: Finding[];
  next: Placed | undefined;
}

export class LeafAnalysis {
  /**
   * By text, then by kind and path among the few places a text is seen: a key made by joining the three
   * would be a new string to hash at every leaf, which cost more than the analyzers on repeated traffic.
   */
  private readonly cache = new RepeatCache<Placed>(CACHE_ENTRIES);

  constructor(private readonly analyzers: readonly Analyzer[] = ANALYZERS) {}

  analyze(leaf: Leaf): Finding[] {
    return this.analyzeLeaves([leaf])[0]!;
  }

  /**
   * Every leaf's findings, then the few rules that need the request around a value: a session id is
   * only suspect when it comes from another site (session-fixation.ts), a path override when it names
   * another path, a loopback client when the peer is not one (auth-bypass.ts), one GraphQL
   * mutation sent over and over in a batch of operations (graphql.ts), as a sign-in method is in an
   * RPC batch (rpc-batch.ts), a PHP dispatcher named
   * with the function it is to call (code.ts), a redirect target written to pass for the site
   * (ssrf.ts), a Spring property that loads code set through the environment endpoint (spring-env.ts),
   * and a payload split across a parameter's repeats, which ASP.NET joins (joined-repeats.ts).
   */
  analyzeRequest(req: Pick<HttpRequest, "host" | "referer" | "path" | "clientIp">, leaves: readonly Leaf[]): Finding[][] {
    const findings = this.analyzeLeaves(leaves);
    // Cached arrays are shared between requests: a request's own finding goes into a copy.
    for (const found of [sessionIdFromElsewhere(req, leaves), accessOverrides(req, leaves), operationBatch(leaves), rpcBatch(leaves), phpDispatch(leaves, findings), ownHostMimicked(req, leaves), springEnvOverride(req, leaves)]) {
      for (const { at, finding } of found) findings[at] = [...findings[at]!, finding];
    }
    // Read after the others: a repeat's own findings, request-scope ones too, decide what the joined value adds.
    const joined = joinedRepeats(leaves);
    if (joined.length) {
      for (const { at, finding } of pollutionFindings(leaves, joined, this.analyzeLeaves(joined.map((j) => j.leaf)), findings)) findings[at] = [...findings[at]!, finding];
    }
    return findings;
  }

  /** Analyzer calls that threw or gave a strength outside [0, 1], by analyzer: a bug on hostile input must cost that finding, not the request. */
  readonly failures = new Map<string, number>();

  /**
   * Each leaf's findings, through the cache. The places of the leaves it cannot answer are taken in leaf
   * order, as one leaf after the other would take them (a leaf with the text, kind and path of an
   * earlier one shares its findings), and those leaves are then analyzed together (runAll).
   */
  private analyzeLeaves(leaves: readonly Leaf[]): Finding[][] {
    const places: Placed[] = new Array(leaves.length);
    const unknown: Leaf[] = [];
    const unknownPlaces: Placed[] = [];
    for (let i = 0; i < leaves.length; i++) {
      const leaf = leaves[i]!;
      const cacheable = leaf.text.length <= CACHE_MAX_CHARS && leaf.path.length <= CACHE_MAX_CHARS && leaf.name.length <= CACHE_MAX_CHARS;
      const first = cacheable ? this.cache.get(leaf.text) : undefined;
      let seen = 0;
      let place = first;
      while (place && !(place.kind === leaf.kind && place.name === leaf.name && samePlace(place.path, leaf.path, leaf.location))) {
        place = place.next;
        seen++;
      }
      if (!place) {
        // Its findings are filled in below, before any leaf reads them.
        place = { kind: leaf.kind, path: leaf.path, name: leaf.name, findings: NONE, next: undefined };
        if (cacheable && !first) this.cache.set(leaf.text, place);
        else if (cacheable && seen < MAX_PLACES) {
          place.next = first!.next;
          first!.next = place;
        }
        unknown.push(leaf);
        unknownPlaces.push(place);
      }
      places[i] = place;
    }
    const found = this.run(unknown);
    for (let k = 0; k < unknown.length; k++) unknownPlaces[k]!.findings = found[k]!;
    return places.map((p) => p.findings);
  }

  /**
   * A value with `+` for its spaces and no space of its own (`'+or+'1'='1`, `;cat+/etc/passwd`) is
   * one word to the language it targets, and that language's text to an application that form-decodes
   * it once more: every analyzer reads it both ways (a path's readings are judgePath's). The second
   * reading has the value's length, so its spans are the value's.
   */
  private run(leaves: readonly Leaf[]): Finding[][] {
    const readings: Leaf[] = [];
    /** Per leaf, the index of its own reading and of its `+` reading (-1 when it has none). */
    const own: number[] = [];
    const spacedAt: number[] = [];
    for (const leaf of leaves) {
      own.push(readings.push(leaf) - 1);
      const spaced = leaf.kind === "path" ? null : plusAsSpace(leaf.text);
      spacedAt.push(spaced === null ? -1 : readings.push({ ...leaf, text: spaced }) - 1);
    }
    const found = this.runAll(readings);
    return own.map((r, k) => {
      const more = spacedAt[k]! === -1 ? NONE : found[spacedAt[k]!]!;
      return more.length ? strongestPerRule([...found[r]!, ...more]) : found[r]!;
    });
  }

  /**
   * Every analyzer's findings for each reading, in the analyzers' order. The readings are taken a few
   * hundred at a time, and one analyzer reads them all before the next one starts: its code and tables
   * stay in the processor's caches, and so do the readings' texts (those of a whole large body would
   * not). The leaves of a 1 MB JSON body were analyzed a quarter faster so than with every analyzer
   * over one leaf at a time. Each analyzer still sees the readings in their order.
   */
  private runAll(readings: readonly Leaf[]): Finding[][] {
    const out: Finding[][] = new Array(readings.length).fill(NONE);
    const identifier = readings.map((r) => isIdentifier(r.text));
    for (let from = 0; from < readings.length; from += READINGS_AT_ONCE) {
      const to = Math.min(readings.length, from + READINGS_AT_ONCE);
      for (const a of this.analyzers) this.runOne(a, readings, identifier, from, to, out);
    }
    return out;
  }

  private countFailure(analyzer: string): void {
    this.failures.set(analyzer, (this.failures.get(analyzer) ?? 0) + 1);
  }

  /** One analyzer's findings for readings [from, to), added to `out`. */
  private runOne(a: Analyzer, readings: readonly Leaf[], identifier: readonly boolean[], from: number, to: number, out: Finding[][]): void {
    for (let r = from; r < to; r++) {
      if (identifier[r] && !a.readsIdentifiers) continue;
      let found: Finding[];
      try {
        found = a.analyze(readings[r]!);
      } catch {
        this.countFailure(a.name);
        continue;
      }
      // A strength that is not a number would poison the combiner's input: a bug, counted like a throw.
      // (Most calls find nothing: the check costs them no call.)
      if (found.length && !found.every(isValidStrength)) {
        this.countFailure(a.name);
        found = found.filter(isValidStrength);
      }
      if (found.length) out[r] = out[r] === NONE ? [...found] : out[r]!.concat(found);
    }
  }
}
