import type { EventHandler } from '@emporium/kit';
import type { userRegistered } from '@emporium/contracts/identity';
import { insertNotification } from '../db/notifications.repository.ts';
import { templates } from '../domain/templates.ts';

/**
 * user.registered → send-welcome: stores the welcome email in the transaction that records the
 * event in the inbox, so a redelivered event finds it handled and stores nothing more. It counts
 * as sent at once: no email sender exists yet.
 */
export const onUserRegistered: EventHandler<typeof userRegistered> = async (event, tx) => {
  const { userId, email, name } = event.data;
  await insertNotification(tx, { userId, channel: 'email', recipient: email, template: 'welcome', ...templates.welcome({ name }) });
};
