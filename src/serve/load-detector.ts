/**
 * The detector serve runs, with the site model on disk if any. One trained for another release (the
 * binary was upgraded) is refused and the generic model judges alone until a retrain: an upgrade must
 * not stop the service, and a restart loop would judge nothing at all. A file that is no site model
 * still throws. `moat doctor` asks the same question the same way.
 */
import { existsSync } from "node:fs";
import { Detector } from "../detect/detector.ts";
import { SiteModelOfAnotherRelease } from "../detect/site/model.ts";

export async function loadDetector(siteFile: string, threshold?: number): Promise<{ detector: Detector; siteRefused: string | null }> {
  // The generic model is loaded once; the site model is tried on top of it.
  const detector = await Detector.load({ threshold });
  if (!existsSync(siteFile)) return { detector, siteRefused: null };
  try {
    await detector.replaceSite(siteFile);
    return { detector, siteRefused: null };
  } catch (e) {
    if (!(e instanceof SiteModelOfAnotherRelease)) throw e;
    return { detector, siteRefused: e.message };
  }
}
