/** Numbers, sizes, durations and times as the dashboard shows them. */

const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });

export function count(n: number | undefined): string {
  return n === undefined ? "–" : integer.format(n);
}

export function decimal(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits);
}

export function percent(n: number | undefined, digits = 1): string {
  return n === undefined ? "–" : `${decimal(n, digits)}%`;
}

export function ms(n: number | null | undefined): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return "–";
  if (n >= 1000) return `${(n / 1000).toFixed(2)} s`;
  return `${n < 10 ? n.toFixed(2) : n.toFixed(0)} ms`;
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function duration(seconds: number | undefined): string {
  if (seconds === undefined) return "–";
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  return m ? `${m} min` : `${Math.floor(seconds)} s`;
}

/** Local date and time of an ISO timestamp, to the second. */
export function clock(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "–";
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour12: false }) : d.toLocaleString([], { hour12: false });
}

/** "just now", "5 min ago"... from an ISO timestamp (the server's `time` labels go stale in a live list). */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** A score or threshold (0 to 1) to three decimals, without trailing zeros: 0.34, not 0.3402205109596253. */
export function score(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? "–" : String(Number(n.toFixed(3)));
}
