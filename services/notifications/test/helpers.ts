import { randomUUID } from 'node:crypto';
import { buildService, InProcessTransport } from '@emporium/kit';
import { testTokens, type DatabaseKind } from '@emporium/testing';
import { dataschemaOf, type CloudEvent, type EventDefinition } from '@emporium/contracts/events';
import { userRegistered } from '@emporium/contracts/identity';
import type { NotificationPage } from '@emporium/contracts/notifications';
import service from '../src/service.ts';

type Built = Awaited<ReturnType<typeof buildService>>;

/** A notifications service on a fresh database, fed events as a broker would feed it. */
export interface Notifications {
  built: Built;
  app: Built['app'];
  /** A bearer Authorization header for the user `userId` (a customer unless `roles` say otherwise). */
  auth(userId: string, roles?: string[]): Promise<{ authorization: string }>;
  /** Delivers `event` as its producer's relay would; resolves once the handler has committed or dead-lettered it. */
  deliver(event: CloudEvent<unknown>): Promise<void>;
  /** GET /notifications as `userId`; fails the test unless it answers 200. */
  list(userId: string, query?: Record<string, string | number>): Promise<NotificationPage>;
  /** The stored rows of `userId`, with the columns the API does not show. */
  rows(userId: string): Promise<Array<{ recipient: string; template: string; order_id: string | null; sent_at: unknown }>>;
  close(): Promise<void>;
}

/** A CloudEvent of `definition` as its producer publishes it; `data` is taken as given, valid or not. */
export function eventOf(definition: EventDefinition, data: Record<string, unknown>, subject: string): CloudEvent<unknown> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `/emporium/${definition.producer}`,
    type: definition.type,
    subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    dataschema: dataschemaOf(definition),
    data,
  };
}

/** A user.registered CloudEvent as identity publishes it; `data` is taken as given, valid or not. */
export function userRegisteredEvent(data: Record<string, unknown>, subject = String(data.userId ?? randomUUID())): CloudEvent<unknown> {
  return eventOf(userRegistered, data, subject);
}

/** An order event as orders publishes it, for `orderId` (a new one by default); `data` is taken as given. */
export function orderEvent(definition: EventDefinition, data: Record<string, unknown>): CloudEvent<unknown> {
  const full = { orderId: randomUUID(), ...data };
  return eventOf(definition, full, String(full.orderId));
}

/** Builds and starts the notifications service on `kind`'s database, with an in-process transport. */
export async function startNotifications(kind: DatabaseKind): Promise<Notifications> {
  const { db, close: closeDb } = await kind.open('notifications');
  const tokens = await testTokens();
  const transport = new InProcessTransport();
  const built = await buildService(service, { source: { LOG_LEVEL: 'silent' }, db, verifier: tokens.verifier, transport });
  await built.start();
  const { app } = built;

  return {
    built,
    app,
    auth: (userId, roles) => tokens.auth({ id: userId, ...(roles ? { roles } : {}) }),
    deliver: (event) => transport.publish([{ id: event.id, type: event.type, subject: event.subject, producer: event.source.split('/').pop()!, body: JSON.stringify(event) }]),
    async list(userId, query = {}) {
      const res = await app.inject({
        method: 'GET',
        url: '/notifications',
        headers: await tokens.auth({ id: userId }),
        query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
      });
      if (res.statusCode !== 200) throw new Error(`listing as ${userId}: expected 200, got ${res.statusCode} ${res.body}`);
      return res.json();
    },
    async rows(userId) {
      const { rows } = await built.ctx.db.query<{ recipient: string; template: string; order_id: string | null; sent_at: unknown }>(
        'SELECT recipient, template, order_id, sent_at FROM notifications WHERE user_id = $1 ORDER BY created_at, id',
        [userId],
      );
      return rows;
    },
    async close() {
      await built.close();
      await transport.close();
      await closeDb();
    },
  };
}
