import { useState, type FormEvent } from 'react';
import { FAULT_RULES } from '@emporium/contracts/fault-kinds';
import type { Fault, FaultKind, FaultsAnswer } from '@emporium/contracts/ops';
import { api, ApiError } from '../../api.ts';
import { ConfirmButton, ConsoleNav, Outcome, StaleNote, StatusBadge, TableWrap, type ActionOutcome } from '../../components/console-ui.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';
import { useApi } from '../../hooks.ts';

const REFRESH_MS = 10_000;

/** How the console presents each kind: its name, what its value is, and what its target names (the contracts' table). */
const KINDS = FAULT_RULES;

const SERVICES = ['*', 'gateway', 'identity', 'catalog', 'inventory', 'cart', 'orders', 'payments', 'shipping', 'notifications', 'recommendations'];

const TARGET_HINT: Record<'route' | 'event' | 'upstream', string> = {
  route: 'GET /api/v1/products, /api/v1/orders/:id or /api/v1/orders/*',
  event: 'an event type: order.placed',
  upstream: 'a service it calls: catalog',
};

/** A fault's strength as read: "250 ms", "50 %", or nothing for those that are on or off. */
function strength(f: Fault): string {
  const unit = KINDS[f.kind].value;
  if (unit === 'none' || f.value === undefined) return '—';
  return unit === 'ms' ? `${f.value} ms` : `${Math.round(f.value * 1000) / 10} %`;
}

/** The faults injected at run time: which are on, where, how strong; switch one on or off, add or remove one. */
export function ConsoleFaults() {
  const { data, error, loading, reload } = useApi<FaultsAnswer>('/ops/faults', { refreshMs: REFRESH_MS });
  const [outcome, setOutcome] = useState<ActionOutcome>();
  const [saving, setSaving] = useState(false);

  /** Replaces the faults with `faults`, reports the answer, and reloads. */
  const save = async (faults: Fault[], message: string) => {
    setSaving(true);
    try {
      await api<FaultsAnswer>('/ops/faults', { method: 'PUT', body: { faults } });
      setOutcome({ ok: true, message: <>{message} Every process watching the faults file applies it within a second.</> });
    } catch (err) {
      setOutcome({ ok: false, error: err as Error });
    } finally {
      setSaving(false);
    }
    reload();
  };

  const off = error instanceof ApiError && error.status === 409;
  return (
    <div className="console">
      <ConsoleNav />
      <h1>Faults</h1>
      <p className="muted">
        Faults injected at run time, to see how the platform behaves under them: latency, errors and hangs on routes, failing event handlers and outgoing calls,
        a slow or failing payment provider, a broken database or broker connection, a crash. They are OpenFeature flags in a flagd file that every service watches;
        the console&apos;s own routes are never hit, so a fault can always be switched off here. Watch them in the overview&apos;s charts and in the traces (a{' '}
        <code>fault.injected</code> event on the span).
      </p>
      {outcome && <Outcome outcome={outcome} onDismiss={() => setOutcome(undefined)} />}
      {loading && !data ? (
        <Loading what="Reading the faults" />
      ) : off ? (
        <p className="notice" role="status">{error.message}</p>
      ) : !data ? (
        <ErrorBox error={error ?? new Error('No answer.')} retry={reload} />
      ) : (
        <>
          <StaleNote error={error} />
          <section className="console-section" aria-labelledby="faults-heading">
            <h2 id="faults-heading">Faults</h2>
            <FaultTable faults={data.faults} saving={saving} save={save} />
            <p className="muted">Written to <code>{data.file}</code>.</p>
          </section>
          <section className="console-section" aria-labelledby="add-heading">
            <h2 id="add-heading">Add a fault</h2>
            <AddFault disabled={saving} onAdd={(fault) => save([...data.faults, fault], `Added: ${KINDS[fault.kind].label.toLowerCase()} on ${fault.service === '*' ? 'every service' : fault.service}.`)} />
          </section>
        </>
      )}
    </div>
  );
}

/** The faults with their state, and buttons to switch each on or off, or remove it. */
function FaultTable({ faults, saving, save }: { faults: Fault[]; saving: boolean; save: (faults: Fault[], message: string) => Promise<void> }) {
  if (faults.length === 0) return <p className="notice">No fault: the platform runs as it should.</p>;
  const on = faults.filter((f) => f.enabled).length;
  const replace = (i: number, next: Fault | undefined) => faults.flatMap((f, j) => (j === i ? (next ? [next] : []) : [f]));
  return (
    <>
      <p className="muted" role="status">{on === 0 ? 'Every fault is off.' : `${on} of ${faults.length} on.`}</p>
      <TableWrap label="Faults">
        <table className="console-table" data-testid="faults">
          <caption className="console-sr-only">Faults, on and off</caption>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Kind</th>
              <th scope="col">Target</th>
              <th scope="col">Value</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {faults.map((f, i) => {
              const what = `${KINDS[f.kind].label.toLowerCase()} on ${f.service === '*' ? 'every service' : f.service}`;
              return (
                <tr key={`${i}:${f.kind}:${f.service}:${f.target ?? ''}`} data-testid={`fault-${i}`}>
                  <th scope="row">{f.service === '*' ? 'every service' : f.service}</th>
                  <td>{KINDS[f.kind].label}<br /><code className="muted">{f.kind}</code></td>
                  <td>{f.target ? <code>{f.target}</code> : <span className="muted">all</span>}</td>
                  <td className="console-number">{strength(f)}</td>
                  <td>{f.enabled ? <StatusBadge status="failing" label="on" /> : <StatusBadge status="neutral" label="off" />}</td>
                  <td>
                    <div className="console-actions">
                      {f.enabled ? (
                        <button type="button" className="secondary" disabled={saving} onClick={() => void save(replace(i, { ...f, enabled: false }), `Switched off: ${what}.`)}>Switch off</button>
                      ) : f.kind === 'crash' ? (
                        <ConfirmButton label="Switch on" question="End the process it aims at?" confirmLabel="Crash it" danger disabled={saving} onConfirm={() => save(replace(i, { ...f, enabled: true }), `Switched on: ${what}.`)} />
                      ) : (
                        <button type="button" disabled={saving} onClick={() => void save(replace(i, { ...f, enabled: true }), `Switched on: ${what}.`)}>Switch on</button>
                      )}
                      <ConfirmButton label="Remove" question="Remove this fault?" confirmLabel="Remove" disabled={saving} onConfirm={() => save(replace(i, undefined), `Removed: ${what}.`)} />
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
      {on > 0 && (
        <div className="console-actions">
          <button type="button" className="secondary" disabled={saving} onClick={() => void save(faults.map((f) => ({ ...f, enabled: false })), 'Every fault is switched off.')}>Switch every fault off</button>
        </div>
      )}
    </>
  );
}

/** The form for a new fault: kind, service, target and value, as the kind asks. It is added switched on. */
function AddFault({ disabled, onAdd }: { disabled: boolean; onAdd: (fault: Fault) => Promise<void> }) {
  const [kind, setKind] = useState<FaultKind>('route-latency');
  const [service, setService] = useState('catalog');
  const [target, setTarget] = useState('');
  const [value, setValue] = useState('250');
  const rule = KINDS[kind];
  const chosenService = rule.service ?? service;

  const fault = (): Fault => ({
    kind,
    service: chosenService,
    enabled: true,
    ...(rule.target !== 'none' && target.trim() ? { target: target.trim() } : {}),
    ...(rule.value === 'none' ? {} : { value: rule.value === 'ms' ? Number(value) : Number(value) / 100 }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // A crash is added only through its confirmation.
    if (kind !== 'crash') void onAdd(fault());
  };

  return (
    <form className="console-trace-search" onSubmit={submit} aria-label="Add a fault">
      <label>
        Kind
        <select value={kind} onChange={(e) => setKind(e.target.value as FaultKind)}>
          {(Object.keys(KINDS) as FaultKind[]).map((k) => <option key={k} value={k}>{KINDS[k].label}</option>)}
        </select>
      </label>
      <label>
        Service
        <select value={chosenService} disabled={rule.service !== undefined} onChange={(e) => setService(e.target.value)}>
          {SERVICES.map((s) => <option key={s} value={s}>{s === '*' ? 'every service' : s}</option>)}
        </select>
      </label>
      {rule.target !== 'none' && (
        <label>
          Target <span className="muted">(optional)</span>
          <input type="text" value={target} onChange={(e) => setTarget(e.target.value)} placeholder={TARGET_HINT[rule.target]} maxLength={200} />
        </label>
      )}
      {rule.value !== 'none' && (
        <label>
          {rule.value === 'ms' ? 'Milliseconds' : 'Share of calls (%)'}
          <input type="number" required min={0} max={rule.value === 'ms' ? 300_000 : 100} step="any" value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
      )}
      {kind === 'crash' ? (
        <ConfirmButton label="Add and switch on" question="This ends the process it aims at (in embedded mode, the whole platform)." confirmLabel="Crash it" danger disabled={disabled} onConfirm={() => onAdd(fault())} />
      ) : (
        <button type="submit" disabled={disabled}>Add and switch on</button>
      )}
    </form>
  );
}
