/**
 * A time chart drawn by uPlot (canvas), sized to its container. Stacked charts draw cumulative sums,
 * top series first, and their legend shows each series' own value. A series may have its own scale
 * on the right (a small count beside a large one would lie flat on the first). Buckets without data
 * are gaps, not zeros, and the time axis starts where the stored data does. The numbers are also
 * available as a table for keyboard and screen-reader users.
 */
import { PlainTable } from "./table.tsx";
import { useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ChartPoint } from "../lib/types.ts";
import { tickLabels, valueLabel, type Unit } from "../lib/ticks.ts";
import { fromDataStart } from "../lib/range.ts";

export interface SeriesSpec {
  key: keyof ChartPoint;
  label: string;
  color: string;
  /** Drawn against its own scale, on the right. */
  ownAxis?: boolean;
}

interface Props {
  title: string;
  points: ChartPoint[];
  series: SeriesSpec[];
  stacked?: boolean;
  height?: number;
  unit?: Unit;
  /** Epoch ms before which there is no data (e.g. samples kept since start-up): drawn as a gap. */
  since?: number;
}

/** Seconds since the epoch for each point (`date` is the bucket's ISO start). */
function times(points: ChartPoint[]): number[] {
  return points.map((p) => Date.parse(p.date ?? "") / 1000);
}

/** Each series' values; null (a gap) for the buckets that end before `since`. */
function columns(points: ChartPoint[], series: SeriesSpec[], since: number | undefined): (number | null)[][] {
  const starts = times(points).map((t) => t * 1000);
  const width = starts.length > 1 ? starts[1]! - starts[0]! : 0;
  const empty = (j: number) => since !== undefined && starts[j]! + width <= since;
  return series.map((s) => points.map((p, j) => (empty(j) ? null : Number(p[s.key] ?? 0))));
}

function cumulative(raw: (number | null)[][]): number[][] {
  return raw.map((_, i) => raw[0]!.map((_, j) => raw.slice(i).reduce((sum, col) => sum + (col[j] ?? 0), 0)));
}

const AXIS = { stroke: "#9aa7bd", grid: { stroke: "#24304d", width: 1 }, ticks: { stroke: "#24304d", width: 1 } };

/** The values with no value on either side: a line needs two, so only these are drawn as dots (a lone sample after a gap). */
const isolated: uPlot.Series.Points.Filter = (u, si) => {
  const ys = Array.from(u.data[si] ?? []);
  const seen = (i: number) => ys[i] !== null && ys[i] !== undefined;
  return ys.flatMap((_, i) => (seen(i) && !seen(i - 1) && !seen(i + 1) ? [i] : []));
};

const yRange: uPlot.Range.Function = (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)];

export function TimeChart({ title, points: all, series, stacked = false, height = 220, unit = "count", since }: Props) {
  const points = useMemo(() => fromDataStart(all), [all]);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const raw = useMemo(() => columns(points, series, since), [points, series, since]);
  const data = useMemo<uPlot.AlignedData>(() => [times(points), ...(stacked ? cumulative(raw) : raw)], [points, raw, stacked]);
  const [tableOpen, setTableOpen] = useState(false);
  const rawRef = useRef(raw);
  rawRef.current = raw;

  // The labels too: they are drawn in the legend (the trend chart keeps its series and changes its label).
  const seriesKey = JSON.stringify([series, stacked, unit]);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      axes: [
        { ...AXIS },
        { ...AXIS, size: 64, values: (_u, vals) => tickLabels(vals, unit) },
        ...series.filter((s) => s.ownAxis).map((s) => ({ ...AXIS, scale: s.key, side: 1, stroke: s.color, grid: { show: false }, size: 64, values: (_u: uPlot, vals: number[]) => tickLabels(vals, unit) })),
      ],
      scales: { x: { time: true }, y: { range: yRange }, ...Object.fromEntries(series.filter((s) => s.ownAxis).map((s) => [s.key, { range: yRange }])) },
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.ownAxis ? `${s.label} (right axis)` : s.label,
          scale: s.ownAxis ? s.key : "y",
          stroke: s.color,
          width: 2,
          fill: stacked ? `${s.color}55` : undefined,
          points: { show: true, filter: isolated },
          value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => (idx === null ? "–" : valueLabel(rawRef.current[i]?.[idx] ?? null, unit)),
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
                  <td key={i}>{valueLabel(col[j] ?? null, unit)}</td>
                ))}
              </tr>
            ))}
          </PlainTable>
        )}
      </details>
    </figure>
  );
}
