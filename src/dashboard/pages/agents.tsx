/**
 * Agents: the web servers that report to this Moat as their hub (moat serve --hub URL), with their
 * health (last heartbeat), lag, outbox, version and last batch. An agent that went silent, or whose
 * outbox dropped requests, says so in words, not only in colour.
 */
import { api } from "../lib/api.ts";
import { ago, count, duration } from "../lib/format.ts";
import { useApi } from "../lib/use-api.ts";
import type { Agent } from "../lib/types.ts";
import { Badge } from "../components/badge.tsx";
import { Page, Panel } from "../components/page.tsx";
import { Empty, Load } from "../components/states.tsx";

function AgentRow({ agent, now }: { agent: Agent; now: number }) {
  const silent = !agent.reporting;
  return (
    <tr data-agent={agent.name}>
      <th scope="row" className="mono">{agent.name}</th>
      <td>
        <Badge value={silent ? "fail" : "pass"} label={silent ? "silent" : "reporting"} /> <span className="muted small">seen <time dateTime={agent.lastSeenAt}>{ago(agent.lastSeenAt, now)}</time></span>
      </td>
      <td>{agent.host}</td>
      <td>{agent.site || <span className="muted">default</span>}</td>
      <td className="mono">{agent.version}</td>
      <td>{agent.logs.length} log(s){agent.mirror ? " + mirror" : ""}</td>
      <td>{duration(agent.lagSeconds)}</td>
      <td>
        {count(agent.outboxRequests)} waiting
        {agent.dropped > 0 && (
          <>
            {" "}
            <Badge value="warning" label={`${count(agent.dropped)} dropped`} />
          </>
        )}
      </td>
      <td>{agent.lastBatchAt ? <time dateTime={agent.lastBatchAt}>{ago(agent.lastBatchAt, now)}</time> : "none yet"}</td>
    </tr>
  );
}

export function AgentsPage() {
  const agents = useApi(() => api.agents(), []);
  const now = Date.now();
  return (
    <Page title="Agents">
      <Panel title="Web servers reporting here" wide>
        <Load of={agents} empty={<Empty title="No agent reports here.">On each web server, run moat serve --hub {window.location.origin} --hub-key KEY, with a key made here by moat apikey create NAME --scope agent.</Empty>}>
          {(list) => (
            <table className="table" aria-label="Agents">
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Health</th>
                  <th scope="col">Host</th>
                  <th scope="col">Site</th>
                  <th scope="col">Version</th>
                  <th scope="col">Sources</th>
                  <th scope="col">Lag</th>
                  <th scope="col">Outbox</th>
                  <th scope="col">Last batch</th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <AgentRow key={a.name} agent={a} now={now} />
                ))}
              </tbody>
            </table>
          )}
        </Load>
      </Panel>
    </Page>
  );
}
