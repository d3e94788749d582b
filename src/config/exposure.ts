/**
 * Whether the API is exposed beyond this machine, from the configuration: the API's guard and the
 * security checks both ask, so the rule lives below both.
 */
import type { Config } from "./schema.ts";

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Keys are required when the config says always, and whenever the API listens beyond loopback. */
export function authRequired(server: Config["server"]): boolean {
  return server.require_api_key === "always" || !isLoopbackHost(server.host);
}

/** The mirror's listener asks the same of its own address. */
export function mirrorKeyRequired(config: Pick<Config, "server" | "mirror">): boolean {
  return config.server.require_api_key === "always" || !isLoopbackHost(config.mirror.host);
}

/** How this machine reaches a server listening on `host`, for a URL: a wildcard address through loopback, an IPv6 address in brackets. */
export function localUrlHost(host: string): string {
  return ["0.0.0.0", "::", ""].includes(host) ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
}
