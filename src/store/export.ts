/**
 * Threats and alerts for a SIEM, as NDJSON or CSV, read in pages so that a large database streams in
 * bounded memory.
 */
import { escapeControls, safeJson } from "../core/control-chars.ts";
import type { Store } from "./db.ts";

export type ExportTable = "threats" | "alerts";
export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const PAGE = 1000;
const TIME_COLUMN: Record<ExportTable, string> = { threats: "time", alerts: "last_seen" };

/**
 * One CSV cell. Control and bidi characters are written as visible escapes (`\n`, `\x1b`, `\u202e`; see
 * escapeControls), so that the export shown on a terminal cannot drive it, and every record is one line.
 * Formula-looking cells are prefixed so that a spreadsheet never evaluates attacker text. Shared with
 * the CSV of the CLI's listings (`-o csv`, cli/listing.ts).
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = escapeControls(String(v));
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export async function* exportRows(store: Store, table: ExportTable, format: ExportFormat, since = 0): AsyncGenerator<string> {
  let lastId = 0;
  let header: string[] | null = null;
  for (;;) {
    const rows = store.sql.query(`select * from ${table} where id > ? and ${TIME_COLUMN[table]} >= ? order by id limit ${PAGE}`).all(lastId, since) as Record<string, unknown>[];
    if (!rows.length) return;
    let out = "";
    for (const row of rows) {
      if (format === "ndjson") {
        const parsed = { ...row };
        for (const k of ["reasons", "request"]) if (typeof parsed[k] === "string") parsed[k] = JSON.parse(parsed[k] as string);
        out += `${safeJson({ kind: table.slice(0, -1), ...parsed })}\n`;
      } else {
        if (!header) {
          header = Object.keys(row);
          out += `${header.join(",")}\n`;
        }
        out += `${header.map((k) => csvCell(row[k])).join(",")}\n`;
      }
      lastId = row.id as number;
    }
    yield out;
  }
}
