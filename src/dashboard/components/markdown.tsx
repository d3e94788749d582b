/** An evaluation report (Markdown tables and lines) as React elements: text only, no HTML from it. */
import { parseMarkdown } from "../lib/markdown-table.ts";
import { PlainTable } from "./table.tsx";

export function Markdown({ source }: { source: string }) {
  return (
    <div className="markdown">
      {parseMarkdown(source).map((b, i) =>
        b.kind === "text" ? (
          <p key={i}>{b.text}</p>
        ) : (
          <PlainTable key={i} headers={b.header}>
            {b.rows.map((r, j) => (
              <tr key={j}>
                {r.map((c, k) => (
                  <td key={k}>{c}</td>
                ))}
              </tr>
            ))}
          </PlainTable>
        ),
      )}
    </div>
  );
}
