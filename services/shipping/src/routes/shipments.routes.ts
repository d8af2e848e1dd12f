import { bearer, requireRole, requireUser, mayAccess, type Database, type Messaging, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { pagination } from '@emporium/contracts/common';
import { Shipment, ShipmentPage, ShipmentParams, ShipmentQuery, shipmentDelivered, shipmentDispatched } from '@emporium/contracts/shipping';
import { findShipment, listShipments, moveShipment } from '../db/shipments.repository.ts';
import { MOVES, refusal } from '../domain/shipment.ts';
import { shippingErrors } from '../errors.ts';
import { shipmentFacts } from '../events/facts.ts';
import { problems } from './schemas.ts';

/** What the shipment routes need. */
export interface ShipmentRouteOptions {
  db: Database;
  verifier: TokenVerifier;
  messaging: Messaging;
}

const tags = ['shipments'];
const notFound = (id: string) => shippingErrors.SHIPPING_SHIPMENT_NOT_FOUND(`There is no shipment with id ${id}.`);

/** The admin moves, each with the event that announces it. */
const ADMIN_MOVES = {
  dispatch: { ...MOVES.dispatch, event: shipmentDispatched, summary: 'Mark a scheduled shipment as dispatched (admin)' },
  deliver: { ...MOVES.deliver, event: shipmentDelivered, summary: 'Mark a dispatched shipment as delivered (admin)' },
} as const;

/** `/shipments`: customers read their own; admins read all and move them on. */
export async function shipmentRoutes(app: ServiceApp, { db, verifier, messaging }: ShipmentRouteOptions): Promise<void> {
  const user = requireUser(verifier);
  const admin = requireRole(verifier, 'admin');

  app.get('/shipments', {
    onRequest: user,
    schema: {
      tags,
      summary: 'The caller\'s shipments, newest first (admins: everyone\'s)',
      security: bearer,
      querystring: ShipmentQuery,
      response: { 200: ShipmentPage, ...problems(400, 401) },
    },
  }, async (request) => {
    const { orderId, status, page = 1, limit = 20 } = request.query;
    const caller = request.caller!;
    // A customer's list is filtered by the verified token's user, never by anything in the request (I7).
    const userId = caller.roles.includes('admin') ? undefined : caller.id;
    const { items, total } = await listShipments(db, { userId, orderId, status, limit, offset: (page - 1) * limit });
    return { data: items, pagination: pagination(page, limit, total) };
  });

  app.get('/shipments/:id', {
    onRequest: user,
    schema: {
      tags,
      summary: 'One shipment (its owner or an admin)',
      security: bearer,
      params: ShipmentParams,
      response: { 200: Shipment, ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const found = await findShipment(db, request.params.id);
    // Someone else's shipment is answered as missing, so ids cannot be probed.
    if (!found?.shipment || !mayAccess(request.caller!, found.shipment.userId)) throw notFound(request.params.id);
    return found.shipment;
  });

  for (const [move, { from, to, event, summary }] of Object.entries(ADMIN_MOVES)) {
    app.post(`/shipments/:id/${move}`, {
      onRequest: admin,
      schema: {
        tags,
        summary,
        security: bearer,
        params: ShipmentParams,
        response: { 200: Shipment, ...problems(400, 401, 403, 404, 409) },
      },
    }, async (request) => {
      const { id } = request.params;
      const moved = await db.transaction(async (tx) => {
        // Conditional on the status: of two admins racing, one moves it and publishes, the other gets a 409.
        const row = await moveShipment(tx, id, from, to);
        if (row) await messaging.publish(tx, event, shipmentFacts(row), { subject: row.orderId });
        return row;
      });
      if (moved) return moved.shipment!;
      const current = await findShipment(db, id);
      if (!current) throw notFound(id);
      throw shippingErrors.SHIPPING_INVALID_TRANSITION(refusal(move as keyof typeof ADMIN_MOVES, current.status));
    });
  }
}
