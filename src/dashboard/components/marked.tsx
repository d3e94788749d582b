/** Text with some spans marked (evidence inside a request). Rendered as text nodes only. */
import { splitBySpans, type Span } from "../lib/highlight.ts";

export function Marked({ text, spans, className }: { text: string; spans: Span[]; className?: string }) {
  return (
    <code className={className ?? "code"}>
      {splitBySpans(text, spans).map((p, i) => (p.marked ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </code>
  );
}
