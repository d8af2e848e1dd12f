import { randomUUID } from 'node:crypto';
import type { BuiltService } from '@emporium/kit';
import { cloudEvent, deliver, startTestService, type DatabaseKind } from '@emporium/testing';
import type { CloudEvent, EventDefinition } from '@emporium/contracts/events';
import { userRegistered } from '@emporium/contracts/identity';
import type { NotificationPage } from '@emporium/contracts/notifications';
import service from '../src/service.ts';

type Built = BuiltService;

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

/** A user.registered CloudEvent as identity publishes it; `data` is taken as given, valid or not. */
export function userRegisteredEvent(data: Record<string, unknown>, subject = String(data.userId ?? randomUUID())): CloudEvent<unknown> {
  return cloudEvent<EventDefinition>(userRegistered, data, subject);
}

/** An order event as orders publishes it, for `orderId` (a new one by default); `data` is taken as given. */
export function orderEvent(definition: EventDefinition, data: Record<string, unknown>): CloudEvent<unknown> {
  const full = { orderId: randomUUID(), ...data };
  return cloudEvent(definition, full, String(full.orderId));
}

/** Builds and starts the notifications service on `kind`'s database, with an in-process transport. */
export async function startNotifications(kind: DatabaseKind): Promise<Notifications> {
  const { built, app, tokens, transport, close } = await startTestService(service, kind);

  return {
    built,
    app,
    auth: (userId, roles) => tokens.auth({ id: userId, ...(roles ? { roles } : {}) }),
    deliver: (event) => deliver(transport, event),
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
    close,
  };
}
