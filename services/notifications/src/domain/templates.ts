/** A rendered message: what the recipient reads. Plain text, so nothing is escaped. */
export interface RenderedMessage {
  subject: string;
  body: string;
}

/** The welcome email for a user who has just registered, greeting them by name. */
export function welcome(user: { name: string }): RenderedMessage {
  return {
    subject: 'Welcome to Emporium',
    body: [
      `Hello ${user.name},`,
      '',
      'Welcome to Emporium! Your account is ready: browse the catalog, fill your cart and check out whenever you like.',
      '',
      'The Emporium team',
    ].join('\n'),
  };
}

/** Every template, by the name stored with each message it renders. */
export const templates = { welcome } as const;

/** The name of a template, as stored in `notifications.template`. */
export type TemplateName = keyof typeof templates;
