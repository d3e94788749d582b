/** An evaluation report (Markdown tables and lines) as React elements: text only, no HTML from it. */
import { parseMarkdown } from "../lib/markdown-table.ts";

export function Markdown({ source }: { source: string }) {
  return (
    <div className="markdown">
      {parseMarkdown(source).map((b, i) =>
        b.kind === "text" ? (
          <p key={i}>{b.text}</p>
        ) : (
          <div className="table-scroll" key={i}>
            <table className="table">
              <thead>
                <tr>
                  {b.header.map((h, j) => (
                    <th key={j} scope="col">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {b.rows.map((r, j) => (
                  <tr key={j}>
                    {r.map((c, k) => (
                      <td key={k}>{c}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ),
      )}
    </div>
  );
}
