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
