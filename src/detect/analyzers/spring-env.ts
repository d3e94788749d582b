/**
 * Spring Boot's actuator remote code execution: an exposed environment endpoint (`/actuator/env`) told
 * to set a property that loads configuration or code from where it points, set to another host's
 * address; a refresh or restart then loads it. A request-scope rule: only the request's target says
 * that a name-value pair is a property set on the running application.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import type { Leaf } from "../../decompose/leaf.ts";
import { percentDecode } from "../../parse/decode.ts";
import type { Finding } from "./finding.ts";
import { finding } from "./text.ts";
import { judgeHost } from "./ssrf.ts";

/**
 * The loaders, their words joined: a YAML bootstrap (SnakeYAML's gadgets), Groovy sources, a Logback
 * configuration, a Eureka server of any zone (XStream), a configuration server or imported
 * configuration, SQL init scripts, a change log, template folders. Spring's relaxed binding reads a
 * property in any case, with `-`, `_`, `.` or brackets between its words or none
 * (`SPRING_MAIN_SOURCES`, `service-url[defaultZone]`).
 */
const LOADERS = new Set([
  "springcloudbootstraplocation", "springcloudbootstrapadditionallocation", "springmainsources", "loggingconfig", "springcloudconfiguri",
  "springconfigimport", "springconfiglocation", "springconfigadditionallocation", "springdatasourcedata", "springdatasourceschema",
  "springsqlinitdatalocations", "springsqlinitschemalocations", "springliquibasechangelog", "springfreemarkertemplateloaderpath",
]);
const EUREKA_ZONES = "eurekaclientserviceurl";
const MAX_NAME = 80;

function isLoader(name: string): boolean {
  if (name.length > MAX_NAME) return false;
  const joined = name.toLowerCase().replace(/[-_.[\]]/g, "");
  return LOADERS.has(joined) || joined.startsWith(EUREKA_ZONES);
}

/**
 * The environment endpoint (Boot 2's `/actuator/env`, Spring Cloud Bus's `/actuator/busenv`, Boot 1's
 * `/env` at the root), as the server reads the path: escapes decoded, path parameters (`;jsessionid=`)
 * and Boot 1's `.json` suffix dropped. A hosting platform's `/api/apps/x/env` sets a deployment's
 * variables, which name the site's own servers by these properties every day.
 */
const ENV_ENDPOINT = /^(?:\/.*)?\/actuator\/(?:env|bus-?env)$|^\/env$/;

/** What a path must hold to be the endpoint, as sent: its name, or an escape that may spell it. */
const ENDPOINT_HINT = /env|%/i;

function isEnvEndpoint(path: string): boolean {
  // Every request's path is asked: most hold neither, and are not decoded for it.
  if (!ENDPOINT_HINT.test(path)) return false;
  const read = percentDecode(path).toLowerCase().replace(/;[^/]*/g, "").replace(/(?:\.json)?\/*$/, "");
  return ENV_ENDPOINT.test(read);
}

/** Each address in the value (after a prefix, `optional:configserver:`, and in a comma list) and its host. */
const ADDRESS = /(?:[a-z][a-z0-9+.-]*:)?\/\/([^/\s,:?#]+)/gi;

/**
 * The first address on another network's host: loopback, private addresses and names with no dot
 * (`eureka-peer1`, `config-server`) are the operator's own servers, which Spring Boot Admin points
 * these properties at.
 */
function outsideAddress(text: string): RegExpExecArray | null {
  for (const m of text.matchAll(ADDRESS)) {
    const host = m[1]!;
    if (host.includes(".") && judgeHost(host)?.target === "public") return m;
  }
  return null;
}

export function springEnvOverride(req: Pick<HttpRequest, "path">, leaves: readonly Leaf[]): { at: number; finding: Finding }[] {
  if (!isEnvEndpoint(req.path)) return [];
  for (let at = 0; at < leaves.length; at++) {
    const leaf = leaves[at]!;
    if (leaf.kind !== "value" || (leaf.location !== "body" && leaf.location !== "query") || !isLoader(leaf.name)) continue;
    const address = outsideAddress(leaf.text);
    if (address) return [{ at, finding: finding("rfi", "spring.remote-loader", 0.9, address.index, leaf.text.length) }];
  }
  return [];
}
