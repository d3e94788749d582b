/** Settings: detection mode and threshold, models, log sources, retention, webhook, API keys and the allowlist. */
import { Page, Panel } from "../components/page.tsx";
import { DetectionSettings } from "./settings/detection.tsx";
import { ModelSettings } from "./settings/models.tsx";
import { SourceSettings } from "./settings/sources.tsx";
import { StorageSettings } from "./settings/storage.tsx";
import { KeySettings } from "./settings/keys.tsx";
import { AllowlistSettings } from "./settings/allowlist.tsx";

export function SettingsPage() {
  return (
    <Page title="Settings">
      <div className="grid">
        <Panel title="Detection">
          <DetectionSettings />
        </Panel>
        <Panel title="Log sources">
          <SourceSettings />
        </Panel>
        <Panel title="Models" wide>
          <ModelSettings />
        </Panel>
        <Panel title="Retention and webhook">
          <StorageSettings />
        </Panel>
        <Panel title="API keys">
          <KeySettings />
        </Panel>
        <Panel title="Allowlist (confirmed false positives)" wide>
          <AllowlistSettings />
        </Panel>
      </div>
    </Page>
  );
}
