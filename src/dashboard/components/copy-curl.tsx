/** "Copy as curl": the command is also shown, so it can be selected by hand where the clipboard is refused. */
import { useState } from "react";
import { curlCommand, hostOf, UNKNOWN_HOST } from "../lib/curl.ts";
import type { ThreatDetail } from "../lib/types.ts";

export function CopyCurl({ request }: { request: ThreatDetail["request"] }) {
  const command = curlCommand(request);
  const [copied, setCopied] = useState<"" | "yes" | "no">("");
  const copy = () =>
    navigator.clipboard.writeText(command).then(
      () => setCopied("yes"),
      () => setCopied("no"),
    );
  return (
    <div>
      <div className="toolbar">
        <button type="button" className="btn btn-primary" onClick={copy}>
          Copy as curl
        </button>
        <span role="status" className="muted small">
          {copied === "yes" ? "Copied." : copied === "no" ? "The browser refused the clipboard: select the command below." : ""}
        </span>
      </div>
      <p className="muted small">
        {hostOf(request) ? "Replays it against the host it was sent to." : `Neither the log nor the request's headers name the host: replace ${UNKNOWN_HOST} with your site.`} Every part is shell-quoted.
        {request.redacted.length > 0 && " Secrets were redacted when the request was stored: the command carries their markers, not their values."}
      </p>
      <pre className="pre pre-small" data-testid="curl">
        <code>{command}</code>
      </pre>
    </div>
  );
}
