/**
 * Numbers on chart axes and in chart legends. Axis ticks get as many decimals as their step needs
 * (0.2, 0.4, 0.6 rather than 0, 0, 1), and milliseconds turn into seconds once the axis reaches one.
 */
import { ms } from "./format.ts";

/** What a chart's numbers are: plain counts, milliseconds, or percents. */
export type Unit = "count" | "ms" | "%";

const MAX_DECIMALS = 6;

/** The fewest decimals that write every value exactly (up to float noise). */
function decimalsFor(values: number[]): number {
  for (let d = 0; d < MAX_DECIMALS; d++) {
    const scale = 10 ** d;
    if (values.every((v) => Math.abs(Math.round(v * scale) - v * scale) < 1e-6 * Math.max(1, Math.abs(v * scale)))) return d;
  }
  return MAX_DECIMALS;
}

/** The labels of an axis's ticks (evenly spaced values, as uPlot picks them). */
export function tickLabels(values: number[], unit: Unit = "count"): string[] {
  const seconds = unit === "ms" && values.some((v) => Math.abs(v) >= 1000);
  const scaled = seconds ? values.map((v) => v / 1000) : values;
  const digits = decimalsFor(scaled);
  const number = new Intl.NumberFormat("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const suffix = unit === "ms" ? (seconds ? " s" : " ms") : unit === "%" ? "%" : "";
  return scaled.map((v) => `${number.format(v)}${suffix}`);
}

const legendCount = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });

/** One value, as a legend or the chart's table shows it. */
export function valueLabel(v: number | null, unit: Unit = "count"): string {
  if (v === null || !Number.isFinite(v)) return "–";
  if (unit === "ms") return ms(v);
  return unit === "%" ? `${v.toFixed(1)}%` : legendCount.format(v);
}
