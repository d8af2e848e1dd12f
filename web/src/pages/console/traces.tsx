import { Fragment, useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import type { TraceSpan, TraceSummary } from '@emporium/contracts/ops';
import { ConsoleNav, DetailRow, ShortId, StaleNote, StatusBadge, TableWrap, When } from '../../components/console-ui.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';
import { useApi } from '../../hooks.ts';

/** GET /ops/traces: recent traces, newest first. */
interface TracesAnswer {
  data: TraceSummary[];
  unavailable: string[];
}

/** GET /ops/traces/:traceId: every span of one trace. */
interface TraceAnswer {
  traceId: string;
  source: 'memory' | 'jaeger';
  spans: TraceSpan[];
  unavailable: string[];
}

const REFRESH_MS = 10_000;
/** The root span of a checkout, as the gateway names it. */
const PLACE_ORDER = 'POST /api/v1/orders';

/** Recent traces across the services, and one of them as a waterfall. */
export function ConsoleTraces() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const selected = params.get('trace');
  const [text, setText] = useState(q);
  const [errorsOnly, setErrorsOnly] = useState(false);

  /** Changes the page's query (the filter and the trace shown), so that a view can be linked to. */
  const update = (changes: Record<string, string | null>) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      for (const [key, value] of Object.entries(changes)) {
        if (value) next.set(key, value);
        else next.delete(key);
      }
      return next;
    });
  const search = (value: string) => {
    setText(value);
    update({ q: value.trim() || null });
  };

  return (
    <div className="console">
      <ConsoleNav />
      <h1>Traces</h1>
      <p className="muted">
        The latest requests and events as they went through the services, from each service&apos;s memory of its last spans (probes and the console&apos;s own reads are left out).
        Find an order&apos;s checkout by its id, or every order placed.
      </p>
      <form role="search" className="console-trace-search" onSubmit={(e: FormEvent) => { e.preventDefault(); search(text); }}>
        <label>
          Find traces
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="an order id, a path, an event type" maxLength={200} />
        </label>
        <button type="submit">Find</button>
        <button type="button" className="secondary" onClick={() => search(PLACE_ORDER)}>Orders placed</button>
        {q && <button type="button" className="link" onClick={() => search('')}>Show all</button>}
        <label className="console-check">
          <input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.target.checked)} /> Failed only
        </label>
      </form>
      {selected && (
        <section className="console-section" aria-labelledby="waterfall-heading">
          <h2 id="waterfall-heading">Trace <ShortId id={selected} /></h2>
          <Waterfall key={selected} traceId={selected} onClose={() => update({ trace: null })} />
        </section>
      )}
      <section className="console-section" aria-labelledby="traces-heading">
        <h2 id="traces-heading">{q ? <>Traces with “{q}”</> : 'Recent traces'}</h2>
        <TraceList q={q} errorsOnly={errorsOnly} selected={selected} onSelect={(id) => update({ trace: id })} />
      </section>
    </div>
  );
}

/** The recent traces, newest first, each with a button that shows it as a waterfall. */
function TraceList({ q, errorsOnly, selected, onSelect }: { q: string; errorsOnly: boolean; selected: string | null; onSelect: (traceId: string) => void }) {
  const { data, error, loading, reload } = useApi<TracesAnswer>(`/ops/traces?limit=100${q ? `&q=${encodeURIComponent(q)}` : ''}`, { refreshMs: REFRESH_MS });
  if (loading && !data) return <Loading what="Gathering the traces" />;
  if (!data) return <ErrorBox error={error ?? new Error('No answer.')} retry={reload} />;
  const traces = errorsOnly ? data.data.filter((t) => t.error) : data.data;
  return (
    <>
      <StaleNote error={error} />
      <Unavailable services={data.unavailable} />
      {traces.length === 0 ? (
        <p className="notice">{q || errorsOnly ? 'No trace held matches.' : 'No trace yet: the services have not served a request since they started.'}</p>
      ) : (
        <TableWrap label="Recent traces">
          <table className="console-table" data-testid="traces">
            <caption className="console-sr-only">Recent traces, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Trace</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col">Services</th>
                <th scope="col">Spans</th>
                <th scope="col">Status</th>
                <th scope="col"><span className="console-sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {traces.map((t) => (
                <tr key={t.traceId} data-testid={`trace-${t.traceId}`} aria-current={t.traceId === selected ? 'true' : undefined} className={t.traceId === selected ? 'console-selected' : undefined}>
                  <th scope="row"><code>{t.name}</code><br /><span className="muted">{t.service}{t.rooted ? '' : ' (root not held)'} · <ShortId id={t.traceId} /></span></th>
                  <td><When iso={new Date(t.startMs).toISOString()} /></td>
                  <td className="console-number">{formatMs(t.durationMs)}</td>
                  <td title={t.services.join(', ')}>{t.serviceCount}</td>
                  <td className="console-number">{t.spanCount}</td>
                  <td>{t.error ? <StatusBadge status="failed" label="error" /> : <StatusBadge status="ok" />}</td>
                  <td>
                    <button type="button" className="secondary" onClick={() => onSelect(t.traceId)} aria-label={`Show the waterfall of ${t.name}, trace ${t.traceId}`}>
                      Waterfall
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}

/** One row of the waterfall: a span and how deep it is in the tree. */
interface Row {
  span: TraceSpan;
  depth: number;
}

/**
 * The spans as a tree, depth first, children by start. A span whose parent is not held (another
 * service's buffer dropped it, or the caller's span is outside) starts a tree of its own.
 */
function waterfallRows(spans: readonly TraceSpan[]): Row[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, TraceSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId !== null && ids.has(span.parentSpanId) && span.parentSpanId !== span.spanId ? span.parentSpanId : null;
    const list = children.get(parent);
    if (list) list.push(span);
    else children.set(parent, [span]);
  }
  for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs);
  const rows: Row[] = [];
  const seen = new Set<string>();
  const visit = (parent: string | null, depth: number) => {
    for (const span of children.get(parent) ?? []) {
      if (seen.has(span.spanId)) continue;
      seen.add(span.spanId);
      rows.push({ span, depth });
      visit(span.spanId, depth + 1);
    }
  };
  visit(null, 0);
  return rows;
}

/** Every span of one trace on a shared time axis: indented by parent, a bar by start and duration, coloured by service. */
function Waterfall({ traceId, onClose }: { traceId: string; onClose: () => void }) {
  const { data, error, loading, reload } = useApi<TraceAnswer>(`/ops/traces/${encodeURIComponent(traceId)}`);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const rows = useMemo(() => waterfallRows(data?.spans ?? []), [data]);

  const actions = (
    <div className="console-actions">
      <button type="button" className="secondary" onClick={reload}>Reload</button>
      <button type="button" className="secondary" onClick={onClose}>Close</button>
    </div>
  );
  if (loading && !data) return <Loading what="Gathering the spans" />;
  if (!data) return <>{actions}<ErrorBox error={error ?? new Error('No answer.')} retry={reload} /></>;

  const start = Math.min(...data.spans.map((s) => s.startMs));
  const end = Math.max(...data.spans.map((s) => s.startMs + s.durationMs));
  const total = Math.max(end - start, 0.001);
  const pct = (ms: number) => Math.min(100, Math.max(0, (ms / total) * 100));
  const services = [...new Set(data.spans.map((s) => s.service))].sort();
  const failed = data.spans.filter((s) => s.status === 'error').length;
  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <>
      {actions}
      <StaleNote error={error} />
      <p className="muted" role="status">
        {data.spans.length} spans in {services.length} services over {formatMs(total)}, started <When iso={new Date(start).toISOString()} />
        {failed ? <>; <strong className="console-overdue">{failed} failed</strong></> : null}. Read from {data.source === 'jaeger' ? 'Jaeger' : 'the services’ memory'}.
        {' '}Events a request causes go on after its answer: reload to see the spans that came since.
      </p>
      <Unavailable services={data.unavailable} />
      <ul className="console-legend" aria-label="Services">
        {services.map((s) => <li key={s}><span className="console-swatch" style={{ background: serviceColor(s) }} aria-hidden="true" />{s}</li>)}
      </ul>
      <TableWrap label="Waterfall">
        <table className="console-table console-waterfall" data-testid="waterfall">
          <caption className="console-sr-only">The spans of trace {traceId}, in tree order, with when each started and how long it took</caption>
          <thead>
            <tr>
              <th scope="col">Span</th>
              <th scope="col">Service</th>
              <th scope="col">Duration</th>
              <th scope="col" className="console-wf-axis">
                <span className="console-sr-only">Timeline</span>
                {[0, 0.25, 0.5, 0.75, 1].map((f) => <span key={f} className="console-wf-tick" style={{ left: `${f * 100}%` }} aria-hidden="true">{formatMs(total * f)}</span>)}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ span, depth }) => {
              const offset = span.startMs - start;
              const expanded = open.has(span.spanId);
              const error = span.status === 'error';
              return (
                <Fragment key={span.spanId}>
                  <tr data-testid={`span-${span.spanId}`} className={error ? 'console-span-error' : undefined}>
                    <th scope="row" style={{ paddingLeft: `${0.5 + depth * 1.1}rem` }}>
                      <button type="button" className="link console-span-name" title={span.name} aria-expanded={expanded} aria-controls={`span-detail-${span.spanId}`} onClick={() => toggle(span.spanId)}>
                        {span.name}
                      </button>
                      {error && <> <StatusBadge status="failed" label="error" /></>}
                      <span className="muted console-span-kind"> {span.kind}</span>
                    </th>
                    <td className="console-wf-service"><span className="console-swatch" style={{ background: serviceColor(span.service) }} aria-hidden="true" />{span.service}</td>
                    <td className="console-number">{formatMs(span.durationMs)}</td>
                    <td className="console-wf-lane">
                      <span
                        className={`console-wf-bar${error ? ' error' : ''}`}
                        style={{ left: `${pct(offset)}%`, width: `max(2px, ${pct(span.durationMs)}%)`, backgroundColor: serviceColor(span.service) }}
                        role="img"
                        aria-label={`starts at ${formatMs(offset)}, lasts ${formatMs(span.durationMs)}${error ? ', failed' : ''}`}
                      />
                    </td>
                  </tr>
                  {expanded && (
                    <DetailRow id={`span-detail-${span.spanId}`} columns={4}>
                      <p className="muted">Span <code>{span.spanId}</code>{span.parentSpanId ? <> · parent <code>{span.parentSpanId}</code></> : ' · root'} · starts at {formatMs(offset)}{span.statusMessage ? <> · <span className="console-overdue">{span.statusMessage}</span></> : null}</p>
                      <pre className="console-json" tabIndex={0} aria-label={`Attributes of ${span.name}`}>{JSON.stringify({ attributes: span.attributes, ...(span.events.length ? { events: span.events } : {}) }, null, 2)}</pre>
                    </DetailRow>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}

/** Names the services that did not answer, if any. */
function Unavailable({ services }: { services: string[] }) {
  if (services.length === 0) return null;
  return <p className="console-stale" role="status">Spans may be missing: no answer from {services.join(', ')}.</p>;
}

/** Each service's colour, the same on every trace. */
const SERVICE_COLORS: Record<string, string> = {
  gateway: '#0b5cad',
  identity: '#7b3fb5',
  catalog: '#137333',
  inventory: '#b06000',
  cart: '#00838f',
  orders: '#c2185b',
  payments: '#5d4037',
  shipping: '#3949ab',
  notifications: '#827717',
  recommendations: '#00695c',
};
const SPARE_COLORS = ['#6a1b9a', '#ad1457', '#2e7d32', '#ef6c00', '#283593', '#4e342e'];

function serviceColor(service: string): string {
  const known = SERVICE_COLORS[service];
  if (known) return known;
  let hash = 0;
  for (const c of service) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return SPARE_COLORS[hash % SPARE_COLORS.length]!;
}

/** A duration for people: µs under a millisecond, ms under a second, else seconds. */
function formatMs(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
