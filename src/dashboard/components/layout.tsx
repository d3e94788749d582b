/** The frame around every page: header (range, live state, logout), page navigation, content. */
import type { ReactNode } from "react";
import { href } from "../lib/router.ts";
import type { Range } from "../lib/types.ts";
import { LiveIndicator } from "./live-indicator.tsx";
import { RangePicker } from "./range-picker.tsx";

const PAGES = [
  { path: "/", id: "overview", label: "Overview" },
  { path: "/traffic", id: "traffic", label: "Traffic" },
  { path: "/threats", id: "threats", label: "Threats" },
  { path: "/alerts", id: "alerts", label: "Alerts" },
  { path: "/performance", id: "performance", label: "Performance" },
  { path: "/security", id: "security", label: "Security" },
  { path: "/bans", id: "bans", label: "Bans" },
  { path: "/agents", id: "agents", label: "Agents" },
  { path: "/analytics", id: "analytics", label: "Analytics" },
  { path: "/settings", id: "settings", label: "Settings" },
] as const;

interface Props {
  page: string;
  range: Range;
  user?: string;
  onLogout?: () => void;
  children: ReactNode;
}

export function Layout({ page, range, user, onLogout, children }: Props) {
  return (
    <div className="app">
      <button type="button" className="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header className="topbar">
        <a className="brand" href={href("/")}>
          <span className="brand-mark" aria-hidden="true" />
          Moat
        </a>
        <div className="topbar-tools">
          <RangePicker value={range} />
          <LiveIndicator />
          {onLogout && (
            <button type="button" className="btn btn-small" onClick={onLogout} title={user ? `Logged in as ${user}` : undefined}>
              Log out
            </button>
          )}
        </div>
      </header>
      <nav className="sidebar" aria-label="Pages">
        <ul>
          {PAGES.map((p) => (
            <li key={p.id}>
              <a href={href(p.path)} aria-current={p.id === page ? "page" : undefined}>
                {p.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
