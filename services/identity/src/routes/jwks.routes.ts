import type { ServiceApp } from '@emporium/kit';
import { Jwks } from '@emporium/contracts/identity';
import type { SigningKey } from '../domain/signing-key.ts';

/** What the JWKS route needs from the service. */
export interface JwksRoutesOptions {
  keys: readonly SigningKey[];
}

/** GET /.well-known/jwks.json: the public keys that verify identity's tokens. */
export async function jwksRoutes(app: ServiceApp, { keys }: JwksRoutesOptions): Promise<void> {
  const body = { keys: keys.map((k) => k.publicJwk) };
  app.get('/.well-known/jwks.json', {
    schema: { tags: ['keys'], summary: 'Public signing keys (JWKS)', response: { 200: Jwks } },
  }, async (_request, reply) => {
    // Verifiers refetch on an unknown kid, so a short cache is safe across key rotation.
    reply.header('cache-control', 'public, max-age=300');
    return body;
  });
}
