import { randomUUID } from 'node:crypto';
import type { BuiltService } from '@emporium/kit';
import { cloudEvent, deliver as deliverTo, startTestService, type DatabaseKind } from '@emporium/testing';
import type { Address } from '@emporium/contracts/common';
import type { CloudEvent, EventDefinition } from '@emporium/contracts/events';
import { cancelShipment, scheduleShipment, type Shipment, type ShipmentPage } from '@emporium/contracts/shipping';
import type { shippingSettings } from '../src/config.ts';
import service from '../src/service.ts';

type Built = BuiltService<typeof shippingSettings>;
type Headers = { authorization: string };

/** An event written to shipping's outbox. */
export interface Published {
  type: string;
  subject: string;
  data: Record<string, unknown>;
}

/** A shipping service on a fresh database, fed commands as the broker would feed them. */
export interface Shipping {
  built: Built;
  app: Built['app'];
  admin: Headers;
  /** A bearer Authorization header for the customer `userId`. */
  auth(userId: string, roles?: string[]): Promise<Headers>;
  /** Delivers `event` as the orders service's relay would; resolves once it is handled or dead-lettered. */
  deliver(event: CloudEvent<unknown>): Promise<void>;
  /** Sends shipment.schedule for an order and returns its data. */
  schedule(fields?: Partial<ScheduleData>): Promise<ScheduleData>;
  /** Sends shipment.cancel for an order. */
  cancel(orderId: string, reason?: string): Promise<void>;
  /** The events in the outbox, oldest first; only those about `orderId` when given. */
  outbox(orderId?: string): Promise<Published[]>;
  /** The shipment of `orderId` as its owner sees it, through `GET /shipments?orderId=`. */
  shipmentOf(orderId: string, userId: string): Promise<Shipment | undefined>;
  /** GET /shipments with `headers`; fails the test unless it answers 200. */
  list(headers: Headers, query?: Record<string, string | number>): Promise<ShipmentPage>;
  close(): Promise<void>;
}

/** The data of a shipment.schedule command. */
export interface ScheduleData {
  orderId: string;
  userId: string;
  address: Address;
  items: Array<{ productId: string; quantity: number }>;
}

/** A US address; pass `country` (or other fields) to change it. */
export function address(fields: Partial<Address> = {}): Address {
  return { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'Springfield', postalCode: '12345', country: 'US', ...fields };
}

/** A command as the orders service publishes it; `data` is taken as given, valid or not. */
export function command(definition: EventDefinition, data: Record<string, unknown>, subject = String(data.orderId ?? randomUUID())): CloudEvent<unknown> {
  return cloudEvent(definition, data, subject);
}

/** Builds and starts shipping on `kind`'s database with an in-process transport and the given settings. */
export async function startShipping(kind: DatabaseKind, settings: Record<string, string> = {}): Promise<Shipping> {
  const { built, app, tokens, transport, close } = await startTestService(service, kind, settings);
  const deliver = (event: CloudEvent<unknown>) => deliverTo(transport, event);
  const list = async (headers: Headers, query: Record<string, string | number> = {}) => {
    const res = await app.inject({ method: 'GET', url: '/shipments', headers, query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) });
    if (res.statusCode !== 200) throw new Error(`listing ${JSON.stringify(query)}: expected 200, got ${res.statusCode} ${res.body}`);
    return res.json() as ShipmentPage;
  };

  return {
    built,
    app,
    admin: await tokens.auth({ roles: ['customer', 'admin'] }),
    auth: (userId, roles) => tokens.auth({ id: userId, ...(roles ? { roles } : {}) }),
    deliver,
    async schedule(fields = {}) {
      const data: ScheduleData = { orderId: randomUUID(), userId: randomUUID(), address: address(), items: [{ productId: randomUUID(), quantity: 1 }], ...fields };
      await deliver(command(scheduleShipment, { ...data }));
      return data;
    },
    cancel: (orderId, reason = 'payment declined') => deliver(command(cancelShipment, { orderId, reason })),
    async outbox(orderId) {
      const { rows } = await built.ctx.db.query<Published>(
        "SELECT type, subject, envelope->'data' AS data FROM outbox WHERE $1::text IS NULL OR subject = $1 ORDER BY seq",
        [orderId ?? null],
      );
      return rows;
    },
    async shipmentOf(orderId, userId) {
      return (await list(await tokens.auth({ id: userId }), { orderId })).data[0];
    },
    list,
    close,
  };
}
