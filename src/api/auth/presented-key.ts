/** The API key a request presents, and the hash it is stored and compared by: read by the API's guard and by the mirror's listener. */

/** The key in `Authorization: Bearer` or `X-API-Key`, if any (other Authorization schemes are not ours). */
export function headerKey(headers: Headers): string | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return bearer?.[1] ?? headers.get("x-api-key")?.trim() ?? null;
}

/** Keys and session tokens are stored as their SHA-256, never in the clear. */
export function sha256Hex(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}
