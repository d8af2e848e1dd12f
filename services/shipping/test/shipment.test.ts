import { describe, expect, it } from 'vitest';
import { SHIPMENT_STATUSES } from '@emporium/contracts/shipping';
import { canMove, decideCancel, decideSchedule, refusal, trackingNumber } from '../src/domain/shipment.ts';

describe('shipment', () => {
  it('moves scheduled → dispatched → delivered, and cancels only while scheduled', () => {
    const allowed = SHIPMENT_STATUSES.flatMap((status) => (['dispatch', 'deliver', 'cancel'] as const).filter((move) => canMove(status, move)).map((move) => `${status}:${move}`));
    expect(allowed).toEqual(['scheduled:dispatch', 'scheduled:cancel', 'dispatched:deliver']);
  });

  it('names the current status when refusing a move', () => {
    expect(refusal('deliver', 'scheduled')).toBe('The shipment is scheduled; only a dispatched shipment can be delivered.');
    expect(refusal('dispatch', 'cancelled')).toContain('cancelled');
    expect(refusal('cancel', 'delivered')).toMatch(/already delivered.*cannot be cancelled/);
  });

  it('schedules once, re-announces a repeat, and ignores a schedule after a cancel', () => {
    expect(decideSchedule(undefined)).toBe('create');
    expect(['scheduled', 'dispatched', 'delivered'].map((s) => decideSchedule(s as 'scheduled'))).toEqual(['republish', 'republish', 'republish']);
    expect(decideSchedule('cancelled')).toBe('ignore');
  });

  it('leaves a tombstone when nothing is scheduled yet, and refuses to recall goods that left', () => {
    expect(decideCancel(undefined)).toBe('tombstone');
    expect(decideCancel('scheduled')).toBe('cancel');
    expect(decideCancel('cancelled')).toBe('republish');
    expect(decideCancel('dispatched')).toBe('refuse');
    expect(decideCancel('delivered')).toBe('refuse');
  });

  it('makes tracking numbers of EMP and 12 base32 characters from the random bytes', () => {
    expect(trackingNumber(new Uint8Array(8))).toBe('EMPAAAAAAAAAAAA');
    expect(trackingNumber(new Uint8Array(8).fill(255))).toBe('EMP777777777777');
    // 60 bits are used: the last 4 bits of the eighth byte are not.
    expect(trackingNumber(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))).toBe('EMPAEBAGBAFAYDQ');
    expect(trackingNumber(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 0x18]))).toBe('EMPAEBAGBAFAYDR');
    expect(() => trackingNumber(new Uint8Array(4))).toThrow();
  });
});
