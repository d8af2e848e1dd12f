import { Type, type Static } from '@sinclair/typebox';
import { Id, Page, PageQuery } from './common.ts';

/** How a message reaches its recipient. Email only today; SMS is planned. */
export const Channel = Type.Literal('email', { description: 'How the message is delivered' });
export type Channel = Static<typeof Channel>;

/** A message sent to the caller, as they see it. `sentAt` is null while delivery is pending. */
export const Notification = Type.Object({
  id: Id,
  channel: Channel,
  template: Type.String({ description: 'The template it was rendered from', examples: ['welcome'] }),
  subject: Type.String(),
  body: Type.String({ description: 'Plain text' }),
  createdAt: Type.String({ format: 'date-time' }),
  sentAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type Notification = Static<typeof Notification>;

/** `GET /notifications` answer: the caller's messages, newest first. */
export const NotificationPage = Page(Notification);
export type NotificationPage = Static<typeof NotificationPage>;

/** `GET /notifications` query: paging only. */
export const NotificationQuery = Type.Object({
  page: Type.Optional(PageQuery.page),
  limit: Type.Optional(PageQuery.limit),
});
export type NotificationQuery = Static<typeof NotificationQuery>;
