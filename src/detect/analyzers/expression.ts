/**
 * Template and expression-language injection (class `ssti`): code inside a template engine's
 * delimiters, EL/OGNL/SpEL/Velocity/Freemarker syntax (expression/constructs.ts, judged by
 * expression/content.ts); and Log4Shell (class `log4shell`): a JNDI lookup after Log4j's nested
 * lookups are resolved (expression/jndi.ts). Every finding carries its span in the value.
 */
import type { Analyzer, AnalyzerInput, Finding } from "./finding.ts";
import { expressionHits } from "./expression/constructs.ts";
import { jndiHits } from "./expression/jndi.ts";

/** Findings weaker than this are noise, not features. */
const MIN_STRENGTH = 0.3;

const round = (x: number) => Math.round(x * 100) / 100;

export const expressionAnalyzer: Analyzer = {
  name: "expression",
  analyze(input: AnalyzerInput): Finding[] {
    const s = input.text;
    const out: Finding[] = [];
    for (const h of jndiHits(s)) out.push({ class: "log4shell", rule: "expression.jndi-lookup", strength: round(h.strength), start: h.start, end: h.end });
    for (const h of expressionHits(s)) {
      if (h.strength >= MIN_STRENGTH) out.push({ class: "ssti", rule: `expression.${h.construct}`, strength: round(h.strength), start: h.start, end: h.end });
    }
    return out;
  },
};
