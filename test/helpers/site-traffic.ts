/**
 * A small, deterministic shop's traffic for tests: a few endpoints with typed parameters, written as
 * nginx combined lines. Our own fixture, so the suite runs without the shared datasets.
 */
import { Faker, base, de, en } from "@faker-js/faker";

export function shopLogLines(count: number, seed = 1): string[] {
  const f = new Faker({ locale: [en, de, base] });
  f.seed(seed);
  const colors = ["red", "blue", "green", "black"];
  const lines: string[] = [];
  const start = Date.UTC(2026, 10, 24, 10, 0, 0);
  for (let i = 0; i < count; i++) {
    const kind = i % 5;
    let target: string;
    if (kind === 0) target = `/products?id=${f.number.int({ min: 1, max: 5000 })}&color=${f.helpers.arrayElement(colors)}`;
    else if (kind === 1) target = `/search?q=${encodeURIComponent(f.commerce.productName()).replaceAll("%20", "+")}&page=${f.number.int({ min: 1, max: 9 })}`;
    else if (kind === 2) target = `/cart/add?item=${f.number.int({ min: 1, max: 5000 })}&qty=${f.number.int({ min: 1, max: 5 })}`;
    else if (kind === 3) target = `/account/orders?since=${f.date.past().toISOString().slice(0, 10)}`;
    else target = f.helpers.arrayElement(["/", "/static/app.js", "/static/style.css", "/about", "/contact"]);
    const t = new Date(start + i * 1000);
    const time = `${String(t.getUTCDate()).padStart(2, "0")}/Nov/2026:${String(t.getUTCHours()).padStart(2, "0")}:${String(t.getUTCMinutes()).padStart(2, "0")}:${String(t.getUTCSeconds()).padStart(2, "0")} +0000`;
    lines.push(`198.51.100.${(i % 200) + 1} - - [${time}] "GET ${target} HTTP/1.1" 200 ${f.number.int({ min: 100, max: 9000 })} "-" "${f.internet.userAgent().replaceAll('"', "")}"`);
  }
  return lines;
}
