/** The time range every page honours (kept in the link and remembered for the next visit). */
import { setQuery } from "../lib/router.ts";
import { RANGES, type Range } from "../lib/types.ts";

export function RangePicker({ value }: { value: Range }) {
  return (
    <div className="segmented" role="group" aria-label="Time range">
      {RANGES.map((r) => (
        <button key={r} type="button" className={r === value ? "seg seg-on" : "seg"} aria-pressed={r === value} onClick={() => setQuery({ range: r })}>
          {r}
        </button>
      ))}
    </div>
  );
}
