/**
 * The enumerations Moat's stages, store, API and dashboard share, each declared once: the config
 * schema, the drizzle columns, the API's `t` unions and the TypeScript types all derive from these.
 */

/** detect: judge and record; block: also refuse what the block policy names (inline checks answer 403, the deny list acts). */
export const WAF_MODES = ["detect", "block"] as const;
export type WafMode = (typeof WAF_MODES)[number];
