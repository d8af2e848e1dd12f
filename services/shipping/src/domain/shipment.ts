import type { ShipmentStatus } from '@emporium/contracts/shipping';

/** The moves a shipment can make, each from the one status it starts in to the one it leads to. */
export const MOVES = {
  dispatch: { from: 'scheduled', to: 'dispatched' },
  deliver: { from: 'dispatched', to: 'delivered' },
  cancel: { from: 'scheduled', to: 'cancelled' },
} as const satisfies Record<string, { from: ShipmentStatus; to: ShipmentStatus }>;

/** A move of the state machine: dispatch, deliver or cancel. */
export type Move = keyof typeof MOVES;

/** Whether a shipment in `status` can make `move`. */
export function canMove(status: ShipmentStatus, move: Move): boolean {
  return MOVES[move].from === status;
}

/** Why a shipment in `status` cannot make `move`, in words for the caller. */
export function refusal(move: Move, status: ShipmentStatus): string {
  const { from } = MOVES[move];
  if (move === 'cancel') return `The shipment is already ${status}: it has left the warehouse and cannot be cancelled.`;
  return `The shipment is ${status}; only a ${from} shipment can be ${MOVES[move].to}.`;
}

/** What a schedule command does, given the status of the order's shipment (undefined: none yet). */
export type ScheduleDecision = 'create' | 'republish' | 'ignore';

/**
 * A schedule creates the shipment once; a repeat re-announces it, since the saga may have
 * lost the first reply; after a cancel (even one that came first) it does nothing.
 */
export function decideSchedule(status: ShipmentStatus | undefined): ScheduleDecision {
  if (status === undefined) return 'create';
  return status === 'cancelled' ? 'ignore' : 'republish';
}

/** What a cancel command does, given the status of the order's shipment (undefined: none yet). */
export type CancelDecision = 'tombstone' | 'cancel' | 'republish' | 'refuse';

/**
 * A cancel with nothing to cancel leaves a tombstone, so that a schedule arriving later does
 * nothing; a repeat re-announces the cancellation; goods that have left cannot be recalled.
 */
export function decideCancel(status: ShipmentStatus | undefined): CancelDecision {
  if (status === undefined) return 'tombstone';
  if (status === 'cancelled') return 'republish';
  return canMove(status, 'cancel') ? 'cancel' : 'refuse';
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Length of the random part of a tracking number: 12 base32 characters, 60 bits. */
export const TRACKING_RANDOM_CHARS = 12;

/** A tracking number, "EMP" and 12 base32 characters (RFC 4648 alphabet) from the first 60 bits of `random` (8 bytes or more). */
export function trackingNumber(random: Uint8Array): string {
  if (random.length < 8) throw new Error('a tracking number needs 8 random bytes');
  let bits = 0n;
  for (const byte of random.subarray(0, 8)) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < TRACKING_RANDOM_CHARS; i++) out += BASE32[Number((bits >> BigInt(59 - 5 * i)) & 31n)];
  return `EMP${out}`;
}
