/**
 * JSFuck and its kin write any script with six characters, `[]()!+`: a long run made of nothing
 * else (spaces aside) is script by construction, since no text or data format looks like it.
 */

/** Shortest run worth a finding: `[][(![]+[])[+[]]` alone is 17 characters; real payloads run to thousands. */
const MIN_RUN = 24;

const isFuckChar = (c: number) => c === 91 || c === 93 || c === 40 || c === 41 || c === 33 || c === 43;

/** [start, end) of each run of `[]()!+` (spaces inside allowed) long enough and mixed enough to be code. */
export function jsfuckRuns(text: string, start: number, end: number): [number, number][] {
  const out: [number, number][] = [];
  let runStart = -1;
  let count = 0;
  let bangs = 0;
  let brackets = 0;
  const close = (at: number) => {
    if (runStart >= 0 && count >= MIN_RUN && bangs >= 2 && brackets >= 4) out.push([runStart, at]);
    runStart = -1;
    count = bangs = brackets = 0;
  };
  // Every such run has an empty array `[]`; start at the run that holds the first one.
  const first = text.indexOf("[]", start);
  if (first === -1 || first >= end) return out;
  let from = first;
  while (from > start && (isFuckChar(text.charCodeAt(from - 1)) || text.charCodeAt(from - 1) === 32)) from--;
  let lastFuck = from;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isFuckChar(c)) {
      if (runStart < 0) runStart = i;
      count++;
      if (c === 33) bangs++;
      else if (c === 91) brackets++;
      lastFuck = i + 1;
    } else if (c !== 32 || runStart < 0) {
      close(lastFuck);
    }
  }
  close(lastFuck);
  return out;
}
