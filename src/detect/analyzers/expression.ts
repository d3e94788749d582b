/**
 * Template and expression-language injection (class `ssti`): code inside a template engine's
 * delimiters, EL/OGNL/SpEL/Velocity/Freemarker syntax (expression/constructs.ts, judged by
 * expression/content.ts); and Log4Shell (class `log4shell`): a JNDI lookup after Log4j's nested
 * lookups are resolved, or another Log4j lookup that leaks a secret or hides letters (expression/jndi.ts);
 * and Commons Text interpolator lookups that run a script, resolve a host, fetch a URL or read a file
 * (class `ssti`, expression/interpolator.ts). Every finding carries its span in the value.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { expressionHits } from "./expression/constructs.ts";
import { jndiHits, jndiUrlHit, log4jLookupHit } from "./expression/jndi.ts";
import { interpolatorHit } from "./expression/interpolator.ts";
import { finding } from "./text.ts";

/** Findings weaker than this are noise, not features. */
const MIN_STRENGTH = 0.3;
/** A template expression that computes, in a URL path. */
const PATH_ARITHMETIC = 0.85;

export const expressionAnalyzer: Analyzer = {
  name: "expression",
  analyze(input: AnalyzerInput): Finding[] {
    const s = input.text;
    const out: Finding[] = [];
    for (const h of jndiHits(s)) out.push(finding("log4shell", "expression.jndi-lookup", h.strength, h.start, h.end));
    const lookup = out.length ? null : log4jLookupHit(s);
    if (lookup) out.push(finding("log4shell", `expression.${lookup.rule}`, lookup.strength, lookup.start, lookup.end));
    const url = out.length ? null : jndiUrlHit(s);
    if (url) out.push(finding("log4shell", "expression.jndi-url", url.strength, url.start, url.end));
    const interpolated = interpolatorHit(s);
    if (interpolated) out.push(finding("ssti", "expression.interpolator-lookup", interpolated.strength, interpolated.start, interpolated.end));
    for (const h of expressionHits(s)) {
      // A URL path's own template expression that computes (`/${(111+111)}/x.action`, Struts' S2-057
      // probe): no route holds one; a front end's failed interpolation leaves a name (`/api/${id}`), not a sum.
      const strength = input.kind === "path" && h.construct.endsWith("-arithmetic") ? Math.max(h.strength, PATH_ARITHMETIC) : h.strength;
      if (strength >= MIN_STRENGTH) out.push(finding("ssti", `expression.${h.construct}`, strength, h.start, h.end));
    }
    return out;
  },
};
