/**
 * Splits a text into plain and marked pieces, for showing evidence inside a request. The pieces are
 * rendered as React text, never as HTML.
 */
export interface Piece {
  text: string;
  marked: boolean;
}

export interface Span {
  start: number;
  end: number;
}

/** Merges overlapping spans and cuts the text along them. */
export function splitBySpans(text: string, spans: Span[]): Piece[] {
  const sorted = spans.filter((s) => s.end > s.start && s.start >= 0 && s.end <= text.length).sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const s of sorted) {
    const last = merged.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  const pieces: Piece[] = [];
  let at = 0;
  for (const s of merged) {
    if (s.start > at) pieces.push({ text: text.slice(at, s.start), marked: false });
    pieces.push({ text: text.slice(s.start, s.end), marked: true });
    at = s.end;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), marked: false });
  return pieces;
}

/** Spans of every occurrence of each needle (evidence found again inside the raw request). */
export function spansOf(text: string, needles: string[]): Span[] {
  const spans: Span[] = [];
  for (const needle of needles) {
    if (!needle) continue;
    for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) spans.push({ start: i, end: i + needle.length });
  }
  return spans;
}

/** A reason as the threat detail gives it: its field, its evidence, and where the API located it in the field's value. */
export interface Evidence {
  field: string;
  evidence: string;
  start?: number;
  end?: number;
}

/** A field's value as sent (still encoded), as the threat detail lists it. */
export interface FieldValue {
  field: string;
  raw: string;
}

/**
 * Evidence searched for across the whole request only from this length: a short evidence (a character
 * class such as `_`) would mark every occurrence in the request, not the one in its field.
 */
const MIN_FREE_EVIDENCE = 3;

/** Where a field's value sits in the raw request: after `name=` for a parameter, else its first occurrence. */
function valueAt(raw: string, field: FieldValue): number {
  const name = /^(?:query|body)\.(.+)$/.exec(field.field)?.[1];
  if (name !== undefined) {
    const at = raw.indexOf(`${name}=${field.raw}`);
    if (at !== -1) return at + name.length + 1;
  }
  return field.raw ? raw.indexOf(field.raw) : -1;
}

/**
 * The evidence of each reason in the raw request, within its field's value: at the span the API
 * located, else wherever the evidence occurs in that value. Only a reason whose field cannot be found
 * in the request (a decoded header, the body of a form) falls back to searching the whole request.
 */
export function evidenceSpans(raw: string, reasons: Evidence[], fields: FieldValue[]): Span[] {
  return reasons.flatMap((r) => {
    const field = fields.find((f) => f.field === r.field);
    const at = field ? valueAt(raw, field) : -1;
    if (at === -1) return r.evidence.length >= MIN_FREE_EVIDENCE ? spansOf(raw, [r.evidence]) : [];
    if (r.start !== undefined && r.end !== undefined) return [{ start: at + r.start, end: at + r.end }];
    return spansOf(field!.raw, [r.evidence]).map((s) => ({ start: at + s.start, end: at + s.end }));
  });
}
