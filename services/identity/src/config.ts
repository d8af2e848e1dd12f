import { secret, setting, type SettingsSpec } from '@emporium/kit';
import { passwordLimits } from '@emporium/contracts/identity';
import { DEV_ACCOUNTS } from './domain/dev-accounts.ts';
import { parseSigningJwk, type SigningJwk } from './domain/signing-key.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A private Ed25519 JWK. Absent means "generate one and keep it in the database", which production refuses. */
const signingKey = secret(
  setting
    .custom<SigningJwk | undefined>('a private Ed25519 JWK as JSON with kty "OKP", crv "Ed25519", d, x and kid', parseSigningJwk)
    .devDefault(undefined),
);

/** identity's own settings, beyond the common ones. */
export const identitySettings = {
  ACCESS_TOKEN_TTL_SECONDS: setting.int({ min: 60, max: 86_400 }).with(900),
  IDENTITY_SIGNING_KEY: signingKey,
  ADMIN_EMAIL: setting.custom('an email address', (s) => (EMAIL.test(s) && s.length <= 254 ? s.toLowerCase() : undefined)).with(DEV_ACCOUNTS.admin.email),
  ADMIN_PASSWORD: secret(
    setting
      .custom(`a password of ${passwordLimits.minLength} to ${passwordLimits.maxLength} characters`, (s) =>
        s.length >= passwordLimits.minLength && s.length <= passwordLimits.maxLength ? s : undefined,
      )
      .devDefault(DEV_ACCOUNTS.admin.password),
  ),
  LOGIN_FREE_FAILURES: setting.int({ min: 1, max: 1_000 }).with(5),
  LOGIN_ACCOUNT_FREE_FAILURES: setting.int({ min: 1, max: 100_000 }).with(20),
  LOGIN_FIRST_WAIT_SECONDS: setting.int({ min: 1, max: 86_400 }).with(30),
  LOGIN_MAX_WAIT_SECONDS: setting.int({ min: 1, max: 86_400 }).with(900),
  LOGIN_MAX_FAILURES_PER_IP: setting.int({ min: 1, max: 100_000 }).with(30),
  LOGIN_FAILURE_WINDOW_SECONDS: setting.int({ min: 1, max: 86_400 }).with(900),
  LOGIN_KNOWN_ADDRESS_DAYS: setting.int({ min: 1, max: 3_650 }).with(30),
  /** log2 of scrypt's N for new password hashes; below 15 only for tests (production refuses it). */
  PASSWORD_SCRYPT_LOG2N: setting.int({ min: 10, max: 20 }).with(15),
  REGISTER_MAX_PER_IP: setting.int({ min: 1, max: 1_000_000 }).with(10),
  REGISTER_WINDOW_SECONDS: setting.int({ min: 1, max: 86_400 }).with(600),
} satisfies SettingsSpec;
