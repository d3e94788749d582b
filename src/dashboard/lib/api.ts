/**
 * The typed API client: one function per endpoint the dashboard uses (the contract and the console
 * API), all through `call`, which unwraps the `{ success, data, message }` envelope. A 401 tells the
 * app to show the login form (`onUnauthorized`).
 */
import type {
  Activity, AddressProfile, Agent, Alert, AllowRule, Attacker, DataAge, TailRow, AnalyticsSummary, ApiKey, AuthState, ChartPoint, Posture, ConsoleSettings, Decision, DecisionCreate, Incident, KeyCreate, LogSource, Metrics, ModelVersion, Performance, Range, SecurityCheck, Threat, ThreatDetail, ThreatFilter, Traffic, TrafficFilter, WafConfig, WafSettingsChange,
} from "./types.ts";

let unauthorized: () => void = () => {};
/** Called when an API call answers 401 (credentials are required and missing or expired). */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

type Params = Record<string, string | number | undefined>;

/** `?a=1&b=x`, leaving out empty values. */
function query(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error("Moat is not reachable: is `moat serve` running?");
  }
  const payload = (await res.json().catch(() => null)) as { success?: boolean; data?: unknown; message?: string } | null;
  if (res.status === 401 && !path.startsWith("/api/auth/")) unauthorized();
  if (!res.ok || !payload?.success) throw new Error(payload?.message ?? `${method} ${path} answered HTTP ${res.status}`);
  return payload.data as T;
}

const get = <T>(path: string) => call<T>("GET", path);
const post = <T>(path: string, body: unknown = {}) => call<T>("POST", path, body);
const put = <T>(path: string, body: unknown) => call<T>("PUT", path, body);
const del = <T>(path: string) => call<T>("DELETE", path);

export const api = {
  auth: {
    me: () => get<AuthState>("/api/auth/me"),
    login: (key: string) => post<{ keyName: string }>("/api/auth/login", { key }),
    logout: () => post<null>("/api/auth/logout"),
  },
  realtime: (agent?: string) => get<Metrics>(`/api/metrics/realtime${query({ agent })}`),
  alerts: {
    active: () => get<Alert[]>("/api/alerts/active"),
    history: (range: Range) => get<Alert[]>(`/api/alerts/history${query({ range })}`),
    acknowledge: (id: number) => post<null>(`/api/alerts/${id}/acknowledge`),
    dismiss: (id: number) => post<null>(`/api/alerts/${id}/dismiss`),
  },
  activities: (limit: number) => get<Activity[]>(`/api/activities/recent${query({ limit })}`),
  charts: {
    requests: (range: Range, agent?: string) => get<ChartPoint[]>(`/api/charts/requests${query({ range, agent })}`),
    threats: (range: Range, agent?: string) => get<ChartPoint[]>(`/api/charts/threats${query({ range, agent })}`),
    performance: (range: Range, agent?: string) => get<ChartPoint[]>(`/api/charts/performance${query({ range, agent })}`),
  },
  traffic: {
    list: (range: Range, limit: number, filter: TrafficFilter = {}, before?: number) => get<Traffic[]>(`/api/traffic${query({ range, limit, before, ...filter })}`),
    endpoint: (endpoint: string, range: Range) => get<Traffic[]>(`/api/traffic/endpoint/${encodeURIComponent(endpoint)}${query({ range })}`),
  },
  threats: {
    list: (range: Range, limit: number, filter: ThreatFilter = {}, before?: number) => get<Threat[]>(`/api/threats${query({ range, limit, before, ...filter })}`),
    stats: (range: Range) => get<Record<string, number>>(`/api/threats/stats${query({ range })}`),
    detail: (id: number) => get<ThreatDetail>(`/api/threats/${id}`),
    falsePositive: (id: number, scope: "field" | "endpoint", note: string) => post<AllowRule>(`/api/threats/${id}/false-positive`, { scope, ...(note ? { note } : {}) }),
  },
  security: {
    checks: () => get<SecurityCheck[]>("/api/security/checks"),
    run: (id: number) => post<SecurityCheck>(`/api/security/checks/${id}/run`),
    /** The contract calls it a compliance score; it is the share of Moat's own checks that pass, its posture. */
    posture: () => get<Posture>("/api/security/compliance-score"),
  },
  analytics: {
    overview: (range: Range, agent?: string) => get<ChartPoint[]>(`/api/analytics/overview${query({ range, agent })}`),
    trend: (metric: string, range: Range, agent?: string) => get<ChartPoint[]>(`/api/analytics/trends/${encodeURIComponent(metric)}${query({ range, agent })}`),
    summary: (range: Range, agent?: string) => get<AnalyticsSummary>(`/api/analytics/summary${query({ range, agent })}`),
  },
  waf: {
    config: () => get<WafConfig>("/api/waf/config"),
    setConfig: (change: WafSettingsChange) => put<WafConfig>("/api/waf/config", change),
  },
  models: {
    list: () => get<ModelVersion[]>("/api/models"),
    train: () => post<{ started: boolean }>("/api/models/train"),
    promote: (version: string) => post<ModelVersion>(`/api/models/${encodeURIComponent(version)}/promote`),
    rollback: () => post<ModelVersion>("/api/models/rollback"),
  },
  sources: () => get<LogSource[]>("/api/sources"),
  agents: () => get<Agent[]>("/api/agents"),
  settings: {
    get: () => get<ConsoleSettings>("/api/settings"),
    retention: (change: Record<string, number>) => put<unknown>("/api/settings/retention", change),
    webhook: (url: string) => put<unknown>("/api/settings/webhook", { url }),
  },
  allowlist: {
    list: () => get<AllowRule[]>("/api/allowlist"),
    remove: (id: number) => del<unknown>(`/api/allowlist/${id}`),
  },
  keys: {
    list: () => get<ApiKey[]>("/api/keys"),
    create: (key: KeyCreate) => post<ApiKey>("/api/keys", key),
    revoke: (id: number) => del<unknown>(`/api/keys/${id}`),
  },
  performance: () => get<Performance>("/api/performance"),
  /** The traffic tail's rows: GET /api/traffic's, with the query string and response time. */
  requests: (range: Range, limit: number, filter: TrafficFilter = {}, before?: number) => get<TailRow[]>(`/api/requests${query({ range, limit, before, ...filter })}`),
  dataAge: () => get<DataAge>("/api/data-age"),
  attackers: (range: Range, limit: number, agent?: string) => get<Attacker[]>(`/api/attackers${query({ range, limit, agent })}`),
  address: (ip: string) => get<AddressProfile>(`/api/addresses/${encodeURIComponent(ip)}`),
  incident: (id: number) => get<Incident>(`/api/incidents/${id}`),
  decisions: {
    list: () => get<Decision[]>("/api/decisions"),
    add: (decision: DecisionCreate) => post<Decision>("/api/decisions", decision),
    lift: (ip: string) => del<Decision>(`/api/decisions/${encodeURIComponent(ip)}`),
  },
};
