/**
 * A table that renders only the rows in view (fixed row height, spacer rows above and below), so a
 * live tail of thousands of rows stays quick. The header stays in place while the body scrolls.
 */
import { useState, type ReactNode } from "react";

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  /** CSS width, e.g. "8rem"; the rest share what is left. */
  width?: string;
  className?: string;
}

interface Props<T> {
  label: string;
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T, index: number) => string | number;
  rowClass?: (row: T) => string;
  /** Height of the scrolling area in pixels. */
  height?: number;
  /** Newer rows are being loaded (the ones shown are about to be replaced). */
  busy?: boolean;
}

const ROW_HEIGHT = 36;
const OVERSCAN = 10;

export function VirtualTable<T>({ label, rows, columns, rowKey, rowClass, height = 520, busy = false }: Props<T>) {
  const [scrollTop, setScrollTop] = useState(0);
  const visible = Math.ceil(height / ROW_HEIGHT) + 2 * OVERSCAN;
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, first + visible);
  return (
    <div className="vtable" style={{ maxHeight: height }} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} tabIndex={0} aria-label={`${label}: ${rows.length} rows, scrollable`} aria-busy={busy} role="region">
      <table className="table table-fixed" aria-rowcount={rows.length + 1}>
        <colgroup>
          {columns.map((c, i) => (
            <col key={i} style={c.width ? { width: c.width } : undefined} />
          ))}
        </colgroup>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} scope="col">
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {first > 0 && <tr aria-hidden="true" style={{ height: first * ROW_HEIGHT }} />}
          {rows.slice(first, last).map((row, i) => (
            <tr key={rowKey(row, first + i)} className={rowClass?.(row)} style={{ height: ROW_HEIGHT }} aria-rowindex={first + i + 2}>
              {columns.map((c, j) => (
                <td key={j} className={c.className}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
          {last < rows.length && <tr aria-hidden="true" style={{ height: (rows.length - last) * ROW_HEIGHT }} />}
        </tbody>
      </table>
    </div>
  );
}

/** The header of a column of row actions: named for screen readers only. */
export const ACTIONS_HEADER = <span className="sr-only">Actions</span>;

/** A small table that scrolls sideways in a narrow window; `headers` label the columns. */
export function PlainTable({ headers, children }: { headers: ReactNode[]; children: ReactNode }) {
  return (
    <div className="table-scroll">
      <table className="table">
        <thead>
          <tr>
            {headers.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
