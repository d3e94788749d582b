/** The allowlist: rules made by marking false positives, and removing them. */
import { PlainTable, ACTIONS_HEADER } from "../../components/table.tsx";
import { api } from "../../lib/api.ts";
import { useAction } from "../../lib/use-action.ts";
import { ago } from "../../lib/format.ts";
import { href } from "../../lib/router.ts";
import { useApi } from "../../lib/use-api.ts";
import { Empty, Load, Note } from "../../components/states.tsx";

export function AllowlistSettings() {
  const rules = useApi(() => api.allowlist.list(), []);
  const action = useAction();
  const remove = (id: number) =>
    action
      .run(async () => {
        await api.allowlist.remove(id);
      })
      .then(rules.reload);
  return (
    <>
      <Note {...action.outcome} />
      <Load of={rules} empty={<Empty title="No rules.">Mark a threat as a false positive (on its detail page) to stop flagging requests like it.</Empty>}>
        {(list) => (
          <PlainTable headers={["Endpoint", "Field", "Attack type", "Note", "From", ACTIONS_HEADER]}>
                {list.map((r) => (
                  <tr key={r.id}>
                    <td className="mono">{r.endpoint}</td>
                    <td className="mono">{r.field ?? "any"}</td>
                    <td>{r.attackType ?? "any"}</td>
                    <td>{r.note || "–"}</td>
                    <td>
                      {r.threatId ? <a href={href(`/threats/${r.threatId}`)}>threat #{r.threatId}</a> : "–"} <span className="muted small">{ago(r.createdAt)}</span>
                    </td>
                    <td>
                      <button type="button" className="btn btn-small" onClick={() => remove(r.id)} aria-label={`Remove rule ${r.id}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
          </PlainTable>
        )}
      </Load>
    </>
  );
}
