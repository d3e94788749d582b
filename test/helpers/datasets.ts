/** Where the shared datasets are (never committed): MOAT_DATASETS, or ../shared/datasets beside the checkout. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./cli.ts";

export const DATASETS = process.env.MOAT_DATASETS ?? join(ROOT, "..", "shared", "datasets");
export const HAVE_DATASETS = existsSync(join(DATASETS, "README.md"));
