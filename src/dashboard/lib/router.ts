/**
 * Hash routing (`#/threats/42?range=6h&ip=...`): the server only ever serves `/`, so a reload or a
 * shared link works without server-side routes, and nothing but the page and its assets is exempt
 * from authentication. The query carries the time range and each page's filters.
 */
import { useSyncExternalStore } from "react";
import { RANGES, type Range } from "./types.ts";

export interface Route {
  /** Path segments: `["threats", "42"]`; `[]` is the overview. */
  path: string[];
  query: URLSearchParams;
}

const RANGE_KEY = "moat.range";

function parse(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#\/?/, "").split("?", 2);
  return { path: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

let current = parse(location.hash);
const watchers = new Set<() => void>();
function changed(): void {
  current = parse(location.hash);
  for (const fn of watchers) fn();
}
addEventListener("hashchange", changed);

/** The range shown when neither the link nor the operator chose one: set from the data's age at login. */
let defaultRange: Range = "24h";
export function setDefaultRange(range: Range): void {
  defaultRange = range;
  changed();
}

export function useRoute(): Route {
  return useSyncExternalStore(
    (fn) => {
      watchers.add(fn);
      return () => watchers.delete(fn);
    },
    () => current,
  );
}

/** The time range every page honours: from the link, else the last one chosen, else the default. */
export function rangeOf(route: Route): Range {
  const r = route.query.get("range") ?? localStorage.getItem(RANGE_KEY);
  return RANGES.includes(r as Range) ? (r as Range) : defaultRange;
}

/** A link within the dashboard; the time range goes along unless `params` set it. */
export function href(path: string, params: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  const range = params.range ?? rangeOf(current);
  for (const [k, v] of Object.entries({ ...params, range })) if (v !== undefined && v !== "") q.set(k, String(v));
  return `#${path}?${q}`;
}

/** The page of one client address (its profile, with its ban). */
export const addressHref = (ip: string) => href(`/address/${encodeURIComponent(ip)}`);

/** Changes some query parameters of the current page (filters, range), keeping the others; an empty value removes one. */
export function setQuery(change: Record<string, string | undefined>): void {
  if (change.range) localStorage.setItem(RANGE_KEY, change.range);
  location.hash = href(`/${current.path.map(encodeURIComponent).join("/")}`, { ...Object.fromEntries(current.query), ...change }).slice(1);
}
