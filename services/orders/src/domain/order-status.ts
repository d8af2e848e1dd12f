import type { OrderStatus } from '@emporium/contracts/orders';

/** The moves an order's status may make: PENDING → CONFIRMED → SHIPPED → DELIVERED, or → CANCELLED before dispatch. */
const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

/** Whether an order may move from `from` to `to`. */
export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT[from].includes(to);
}

/** Whether a customer may still cancel an order: before its shipment leaves. */
export function isCancellable(status: OrderStatus): boolean {
  return canMove(status, 'CANCELLED');
}
