/**
 * A time chart drawn by uPlot (canvas), sized to its container. Stacked charts draw cumulative sums,
 * top series first, and their legend shows each series' own value. The numbers are also available
 * as a table for keyboard and screen-reader users.
 */
import { PlainTable } from "./table.tsx";
import { useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ChartPoint } from "../lib/types.ts";

export interface SeriesSpec {
  key: keyof ChartPoint;
  label: string;
  color: string;
}

interface Props {
  title: string;
  points: ChartPoint[];
  series: SeriesSpec[];
  stacked?: boolean;
  height?: number;
  format?: (v: number) => string;
}

/** Seconds since the epoch for each point (`date` is the bucket's ISO start). */
function times(points: ChartPoint[]): number[] {
  return points.map((p) => Date.parse(p.date ?? "") / 1000);
}

function columns(points: ChartPoint[], series: SeriesSpec[]): number[][] {
  return series.map((s) => points.map((p) => Number(p[s.key] ?? 0)));
}

function cumulative(raw: number[][]): number[][] {
  return raw.map((_, i) => raw[0]!.map((_, j) => raw.slice(i).reduce((sum, col) => sum + (col[j] ?? 0), 0)));
}

const AXIS = { stroke: "#9aa7bd", grid: { stroke: "#24304d", width: 1 }, ticks: { stroke: "#24304d", width: 1 } };

export function TimeChart({ title, points, series, stacked = false, height = 220, format = (v) => String(Math.round(v * 100) / 100) }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const raw = useMemo(() => columns(points, series), [points, series]);
  const data = useMemo<uPlot.AlignedData>(() => [times(points), ...(stacked ? cumulative(raw) : raw)], [points, raw, stacked]);
  const [tableOpen, setTableOpen] = useState(false);
  const rawRef = useRef(raw);
  rawRef.current = raw;

  // The labels too: they are drawn in the legend (the trend chart keeps its series and changes its label).
  const seriesKey = JSON.stringify([series, stacked]);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      axes: [{ ...AXIS }, { ...AXIS, size: 56, values: (_u, vals) => vals.map((v) => format(v)) }],
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] } },
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: stacked ? `${s.color}55` : undefined,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => (idx === null ? "–" : format(rawRef.current[i]?.[idx] ?? 0)),
        })),
      ],
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change; new data goes through setData below.
  }, [seriesKey, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure className="chart">
      <div ref={box} role="img" aria-label={`${title}: chart of ${series.map((s) => s.label).join(", ")} over time`} />
      <details className="chart-table" onToggle={(e) => setTableOpen(e.currentTarget.open)}>
        <summary>{title} as a table</summary>
        {tableOpen && (
          <PlainTable headers={["time", ...series.map((s) => s.label)]}>
            {points.map((p, j) => (
              <tr key={j}>
                <td>{p.time}</td>
                {raw.map((col, i) => (
                  <td key={i}>{format(col[j] ?? 0)}</td>
                ))}
              </tr>
            ))}
          </PlainTable>
        )}
      </details>
    </figure>
  );
}
