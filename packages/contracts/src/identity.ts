import { Type, type Static } from '@sinclair/typebox';
import { Id, Role } from './common.ts';
import { defineEvent } from './events.ts';

/** Password length rules, shared by registration and the admin bootstrap setting. */
export const passwordLimits = { minLength: 8, maxLength: 128 } as const;

/** An email address as users type it; identity stores it lowercased. */
export const Email = Type.String({ format: 'email', maxLength: 254, examples: ['ada@example.com'] });

/** A display name: 1 to 100 characters, not only spaces, no control characters (PostgreSQL text cannot hold NUL). */
export const DisplayName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$',
  examples: ['Ada Lovelace'],
});

/** POST /auth/register body. */
export const RegisterBody = Type.Object(
  { email: Email, password: Type.String(passwordLimits), name: DisplayName },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

/** POST /auth/login body. The password rules are not repeated: a wrong one is simply wrong. */
export const LoginBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: passwordLimits.maxLength }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

/** A user's profile, as the user sees it. */
export const User = Type.Object({
  id: Id,
  email: Type.String(),
  name: Type.String(),
  roles: Type.Array(Role),
  createdAt: Type.String({ format: 'date-time' }),
});
export type User = Static<typeof User>;

/** POST /auth/register answer: the new user, already signed in. */
export const RegisterResponse = Type.Object({ user: User, accessToken: Type.String() });
export type RegisterResponse = Static<typeof RegisterResponse>;

/** POST /auth/login answer. `expiresIn` is in seconds. */
export const LoginResponse = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ minimum: 1 }),
  user: User,
});
export type LoginResponse = Static<typeof LoginResponse>;

/** A public signing key (RFC 7517): OKP keys carry crv and x, RSA keys n and e. */
export const PublicJwk = Type.Object({
  kty: Type.String(),
  kid: Type.String(),
  alg: Type.Union([Type.Literal('EdDSA'), Type.Literal('RS256')]),
  use: Type.Literal('sig'),
  crv: Type.Optional(Type.String()),
  x: Type.Optional(Type.String()),
  n: Type.Optional(Type.String()),
  e: Type.Optional(Type.String()),
});
export type PublicJwk = Static<typeof PublicJwk>;

/** GET /.well-known/jwks.json answer. */
export const Jwks = Type.Object({ keys: Type.Array(PublicJwk) });
export type Jwks = Static<typeof Jwks>;

// Events. Identity publishes them through its outbox, in the transaction that changes the user.

/** A user registered (notifications welcomes them). The email is lowercased, as stored. */
export const userRegistered = defineEvent({
  type: 'user.registered',
  version: 1,
  producer: 'identity',
  subject: 'the user id',
  description: 'A new user registered, with their lowercased email and display name.',
  delivery: 'at least once; in order per subject; consumers deduplicate by event id',
  schema: Type.Object({ userId: Id, email: Email, name: DisplayName }, { additionalProperties: false }),
});

/** Every event identity publishes. */
export const identityEvents = { userRegistered } as const;
