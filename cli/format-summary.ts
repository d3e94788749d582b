/** The human-readable scan summary. Every value from the input is escaped (escapeControls) before it is aligned. */
import type { ScanSummary } from "../src/scan/summary.ts";
import { escapeControls } from "../src/core/control-chars.ts";

function table(title: string, rows: [string, number][], total: number): string {
  if (!rows.length) return "";
  const keys = rows.map(([k]) => escapeControls(k));
  const width = Math.max(...keys.map((k) => k.length), 8);
  const lines = rows.map(([, n], i) => `  ${keys[i]!.padEnd(Math.min(width, 60)).slice(0, 60)}  ${String(n).padStart(9)}  ${((n / Math.max(total, 1)) * 100).toFixed(1).padStart(5)}%`);
  return `${title}\n${lines.join("\n")}\n`;
}

export function formatSummary(s: ScanSummary): string {
  const out: string[] = [];
  out.push(`requests   ${s.requests}`);
  out.push(`rejected   ${s.rejected}${s.rejected ? " (lines that did not parse; samples below)" : ""}`);
  if (s.firstTime) out.push(`time span  ${s.firstTime} .. ${s.lastTime}`);
  for (const i of s.inputs) out.push(`input      ${escapeControls(i.source)} (${i.format})`);
  for (const f of s.failedInputs) out.push(`failed     ${escapeControls(f.error)}`); // the error names its input
  out.push("");
  out.push(table("methods", s.methods, s.requests));
  out.push(table("statuses", s.statuses, s.requests));
  out.push(table("top paths", s.topPaths, s.requests));
  out.push(table("top clients", s.topClients, s.requests));
  if (s.detection) {
    out.push(`flagged    ${s.detection.flagged} of ${s.requests} (${((s.detection.flagged / Math.max(1, s.requests)) * 100).toFixed(2)}%) by ${escapeControls(s.detection.modelVersion)} at threshold ${s.detection.threshold.toFixed(4)}`);
    out.push(table("attack types", s.detection.byAttackType, s.detection.flagged));
    out.push(table("severities", s.detection.bySeverity, s.detection.flagged));
  }
  for (const r of s.rejectedBySource) {
    out.push(`rejected in ${escapeControls(r.source)}: ${r.count}`);
    for (const sample of r.samples.slice(0, 5)) out.push(`  line ${sample.line ?? "?"}: ${escapeControls(sample.reason)}\n    ${escapeControls(JSON.stringify(sample.text.slice(0, 160)))}`);
  }
  return out.filter((l) => l !== "").join("\n") + "\n";
}
