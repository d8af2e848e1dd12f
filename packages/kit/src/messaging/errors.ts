import { defineErrors } from '../errors.ts';

/** The messaging machinery's error codes, each with its HTTP status. */
export const messagingErrors = defineErrors({
  MESSAGING_REPLAY_FAILED: { status: 409, title: 'The replayed message failed again' },
});
