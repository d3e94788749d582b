/**
 * Every semantic analyzer, run over a leaf. A leaf's findings depend on its text and where it sat
 * (its kind and path: a Referer's query is not a redirect parameter), so that is what the cache keys on.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { Leaf } from "../../decompose/leaf.ts";
import { GenerationalCache } from "../../core/generational-cache.ts";
import { isIdentifier } from "../identifiers.ts";
import type { Analyzer, Finding } from "./finding.ts";
import { accessOverrides, authBypassAnalyzer } from "./auth-bypass.ts";
import { plusAsSpace, strongestPerRule } from "./text.ts";
import { codeAnalyzer, phpDispatch } from "./code.ts";
import { crlfAnalyzer } from "./crlf.ts";
import { deserializationAnalyzer } from "./deserialization.ts";
import { expressionAnalyzer } from "./expression.ts";
import { graphqlAnalyzer, operationBatch } from "./graphql.ts";
import { htmlAnalyzer } from "./html.ts";
import { ldapAnalyzer } from "./ldap.ts";
import { nosqlAnalyzer } from "./nosql.ts";
import { optionInjectionAnalyzer } from "./option-injection.ts";
import { pathAnalyzer } from "./path.ts";
import { scannerAnalyzer } from "./scanner.ts";
import { sessionFixationAnalyzer, sessionIdFromElsewhere } from "./session-fixation.ts";
import { shellAnalyzer } from "./shell.ts";
import { sqlAnalyzer } from "./sql.ts";
import { ssrfAnalyzer } from "./ssrf.ts";
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

/** A value's findings where it sat, and the next place its text was seen (the same text is judged again under another kind or path). */
interface Placed {
  kind: Leaf["kind"];
  path: string;
  findings: Finding[];
  next: Placed | undefined;
}

export class LeafAnalysis {
  /**
   * By text, then by kind and path among the few places a text is seen: a key made by joining the three
   * would be a new string to hash at every leaf, which cost more than the analyzers on repeated traffic.
   */
  private readonly cache = new GenerationalCache<string, Placed>(CACHE_ENTRIES);

  constructor(private readonly analyzers: readonly Analyzer[] = ANALYZERS) {}

  analyze(leaf: Leaf): Finding[] {
    if (leaf.text.length > CACHE_MAX_CHARS || leaf.path.length > CACHE_MAX_CHARS) return this.run(leaf);
    const first = this.cache.get(leaf.text);
    let places = 0;
    for (let p = first; p; p = p.next, places++) if (p.kind === leaf.kind && p.path === leaf.path) return p.findings;
    const findings = this.run(leaf);
    if (!first) this.cache.set(leaf.text, { kind: leaf.kind, path: leaf.path, findings, next: undefined });
    else if (places < MAX_PLACES) first.next = { kind: leaf.kind, path: leaf.path, findings, next: first.next };
    return findings;
  }

  /**
   * Every leaf's findings, then the few rules that need the request around a value: a session id is
   * only suspect when it comes from another site (session-fixation.ts), a path override when it names
   * another path, a loopback client when the peer is not one (auth-bypass.ts), one GraphQL
   * mutation sent over and over in a batch of operations (graphql.ts), and a PHP dispatcher named
   * with the function it is to call (code.ts).
   */
  analyzeRequest(req: Pick<HttpRequest, "host" | "referer" | "path" | "clientIp">, leaves: readonly Leaf[]): Finding[][] {
    const findings = leaves.map((l) => this.analyze(l));
    // Cached arrays are shared between requests: a request's own finding goes into a copy.
    for (const found of [sessionIdFromElsewhere(req, leaves), accessOverrides(req, leaves), operationBatch(leaves), phpDispatch(leaves, findings)]) {
      for (const { at, finding } of found) findings[at] = [...findings[at]!, finding];
    }
    return findings;
  }

  /** Analyzer calls that threw or gave a strength outside [0, 1], by analyzer: a bug on hostile input must cost that finding, not the request. */
  readonly failures = new Map<string, number>();

  /**
   * A value with `+` for its spaces and no space of its own (`'+or+'1'='1`, `;cat+/etc/passwd`) is
   * one word to the language it targets, and that language's text to an application that form-decodes
   * it once more: every analyzer reads it both ways (a path's readings are judgePath's). The second
   * reading has the value's length, so its spans are the value's.
   */
  private run(leaf: Leaf): Finding[] {
    const found = this.runAll(leaf);
    const spaced = leaf.kind === "path" ? null : plusAsSpace(leaf.text);
    if (spaced === null) return found;
    const more = this.runAll({ ...leaf, text: spaced });
    return more.length ? strongestPerRule([...found, ...more]) : found;
  }

  private runAll(leaf: Leaf): Finding[] {
    let out = NONE;
    const identifier = isIdentifier(leaf.text);
    for (const a of this.analyzers) {
      if (identifier && !a.readsIdentifiers) continue;
      let found: Finding[];
      try {
        found = a.analyze(leaf);
      } catch {
        this.failures.set(a.name, (this.failures.get(a.name) ?? 0) + 1);
        continue;
      }
      // A strength that is not a number would poison the combiner's input: a bug, counted like a throw.
      if (found.some((f) => !(f.strength >= 0 && f.strength <= 1))) {
        this.failures.set(a.name, (this.failures.get(a.name) ?? 0) + 1);
        found = found.filter((f) => f.strength >= 0 && f.strength <= 1);
      }
      if (found.length) out = out === NONE ? [...found] : out.concat(found);
    }
    return out;
  }
}
