/** Loading data in a component: the answer, the error, whether it is loading, and a way to load again. */
import { useCallback, useEffect, useRef, useState, type DependencyList } from "react";

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  /** True from the very render in which `deps` change until their answer has arrived. */
  loading: boolean;
  reload: () => void;
  /** Changes the data in place (live updates), keeping it until the next load. */
  update: (change: (data: T | undefined) => T | undefined) => void;
}

/** `deps` are the values the request is made of (strings, numbers): they say when to load again. */
export function useApi<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify([...deps, generation]);
  const [state, setState] = useState<{ data: T | undefined; error: Error | undefined; key: string | null }>({ data: undefined, error: undefined, key: null });
  useEffect(() => {
    let current = true; // an answer to an older request must not overwrite a newer one
    load().then(
      (data) => current && setState({ data, error: undefined, key }),
      (error: Error) => current && setState((s) => ({ data: s.data, error, key })),
    );
    return () => {
      current = false;
    };
    // `load` is a new closure every render: `key` says when what it loads changes.
  }, [key]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const update = useCallback((change: (data: T | undefined) => T | undefined) => setState((s) => ({ ...s, data: change(s.data) })), []);
  return { data: state.data, error: state.error, loading: state.key !== key, reload, update };
}

/**
 * Calls `tick` every `ms` while the page is visible. The latest `tick` is called, but a new closure
 * does not restart the timer: a page re-rendered by live updates more often than `ms` still ticks.
 */
export function useInterval(tick: () => void, ms: number): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === "visible") latest.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}
