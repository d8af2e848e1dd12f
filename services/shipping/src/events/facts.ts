import type { ShipmentRecord } from '../db/shipments.repository.ts';

/** What every shipment event says about the shipment it is about. */
export function shipmentFacts(s: ShipmentRecord): { orderId: string; shipmentId: string; trackingNumber: string; carrier: string } {
  return { orderId: s.orderId, shipmentId: s.id, trackingNumber: s.trackingNumber, carrier: s.carrier };
}
