/**
 * One threat: the request as received and as normalized, the reasons with their evidence marked
 * inside the request, score against threshold, the source's other activity, and the actions (mark a
 * false positive, copy as curl). Every string here may come from an attacker: all of it is text.
 */
import { PlainTable } from "../components/table.tsx";
import { api } from "../lib/api.ts";
import { clock, decimal, score } from "../lib/format.ts";
import { addressHref, href, rangeOf, useRoute } from "../lib/router.ts";
import { evidenceSpans, type Span } from "../lib/highlight.ts";
import { useApi } from "../lib/use-api.ts";
import type { ThreatDetail } from "../lib/types.ts";
import { Badge } from "../components/badge.tsx";
import { CopyCurl } from "../components/copy-curl.tsx";
import { FalsePositive } from "../components/false-positive.tsx";
import { Marked } from "../components/marked.tsx";
import { Kpi, Page, Panel } from "../components/page.tsx";
import { SourceActivity } from "../components/source-activity.tsx";
import { Load } from "../components/states.tsx";

/** The evidence spans the API located in each field's raw value. */
function spansByField(t: ThreatDetail): Map<string, Span[]> {
  const m = new Map<string, Span[]>();
  for (const r of t.reasons) {
    if (r.start === undefined || r.end === undefined) continue;
    m.set(r.field, [...(m.get(r.field) ?? []), { start: r.start, end: r.end }]);
  }
  return m;
}

function Detail({ t }: { t: ThreatDetail }) {
  const spans = spansByField(t);
  const range = rangeOf(useRoute());
  return (
    <>
      <div className="kpis">
        <Kpi label="Attack type" value={t.attackType} sub={t.blocked ? "blocked" : "flagged (detect-only)"} tone="danger" />
        <Kpi label="Score" value={score(t.score)} sub={`threshold ${score(t.threshold)}`} tone={t.score >= t.threshold ? "danger" : undefined} />
        <Kpi label="Severity" value={t.severity} />
        <Kpi label="Model" value={t.modelVersion} />
      </div>
      <div className="meta">
        <span>
          <time dateTime={t.timestamp}>{clock(t.timestamp)}</time>
        </span>
        <span>
          from <a href={addressHref(t.source)} className="mono">{t.source}</a>
        </span>
        <span>
          {t.method} <a href={href("/traffic", { endpoint: t.endpoint })} className="mono">{t.endpoint}</a>
        </span>
        {t.falsePositive && <Badge value="info" label="covered by an allowlist rule" />}
      </div>
      <div className="grid">
        <Panel title="Why it was flagged" wide>
          <PlainTable headers={["Field", "Finding", "Detector", "Weight", "Evidence"]}>
                {t.reasons.map((r, i) => (
                  <tr key={i}>
                    <td className="mono">{r.field}</td>
                    <td>
                      {r.name}
                      <div className="muted small">{r.detail}</div>
                    </td>
                    <td>{r.detector}</td>
                    <td>{decimal(r.weight, 3)}</td>
                    <td className="evidence">
                      <mark>{r.evidence}</mark>
                    </td>
                  </tr>
                ))}
          </PlainTable>
        </Panel>
        <Panel title="Request as received" wide>
          <pre className="pre" aria-label="The request as received, evidence marked">
            <Marked text={t.request.raw} spans={evidenceSpans(t.request.raw, t.reasons, t.normalized)} />
          </pre>
        </Panel>
        <Panel title="Fields as received and as normalized" wide>
          <PlainTable headers={["Field", "As received", "Normalized (what the models read)", "Undone"]}>
                {t.normalized.map((f, i) => (
                  <tr key={i} className={spans.has(f.field) ? "row-flagged" : ""}>
                    <td className="mono">{f.field}</td>
                    <td className="wrap">
                      <Marked text={f.raw} spans={spans.get(f.field) ?? []} />
                    </td>
                    <td className="wrap">
                      <code className="code">{f.normalized}</code>
                    </td>
                    <td className="small">{f.decodings.join(", ") || "–"}</td>
                  </tr>
                ))}
          </PlainTable>
        </Panel>
        <Panel title="False positive?">
          <FalsePositive threat={t} />
        </Panel>
        <Panel title="Replay">
          <CopyCurl request={t.request} />
        </Panel>
        <Panel title={`Other activity of ${t.source}`} wide>
          <SourceActivity ip={t.source} exclude={t.id} range={range} />
        </Panel>
      </div>
    </>
  );
}

export function ThreatDetailPage({ id }: { id: string }) {
  const threat = useApi(() => api.threats.detail(Number(id)), [id]);
  return (
    <Page title={threat.data ? `Threat #${threat.data.id}: ${threat.data.attackType}` : `Threat #${id}`} actions={<a className="btn" href={href("/threats")}>← All threats</a>}>
      <Load of={threat}>{(t) => <Detail t={t} />}</Load>
    </Page>
  );
}
