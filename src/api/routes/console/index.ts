/** The dashboard's console API (notes/console-api.md) beside the contract's routes: one plugin per topic. */
import { Elysia } from "elysia";
import type { ApiServices } from "../../services.ts";
import { addressRoutes } from "./addresses.ts";
import { agentListRoutes } from "./agents.ts";
import { decisionRoutes } from "./decisions.ts";
import { incidentRoutes } from "./incidents.ts";
import { keyRoutes } from "./keys.ts";
import { modelRoutes } from "./models.ts";
import { performanceRoutes } from "./performance.ts";
import { requestRoutes } from "./requests.ts";
import { settingsRoutes } from "./settings.ts";
import { sourceRoutes } from "./sources.ts";
import { threatConsoleRoutes } from "./threats.ts";

export function consoleRoutes(s: ApiServices) {
  return new Elysia({ name: "console" }).use(threatConsoleRoutes(s)).use(modelRoutes(s)).use(sourceRoutes(s)).use(settingsRoutes(s)).use(keyRoutes(s)).use(performanceRoutes(s)).use(decisionRoutes(s)).use(incidentRoutes(s)).use(addressRoutes(s)).use(requestRoutes(s)).use(agentListRoutes(s));
}
