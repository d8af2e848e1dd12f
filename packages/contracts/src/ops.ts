import { Type, type Static } from '@sinclair/typebox';
import { Id } from './common.ts';

/** A message a subscription gave up on, as every service's /ops/dead-letters lists it. */
export const DeadLetter = Type.Object(
  {
    id: Id,
    eventId: Type.String(),
    purpose: Type.String({ description: 'The subscription that gave up on it' }),
    type: Type.String({ description: 'The event type' }),
    subject: Type.String(),
    reason: Type.Union([Type.Literal('failed'), Type.Literal('invalid')], { description: 'failed: the handler kept throwing; invalid: the message failed its schema' }),
    error: Type.String({ description: 'The last error' }),
    attempts: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    replayedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    envelope: Type.String({ description: 'The message as received' }),
  },
  { additionalProperties: false },
);
export type DeadLetter = Static<typeof DeadLetter>;
