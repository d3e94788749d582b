/**
 * Where an address is and whose network it is, as the API gives them from the operator's local
 * databases (geo.country_db, geo.asn_db): a country code with its name on hover, "AS64500 Example
 * Transit". Without the databases, or for an address they do not know, a dash.
 */
import type { Attacker } from "../lib/types.ts";

type GeoFields = Pick<Attacker, "country" | "asn" | "asOrg">;

// The browser's own region names: no table to ship, and a code it does not know stays a code.
const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "code" });

function countryName(code: string): string {
  try {
    return regionNames.of(code) ?? code;
  } catch {
    return code; // a code the browser refuses as malformed
  }
}

/** "AS64500 Example Transit", the organisation alone, or null when the API knows neither. */
export function asLabel(g: GeoFields): string | null {
  if (g.asn === null) return g.asOrg;
  return g.asOrg ? `AS${g.asn} ${g.asOrg}` : `AS${g.asn}`;
}

export function Country({ code }: { code: string | null }) {
  if (!code) return <>–</>;
  return (
    <abbr className="mono" title={countryName(code)}>
      {code}
    </abbr>
  );
}

export function AutonomousSystem({ geo }: { geo: GeoFields }) {
  const label = asLabel(geo);
  if (!label) return <>–</>;
  // AS names run long ("… Telecommunications Company Limited"): cut, with the whole name on hover.
  return (
    <span className="clip" style={{ maxWidth: "18rem" }} title={label}>
      {label}
    </span>
  );
}
