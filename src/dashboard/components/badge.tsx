/** Small coloured labels for severities, statuses and verdicts (colour is never the only signal: the word is there). */
const TONES: Record<string, string> = {
  critical: "danger",
  high: "danger",
  fail: "danger",
  blocked: "danger",
  flagged: "warn",
  medium: "warn",
  warning: "warn",
  acknowledged: "info",
  low: "info",
  info: "info",
  pass: "ok",
  benign: "ok",
  active: "warn",
  resolved: "muted",
  dismissed: "muted",
};

export function Badge({ value, label }: { value: string; label?: string }) {
  return <span className={`badge badge-${TONES[value] ?? "muted"}`}>{label ?? value}</span>;
}
