/**
 * The app: asks whether credentials are needed, shows the login form when the API answers 401, runs
 * the live feed while logged in, and picks the page from the link.
 */
import { useCallback, useEffect, useState } from "react";
import { api, onUnauthorized } from "./lib/api.ts";
import { live } from "./lib/live.ts";
import { rangeOf, setDefaultRange, useRoute } from "./lib/router.ts";
import { rangeHolding, setDataStart } from "./lib/range.ts";
import type { AuthState, Range } from "./lib/types.ts";
import { Layout } from "./components/layout.tsx";
import { Login } from "./components/login.tsx";
import { Empty, ErrorNote, Spinner } from "./components/states.tsx";
import { Overview } from "./pages/overview.tsx";
import { TrafficPage } from "./pages/traffic.tsx";
import { ThreatsPage } from "./pages/threats.tsx";
import { ThreatDetailPage } from "./pages/threat-detail.tsx";
import { AlertsPage } from "./pages/alerts.tsx";
import { PerformancePage } from "./pages/performance.tsx";
import { SecurityPage } from "./pages/security.tsx";
import { AnalyticsPage } from "./pages/analytics.tsx";
import { SettingsPage } from "./pages/settings.tsx";
import { BansPage } from "./pages/bans.tsx";
import { AgentsPage } from "./pages/agents.tsx";
import { IncidentPage } from "./pages/incident.tsx";
import { AddressPage } from "./pages/address.tsx";
import { Page } from "./components/page.tsx";

function CurrentPage({ page, id, range, query }: { page: string; id: string | undefined; range: Range; query: URLSearchParams }) {
  switch (page) {
    case "overview":
      return <Overview range={range} query={query} />;
    case "traffic":
      return <TrafficPage range={range} query={query} />;
    case "threats":
      return id ? <ThreatDetailPage id={id} /> : <ThreatsPage range={range} query={query} />;
    case "alerts":
      return <AlertsPage range={range} />;
    case "performance":
      return <PerformancePage range={range} query={query} />;
    case "security":
      return <SecurityPage />;
    case "analytics":
      return <AnalyticsPage range={range} query={query} />;
    case "bans":
      return <BansPage />;
    case "agents":
      return <AgentsPage />;
    case "incidents":
      return id ? <IncidentPage id={id} /> : <AlertsPage range={range} />;
    case "address":
      return id ? <AddressPage ip={id} range={range} /> : <NotFound />;
    case "settings":
      return <SettingsPage />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <Page title="Not found">
      <Empty title="There is no such page.">Pick a page from the menu.</Empty>
    </Page>
  );
}

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<AuthState | null>(null);
  const [authError, setAuthError] = useState<Error | null>(null);
  const [needLogin, setNeedLogin] = useState(false);
  // A new session remounts the pages, so that they load again with the new credentials.
  const [session, setSession] = useState(0);

  const checkAuth = useCallback(() => {
    setAuthError(null);
    api.auth.me().then(
      (a) => {
        setAuth(a);
        setNeedLogin(a.required && !a.authenticated);
      },
      (e: Error) => setAuthError(e),
    );
  }, []);

  useEffect(() => {
    onUnauthorized(() => setNeedLogin(true));
    checkAuth();
  }, [checkAuth]);

  const ready = auth !== null && !needLogin;
  useEffect(() => {
    if (!ready) return;
    live.start();
    return () => live.stop();
  }, [ready, session]);

  // The default range follows the data's age, and charts start where the data does; pages wait for
  // it so that they do not load twice.
  const [ranged, setRanged] = useState(false);
  useEffect(() => {
    if (!ready || ranged) return;
    const done = () => setRanged(true);
    // Without an answer the default stays 24h: not worth an error on every page.
    api
      .dataAge()
      .then((age) => {
        setDataStart(age.oldest);
        setDefaultRange(rangeHolding(age.oldest));
      }, () => undefined)
      .finally(done);
  }, [ready, ranged]);

  if (authError) {
    return (
      <main className="login" id="main">
        <ErrorNote error={authError} retry={checkAuth} />
      </main>
    );
  }
  if (auth === null || (!needLogin && !ranged)) return <Spinner label="Connecting to Moat…" />;
  if (needLogin) {
    return (
      <Login
        onLoggedIn={() => {
          setSession((n) => n + 1);
          checkAuth();
        }}
      />
    );
  }
  const [page = "overview", id] = route.path;
  const logout = auth.authenticated && auth.required
    ? () => {
        api.auth.logout().finally(() => {
          setNeedLogin(true);
          setAuth({ ...auth, authenticated: false });
        });
      }
    : undefined;
  return (
    <Layout page={page} range={rangeOf(route)} user={auth.keyName} onLogout={logout}>
      <CurrentPage key={session} page={page} id={id} range={rangeOf(route)} query={route.query} />
    </Layout>
  );
}
