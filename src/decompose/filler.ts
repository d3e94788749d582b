/**
 * Padding: a long run of one character (`aaaa…`, spaces, `0000…`) that pushes a payload past the bytes
 * a WAF inspects. The payload is still in the value, but read after kilobytes of filler it is no
 * longer at the value's start, where an injection begins and where the analyzers look for a
 * break-out: `a…a 0 or 1=1` is no SQL from its first byte. An application that splits or trims the
 * value reads the payload alone, so each piece between filler runs is also judged as a value of its
 * own (a `~unpadded` child: decompose/encodings.ts).
 */

/** A run this long of one character is filler: no word, number or token of a real value repeats one character that often. */
export const FILLER_RUN = 256;
/** Pieces kept per value: a padded payload has one or two (before and after the filler). */
const MAX_PIECES = 4;
/** Shorter pieces hold no payload worth a leaf of its own. */
const MIN_PIECE = 3;

/**
 * The pieces of `text` between runs of FILLER_RUN or more of one character, trimmed, in order; []
 * when the text has no such run. Linear: one pass, no allocation but the pieces.
 */
export function fillerPieces(text: string): string[] {
  if (text.length < FILLER_RUN + MIN_PIECE) return [];
  const pieces: string[] = [];
  // Where the piece after the last filler run starts: 0 while none was found.
  let pieceStart = 0;
  let i = 0;
  while (i < text.length && pieces.length < MAX_PIECES) {
    const c = text.charCodeAt(i);
    let j = i + 1;
    while (j < text.length && text.charCodeAt(j) === c) j++;
    if (j - i >= FILLER_RUN) {
      keepPiece(text.slice(pieceStart, i), pieces);
      pieceStart = j;
    }
    i = j;
  }
  if (pieceStart === 0) return [];
  if (pieces.length < MAX_PIECES) keepPiece(text.slice(pieceStart), pieces);
  return pieces;
}

function keepPiece(piece: string, pieces: string[]): void {
  const t = piece.trim();
  if (t.length >= MIN_PIECE) pieces.push(t);
}
