/**
 * Benign samples: what real sites receive and a generic model must not flag. Values come from
 * @faker-js/faker in many locales (names, addresses, search text in several scripts), plus the
 * shapes that trip naive detectors: JSON in parameters, JWTs, base64, tracking beacons, URLs,
 * file names, apostrophes in names and prose, and developer and content text (dev-text.ts).
 */
import { Faker, base, de, en, es, fr, ja, ko, ru, zh_CN, ar, pt_BR, tr, pl } from "@faker-js/faker";
import { rng } from "../../core/random.ts";
import { devTextParam } from "./dev-text.ts";
import { encodeLike, pick, type Sample } from "./sample.ts";

const LOCALES = [en, de, es, fr, ja, ko, ru, zh_CN, ar, pt_BR, tr, pl];

function b64url(r: () => number, bytes: number): string {
  const buf = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) buf[i] = Math.floor(r() * 256);
  return Buffer.from(buf).toString("base64url");
}

const POPULAR_HOSTS = ["google.com", "www.google.com", "google.co.uk", "facebook.com", "m.facebook.com", "t.co", "bing.com", "duckduckgo.com", "youtube.com", "linkedin.com", "instagram.com", "reddit.com", "news.ycombinator.com", "github.com", "yandex.ru", "baidu.com", "accounts.google.com", "login.microsoftonline.com"];

const MERGE_FIELDS = ["first_name", "FNAME", "name", "contact.first_name", "user.name", "email", "company", "order_id", "unsubscribe_url", "product.title"];

/** One realistic parameter name and value. */
function param(f: Faker, r: () => number): [string, string] {
  const kind = Math.floor(r() * 33);
  switch (kind) {
    case 0: return ["q", f.commerce.productName()];
    case 1: return ["search", f.lorem.words({ min: 1, max: 5 })];
    case 2: return ["name", f.person.fullName()];
    case 3: return ["email", f.internet.email()];
    case 4: return ["address", f.location.streetAddress({ useFullAddress: r() < 0.5 })];
    case 5: return ["city", f.location.city()];
    case 6: return ["comment", f.lorem.sentence()];
    case 7: return ["id", String(f.number.int({ min: 1, max: 10_000_000 }))];
    case 8: return ["uuid", f.string.uuid()];
    case 9: return ["date", r() < 0.5 ? f.date.recent().toISOString() : f.date.past().toISOString().slice(0, 10)];
    case 10: return ["price", f.commerce.price()];
    case 11: return ["data", JSON.stringify({ id: f.number.int(999), name: f.person.firstName(), tags: [f.word.noun(), f.word.adjective()], active: r() < 0.5 })];
    case 12: return ["token", `${b64url(r, 20)}.${b64url(r, 60)}.${b64url(r, 32)}`];
    case 13: return ["state", Buffer.from(JSON.stringify({ returnTo: `/${f.word.noun()}`, nonce: f.string.alphanumeric(12) })).toString("base64")];
    case 14: return ["url", f.internet.url() + (r() < 0.5 ? `/${f.system.fileName()}` : `?ref=${f.word.noun()}`)];
    case 15: return ["redirect", `/${f.word.noun()}/${f.word.noun()}${r() < 0.3 ? `?tab=${f.word.noun()}` : ""}`];
    case 16: return [pick(r, ["utm_source", "utm_medium", "utm_campaign", "utm_content"]), pick(r, ["newsletter", "google", "cpc", "email", "facebook", `spring_sale_${f.number.int(99)}`])];
    case 17: return ["file", f.system.fileName()];
    case 18: return ["phone", f.phone.number()];
    case 19: return ["company", f.company.name()];
    case 20: return ["title", f.book?.title?.() ?? f.lorem.words(3)];
    case 21: return ["sort", pick(r, ["price_asc", "-created_at", "name,desc", "relevance", "date:desc"])];
    case 22: return ["filter", pick(r, [`category:${f.commerce.department()}`, `price>=${f.number.int(100)}`, `size in (s,m,l)`, `color=${f.color.human()}`])];
    case 23: return ["bio", f.person.bio()];
    case 24: return ["ua", f.internet.userAgent()];
    case 25: return ["cid", `${f.number.int(2_000_000_000)}.${f.number.int(2_000_000_000)}`];
    case 26: return ["hash", f.string.hexadecimal({ length: 40, prefix: "" })];
    case 27: return ["msg", pick(r, ["It's great!", "Don't forget the 2\" pipe", "rock 'n' roll", "O'Reilly & Sons", "50% off -- today only", "select your size", "drop-down menu", "1=1 rule of thumb", "C:\\Users\\Public", "a < b && c > d", "#1 choice; really"])];
    case 28: return ["json", JSON.stringify([{ op: "replace", path: `/${f.word.noun()}`, value: f.word.adjective() }])];
    // Where the visitor came from or goes back to: big sites' URLs are everyday values, not redirects to evil.
    case 29: return [pick(r, ["ref", "next", "return_to", "url", "u", "redirect_uri", "utm_referrer", "from", "continue"]), `${pick(r, ["https://", "http://", "https://www.", ""])}${pick(r, POPULAR_HOSTS)}${pick(r, ["", "/", `/search?q=${f.word.noun()}`, `/${f.lorem.slug(2)}`, `/watch?v=${f.string.alphanumeric(11)}`])}`];
    // Merge tags that a mailing tool failed to fill: common in campaign links, and not template injection.
    case 30: return [pick(r, ["utm_content", "name", "greeting", "subject", "tpl", "msg"]), pick(r, [`{{${pick(r, MERGE_FIELDS)}}}`, `{{ ${pick(r, MERGE_FIELDS)} }}`, `Hi {{${pick(r, MERGE_FIELDS)}}}`, `*|${pick(r, MERGE_FIELDS).toUpperCase()}|*`, `%%${pick(r, MERGE_FIELDS)}%%`, `{${pick(r, MERGE_FIELDS)}}`, `[${pick(r, MERGE_FIELDS)}]`])];
    case 31: return devTextParam(f, r);
    default: return ["v", f.string.alphanumeric({ length: { min: 1, max: 24 } })];
  }
}

function benignPath(f: Faker, r: () => number): string {
  const kind = Math.floor(r() * 8);
  switch (kind) {
    case 0: return `/api/v${f.number.int({ min: 1, max: 3 })}/${f.word.noun()}s/${f.number.int(99999)}`;
    case 1: return `/static/${pick(r, ["js", "css", "img", "fonts"])}/${f.system.fileName()}`;
    case 2: return `/blog/${f.date.past().getFullYear()}/${f.lorem.slug(4)}`;
    case 3: return `/products/${f.lorem.slug(2)}-${f.number.int(9999)}.html`;
    case 4: return `/${f.word.noun()}/${f.string.uuid()}`;
    case 5: return `/${encodeURIComponent(f.word.noun())}/${encodeURIComponent(f.lorem.word())}`;
    case 6: return pick(r, ["/", "/index.html", "/favicon.ico", "/robots.txt", "/sitemap.xml", "/login", "/logout", "/cart", "/checkout", "/account/settings", "/.well-known/security.txt"]);
    default: return `/${f.lorem.slug(1)}/${f.lorem.slug(2)}/`;
  }
}

/**
 * The day Faker's dates (`recent()`, `past()`) count back from. Left to Faker, that is the clock: the
 * samples, and the generic model trained on them, then changed from one build to the next.
 */
const REFERENCE_DATE = new Date("2026-01-01T00:00:00Z");

/** `count` benign samples over all locations, deterministic per seed. */
export function benignSamples(count: number, seed: number): Sample[] {
  const r = rng(seed);
  const fakers = LOCALES.map((locale, i) => {
    const f = new Faker({ locale: [locale, en, base] });
    f.seed(seed + i);
    f.setDefaultRefDate(REFERENCE_DATE);
    return f;
  });
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const f = pick(r, fakers);
    const roll = r();
    if (roll < 0.6) {
      const [name, value] = param(f, r);
      const location = r() < 0.75 ? "query" : "body";
      out.push({ location, name, raw: encodeLike(r, value, location), label: "benign", source: "faker:param" });
    } else if (roll < 0.8) {
      out.push({ location: "path", name: "", raw: benignPath(f, r), label: "benign", source: "faker:path" });
    } else if (roll < 0.9) {
      const which = r();
      if (which < 0.5) out.push({ location: "header", name: "user-agent", raw: f.internet.userAgent(), label: "benign", source: "faker:header" });
      else out.push({ location: "header", name: "referer", raw: `${f.internet.url()}/${f.lorem.slug(2)}${r() < 0.4 ? `?q=${encodeURIComponent(f.lorem.words(2))}` : ""}`, label: "benign", source: "faker:header" });
    } else {
      const value = pick(r, [f.string.alphanumeric(32), f.string.uuid(), `${f.string.hexadecimal({ length: 16, prefix: "" })}`, encodeURIComponent(JSON.stringify({ theme: pick(r, ["dark", "light"]), lang: f.location.countryCode() })), `GA1.2.${f.number.int(2e9)}.${f.number.int(2e9)}`]);
      out.push({ location: "cookie", name: pick(r, ["session", "prefs", "_ga", "csrftoken", "lang"]), raw: value, label: "benign", source: "faker:cookie" });
    }
  }
  return out;
}
