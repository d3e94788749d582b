/**
 * What is made once per open store and kept as long as the store lives: prepared statements, and
 * what a process remembers it wrote. Keyed weakly, so a closed store's entry goes with it.
 */
import type { Store } from "./db.ts";

export function perStore<T>(make: (store: Store) => T): (store: Store) => T {
  const made = new WeakMap<Store, T>();
  return (store) => {
    let value = made.get(store);
    if (value === undefined) made.set(store, (value = make(store)));
    return value;
  };
}
