import type { Queryable } from '@emporium/kit';
import type { Channel, Notification } from '@emporium/contracts/notifications';
import type { RenderedMessage, TemplateName } from '../domain/templates.ts';

interface NotificationRow {
  id: string;
  channel: Channel;
  template: string;
  subject: string;
  body: string;
  created_at: Date | string;
  sent_at: Date | string | null;
}

const COLUMNS = 'id, channel, template, subject, body, created_at, sent_at';

function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    channel: row.channel,
    template: row.template,
    subject: row.subject,
    body: row.body,
    createdAt: new Date(row.created_at).toISOString(),
    sentAt: row.sent_at === null ? null : new Date(row.sent_at).toISOString(),
  };
}

/** A rendered message to store for a user. */
export interface NewNotification extends RenderedMessage {
  userId: string;
  channel: Channel;
  recipient: string;
  template: TemplateName;
  /** The order the message is about, if any: one message of each template per order. */
  orderId?: string;
}

/**
 * Stores a message as sent now: no email sender exists yet, so storing it is sending it.
 * Returns its id, or undefined when the order already has a message of this template.
 */
export async function insertNotification(q: Queryable, n: NewNotification): Promise<string | undefined> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO notifications (user_id, channel, recipient, template, subject, body, order_id, sent_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now())
     ON CONFLICT (order_id, template) WHERE order_id IS NOT NULL DO NOTHING
     RETURNING id`,
    [n.userId, n.channel, n.recipient, n.template, n.subject, n.body, n.orderId ?? null],
  );
  return rows[0]?.id;
}

/** A slice of one user's messages, newest first, and how many they have in all. */
export async function listNotifications(q: Queryable, userId: string, page: { limit: number; offset: number }): Promise<{ items: Notification[]; total: number }> {
  const { rows } = await q.query<NotificationRow & { total: number | string }>(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM notifications WHERE user_id = $1
     ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
    [userId, page.limit, page.offset],
  );
  if (rows[0]) return { items: rows.map(toNotification), total: Number(rows[0].total) };
  if (page.offset === 0) return { items: [], total: 0 };
  // Past the last page: the window count saw no rows, so count on its own.
  const count = await q.query<{ total: number | string }>('SELECT count(*) AS total FROM notifications WHERE user_id = $1', [userId]);
  return { items: [], total: Number(count.rows[0]?.total ?? 0) };
}
