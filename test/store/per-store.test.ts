import { expect, test } from "bun:test";
import { openStore } from "../../src/store/db.ts";
import { perStore } from "../../src/store/per-store.ts";

test("perStore makes its value once per store, and another for another store", () => {
  let made = 0;
  const counter = perStore(() => ({ n: ++made }));
  const a = openStore(":memory:");
  const b = openStore(":memory:");
  expect([counter(a), counter(a), counter(b)]).toEqual([{ n: 1 }, { n: 1 }, { n: 2 }]);
  expect(counter(a)).toBe(counter(a));
  a.close();
  b.close();
});
