/**
 * Parameters that any page of any site may carry without the site having asked for them: campaign
 * and click ids that ad and mail tools append, and the language a visitor picked. Their names and
 * values come from outside the site, so a new one is not a departure from the site's profile: the
 * site model neither learns nor judges them. The generic model still judges their values.
 */
const NAMES = new Set([
  // click and campaign ids
  "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "gad_source", "fbclid", "msclkid", "yclid", "twclid", "ttclid", "igshid",
  "li_fat_id", "epik", "srsltid", "irclickid", "rb_clickid", "s_kwcid", "ef_id", "mkt_tok", "trk", "trkcampaign",
  "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking", "oly_anon_id", "oly_enc_id",
  "vero_id", "vero_conv", "_branch_match_id", "cmpid", "ref", "ref_src", "ref_url", "referrer", "fb_action_ids", "fb_source",
  // language and region
  "lang", "locale", "hl", "lng", "language", "gl",
]);

/** Prefixes of whole families (`utm_source`, `utm_campaign`, `pk_campaign`, ...). */
const PREFIXES = /^(?:utm_|pk_|mtm_|matomo_|piwik_)/i;

export function isCommonParam(name: string): boolean {
  return PREFIXES.test(name) || NAMES.has(name.toLowerCase());
}
