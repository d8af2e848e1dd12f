import { LiveCharts } from '../../components/console-live.tsx';
import { ConsoleNav, StaleNote, StatusBadge, TableWrap, When } from '../../components/console-ui.tsx';
import { ErrorBox, Loading } from '../../components/status.tsx';
import { useApi } from '../../hooks.ts';

/** One instance's readiness, as GET /ops/services answers it. */
interface InstanceHealth {
  url: string;
  status: 'ok' | 'failing' | 'down';
  latencyMs: number | null;
  failing: Array<{ check: string; error: string }>;
  error: string | null;
}

/** GET /ops/services: every service with its instances. */
interface ServicesAnswer {
  checkedAt: string;
  services: Array<{ name: string; status: 'ok' | 'degraded' | 'down'; instances: InstanceHealth[] }>;
}

/** GET /ops/breakers: each of the gateway's clients' circuit breaker. */
interface BreakersAnswer {
  data: Array<{ service: string; clients: Array<{ purpose: 'proxy' | 'event-streams' | 'dashboard' | 'ops'; state: string }> }>;
}

const HEALTH_REFRESH_MS = 5_000;
const PURPOSES = [
  { purpose: 'proxy', label: 'Proxy' },
  { purpose: 'event-streams', label: 'Event streams' },
  { purpose: 'dashboard', label: 'Dashboard' },
  { purpose: 'ops', label: 'Operations' },
] as const;

/** The console's front page: every service's health, live traffic charts and the gateway's circuit breakers. */
export function ConsoleOverview() {
  return (
    <div className="console">
      <ConsoleNav />
      <h1>Operations console</h1>
      <section className="console-section" aria-labelledby="services-heading">
        <h2 id="services-heading">Services</h2>
        <ServicesHealth />
      </section>
      <section className="console-section" aria-labelledby="traffic-heading">
        <h2 id="traffic-heading">Traffic</h2>
        <p className="muted">Each service’s requests per second, share of 5xx answers and 99th-percentile latency over the last minutes, summed over its instances. Health and metrics probes are not counted.</p>
        <LiveCharts />
      </section>
      <section className="console-section" aria-labelledby="breakers-heading">
        <h2 id="breakers-heading">Circuit breakers</h2>
        <p className="muted">The gateway’s breakers, one per service for each of its clients. An open breaker answers 503 at once until a trial call succeeds.</p>
        <Breakers />
      </section>
    </div>
  );
}

/** Every service and its instances with their readiness, refreshed every few seconds. */
function ServicesHealth() {
  const { data, error, loading, reload } = useApi<ServicesAnswer>('/ops/services', { refreshMs: HEALTH_REFRESH_MS });
  if (loading && !data) return <Loading what="Checking the services" />;
  if (!data) return <ErrorBox error={error ?? new Error('No answer.')} retry={reload} />;
  const unhealthy = data.services.filter((s) => s.status !== 'ok').length;
  return (
    <>
      <p className="muted" role="status">
        {unhealthy === 0 ? 'Every service is ready.' : `${unhealthy} of ${data.services.length} services are not fully ready.`}{' '}
        Checked <When iso={data.checkedAt} />; refreshed every {HEALTH_REFRESH_MS / 1000} s.
      </p>
      <StaleNote error={error} />
      <TableWrap label="Services">
        <table data-testid="services" className="console-table">
          <caption className="console-sr-only">Services and their instances</caption>
          <thead>
            <tr><th scope="col">Service</th><th scope="col">Status</th><th scope="col">Instances</th></tr>
          </thead>
          <tbody>
            {data.services.map((service) => (
              <tr key={service.name} data-testid={`service-${service.name}`}>
                <th scope="row">{service.name}</th>
                <td><StatusBadge status={service.status} /></td>
                <td>
                  <ul className="console-instances">
                    {service.instances.map((instance) => <Instance key={instance.url} instance={instance} />)}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}

/** One instance: its status, address and answer time, and why it is not ready. */
function Instance({ instance }: { instance: InstanceHealth }) {
  return (
    <li>
      <StatusBadge status={instance.status} />{' '}
      <code>{instance.url}</code>{' '}
      {instance.latencyMs !== null && <span className="muted">{Math.round(instance.latencyMs)} ms</span>}
      {instance.error && (
        <span className="console-reason">
          {instance.error}
          {instance.failing.length > 0 && (
            <> ({instance.failing.map((f) => `${f.check}: ${f.error}`).join('; ')})</>
          )}
        </span>
      )}
    </li>
  );
}

/** The gateway's circuit breakers, by service and client. */
function Breakers() {
  const { data, error, loading, reload } = useApi<BreakersAnswer>('/ops/breakers', { refreshMs: HEALTH_REFRESH_MS });
  if (loading && !data) return <Loading what="Reading the breakers" />;
  if (!data) return <ErrorBox error={error ?? new Error('No answer.')} retry={reload} />;
  const open = data.data.flatMap((s) => s.clients.filter((c) => c.state !== 'closed').map((c) => `${s.service} (${c.purpose})`));
  return (
    <>
      <p className="muted" role="status">{open.length === 0 ? 'Every breaker is closed.' : `Not closed: ${open.join(', ')}.`}</p>
      <StaleNote error={error} />
      <TableWrap label="Circuit breakers">
        <table data-testid="breakers" className="console-table">
          <caption className="console-sr-only">Circuit breaker states</caption>
          <thead>
            <tr><th scope="col">Service</th>{PURPOSES.map((p) => <th key={p.purpose} scope="col">{p.label}</th>)}</tr>
          </thead>
          <tbody>
            {data.data.map((service) => (
              <tr key={service.service} data-testid={`breakers-${service.service}`}>
                <th scope="row">{service.service}</th>
                {PURPOSES.map(({ purpose }) => {
                  const client = service.clients.find((c) => c.purpose === purpose);
                  return <td key={purpose}>{client ? <StatusBadge status={client.state} /> : <span className="muted" aria-label="no such client">—</span>}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}
