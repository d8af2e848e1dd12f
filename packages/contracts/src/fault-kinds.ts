// The fault kinds and their rules, as plain data: the kit, the gateway's schema and the web
// console read the same table (the console without pulling TypeBox into the browser).

/**
 * Run-time faults (see the kit's README, "Faults"). Each kind is one flag of the flags file
 * (FAULTS_FILE): the gateway's PUT /api/v1/ops/faults writes them, every process watching the
 * file applies them.
 */
export const FAULT_KINDS = [
  'route-latency',
  'route-error',
  'route-hang',
  'crash',
  'event-latency',
  'event-error',
  'upstream-latency',
  'upstream-error',
  'payment-latency',
  'payment-failure',
  'database-down',
  'broker-down',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What a kind's `value` means, what its `target` names, and which service alone it applies to. */
export interface FaultRule {
  /** Its name in the console. */
  label: string;
  value: 'ms' | 'rate' | 'none';
  target: 'route' | 'event' | 'upstream' | 'none';
  /** The one service that has what the kind breaks (the payment provider is in payments). */
  service?: string;
  /** What the kind does, for the console and the documentation. */
  does: string;
}

/** Every kind's rule. */
export const FAULT_RULES: Record<FaultKind, FaultRule> = {
  'route-latency': { label: 'Route latency', value: 'ms', target: 'route', does: 'adds this many ms to the handling of a request' },
  'route-error': { label: 'Route errors (503)', value: 'rate', target: 'route', does: 'answers this share of requests with 503 FAULT_INJECTED' },
  'route-hang': { label: 'Route hangs', value: 'ms', target: 'route', does: 'holds requests unanswered for up to this many ms (the client gives up first), then answers 503' },
  crash: { label: 'Crash (exit 70)', value: 'none', target: 'route', does: 'ends the process with exit code 70: at once, or on the first request to the target route' },
  'event-latency': { label: 'Event handling latency', value: 'ms', target: 'event', does: 'adds this many ms to the handling of an event' },
  'event-error': { label: 'Event handling failures', value: 'rate', target: 'event', does: 'makes this share of event handlings fail (retried, then dead-lettered)' },
  'upstream-latency': { label: 'Outgoing call latency', value: 'ms', target: 'upstream', does: 'adds this many ms to calls to another service (a call past its timeout times out)' },
  'upstream-error': { label: 'Outgoing call failures', value: 'rate', target: 'upstream', does: 'makes this share of calls to another service fail as if it could not be reached' },
  'payment-latency': { label: 'Payment provider latency', value: 'ms', target: 'none', service: 'payments', does: 'sets the fake payment provider’s mean latency' },
  'payment-failure': { label: 'Payment provider failures', value: 'rate', target: 'none', service: 'payments', does: 'sets the fake payment provider’s failure rate' },
  'database-down': { label: 'Database connection broken', value: 'none', target: 'none', does: 'fails every database query with a connection error' },
  'broker-down': { label: 'Broker connection broken', value: 'none', target: 'none', does: 'fails every publish to the broker and holds every delivery' },
};

/** The longest latency or hang a fault may ask for: 5 minutes, so a forgotten fault still ends. */
export const FAULT_MAX_MS = 300_000;
