import { Fragment, useState } from 'react';
import type { DeadLetter } from '@emporium/contracts/ops';
import { api } from '../../api.ts';
import { ConsoleNav, DetailRow, Outcome, ShortId, StaleNote, StatusBadge, TableWrap, When, type ActionOutcome } from '../../components/console-ui.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';
import { useApi } from '../../hooks.ts';

/** GET /ops/dead-letters: every service's dead letters, newest first. */
interface DeadLettersAnswer {
  data: Array<DeadLetter & { service: string }>;
  unavailable: string[];
}

/** GET /ops/outbox: every service's unpublished events. */
interface OutboxAnswer {
  data: Array<{ service: string; unpublished: number; oldestCreatedAt: string | null }>;
  unavailable: string[];
}

const REFRESH_MS = 10_000;
const COLUMNS = 7;

/** Messages the services gave up on, to inspect and replay, and every outbox's backlog. */
export function ConsoleDeadLetters() {
  return (
    <div className="console">
      <ConsoleNav />
      <h1>Dead letters</h1>
      <section className="console-section" aria-labelledby="letters-heading">
        <h2 id="letters-heading">Messages that failed</h2>
        <p className="muted">Events and commands a subscription kept failing on (or that failed their schema). Replaying one runs its handler again, once; a replay that fails again leaves it here.</p>
        <Letters />
      </section>
      <section className="console-section" aria-labelledby="outbox-heading">
        <h2 id="outbox-heading">Outbox backlog</h2>
        <p className="muted">Events committed but not yet published, per service. The relay publishes them as they commit, so a backlog that stays means the broker or the relay is stuck.</p>
        <Outbox />
      </section>
    </div>
  );
}

/** The merged dead letters, with their envelopes and a replay button each. */
function Letters() {
  const [includeReplayed, setIncludeReplayed] = useState(false);
  const [outcome, setOutcome] = useState<ActionOutcome>();
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [replaying, setReplaying] = useState<string>();
  const { data, error, loading, reload } = useApi<DeadLettersAnswer>(`/ops/dead-letters?includeReplayed=${includeReplayed}`, { refreshMs: REFRESH_MS });

  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  const replay = async (letter: DeadLetter & { service: string }) => {
    setReplaying(letter.id);
    try {
      await api<{ handled: true }>(`/ops/dead-letters/${encodeURIComponent(letter.service)}/${letter.id}/replay`, { method: 'POST' });
      setOutcome({ ok: true, message: <>Replayed <strong>{letter.type}</strong> for {letter.purpose} in {letter.service}: the handler ran and the letter is closed.</> });
    } catch (err) {
      setOutcome({ ok: false, error: err as Error });
    } finally {
      setReplaying(undefined);
    }
    reload();
  };

  return (
    <>
      <label className="console-check">
        <input type="checkbox" checked={includeReplayed} onChange={(e) => setIncludeReplayed(e.target.checked)} /> Also show replayed letters
      </label>
      {outcome && <Outcome outcome={outcome} onDismiss={() => setOutcome(undefined)} />}
      {loading && !data ? (
        <Loading what="Gathering the dead letters" />
      ) : !data ? (
        <ErrorBox error={error ?? new Error('No answer.')} retry={reload} />
      ) : (
        <>
          <StaleNote error={error} />
          <Unavailable services={data.unavailable} what="dead letters" />
          {data.data.length === 0 ? (
            <p className="notice">No dead letters: every message was handled.</p>
          ) : (
            <TableWrap label="Dead letters">
              <table className="console-table" data-testid="dead-letters">
                <caption className="console-sr-only">Dead letters, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">Service and purpose</th>
                    <th scope="col">Error</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Replayed</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.data.map((letter) => {
                    const key = `${letter.service}/${letter.id}`;
                    const expanded = open.has(key);
                    return (
                      <Fragment key={key}>
                        <tr data-testid={`dead-letter-${letter.id}`}>
                          <th scope="row"><code>{letter.type}</code><br /><span className="muted">subject <ShortId id={letter.subject} /></span></th>
                          <td>{letter.service}<br /><span className="muted">{letter.purpose}</span></td>
                          <td className="console-error-text"><StatusBadge status={letter.reason} /> {letter.error}</td>
                          <td>{letter.attempts}</td>
                          <td><When iso={letter.createdAt} /></td>
                          <td><When iso={letter.replayedAt} /></td>
                          <td>
                            <div className="console-actions">
                              <button type="button" className="secondary" aria-expanded={expanded} aria-controls={`envelope-${letter.id}`} onClick={() => toggle(key)}>
                                {expanded ? 'Hide envelope' : 'Envelope'}
                              </button>
                              {letter.replayedAt === null && (
                                <button type="button" disabled={replaying === letter.id} onClick={() => void replay(letter)}>
                                  {replaying === letter.id ? 'Replaying…' : 'Replay'}
                                </button>
                              )}
                            </div>
                          </td>
                        </tr>
                        {expanded && (
                          <DetailRow id={`envelope-${letter.id}`} columns={COLUMNS}>
                            <p className="muted">Event <code>{letter.eventId}</code> · subject <code>{letter.subject}</code></p>
                            <pre className="console-json" tabIndex={0} aria-label={`Envelope of ${letter.type}`}>{pretty(letter.envelope)}</pre>
                          </DetailRow>
                        )}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>
          )}
        </>
      )}
    </>
  );
}

/** Every service's outbox backlog. */
function Outbox() {
  const { data, error, loading, reload } = useApi<OutboxAnswer>('/ops/outbox', { refreshMs: REFRESH_MS });
  if (loading && !data) return <Loading what="Reading the outboxes" />;
  if (!data) return <ErrorBox error={error ?? new Error('No answer.')} retry={reload} />;
  const waiting = data.data.reduce((sum, s) => sum + s.unpublished, 0);
  return (
    <>
      <p className="muted" role="status">{waiting === 0 ? 'Every outbox is drained.' : `${waiting} events wait to be published.`}</p>
      <StaleNote error={error} />
      <Unavailable services={data.unavailable} what="an outbox backlog" />
      <TableWrap label="Outbox backlog">
        <table className="console-table" data-testid="outbox">
          <caption className="console-sr-only">Outbox backlog per service</caption>
          <thead>
            <tr><th scope="col">Service</th><th scope="col">Unpublished</th><th scope="col">Oldest waiting</th></tr>
          </thead>
          <tbody>
            {data.data.map((row) => (
              <tr key={row.service} data-testid={`outbox-${row.service}`}>
                <th scope="row">{row.service}</th>
                <td>{row.unpublished === 0 ? <StatusBadge status="ok" label="0" /> : <StatusBadge status="degraded" label={String(row.unpublished)} />}</td>
                <td><When iso={row.oldestCreatedAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}

/** Names the services that did not answer, if any. */
function Unavailable({ services, what }: { services: string[]; what: string }) {
  if (services.length === 0) return null;
  return <p className="console-stale" role="status">No {what} from: {services.join(', ')} (down, or without the route).</p>;
}

/** The envelope as indented JSON, or as it was stored when it is not JSON. */
function pretty(envelope: string): string {
  try {
    return JSON.stringify(JSON.parse(envelope), null, 2);
  } catch {
    return envelope;
  }
}
