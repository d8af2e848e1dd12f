import { bearer, requireUser, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { PaymentMethod, PaymentMethodBody } from '@emporium/contracts/payments';
import { paymentsErrors } from '../errors.ts';
import { InvalidCardError, ProviderUnavailableError, type PaymentProvider } from '../provider/provider.ts';
import { problems } from './schemas.ts';

/** What the payment-method route needs. */
export interface PaymentMethodRouteOptions {
  provider: PaymentProvider;
  verifier: TokenVerifier;
  /** How long the provider may take to answer. */
  timeoutMs: number;
}

/**
 * `POST /payment-methods`: a signed-in user's card number goes to the provider, and only its
 * token and what may be shown of it come back. Orders calls it while placing an order, so the
 * number is never stored or sent on anywhere in the platform.
 */
export async function paymentMethodRoutes(app: ServiceApp, { provider, verifier, timeoutMs }: PaymentMethodRouteOptions): Promise<void> {
  app.post('/payment-methods', {
    onRequest: requireUser(verifier),
    schema: {
      tags: ['payments'],
      summary: "Exchange a card number for the payment provider's token",
      security: bearer,
      body: PaymentMethodBody,
      response: { 201: PaymentMethod, ...problems(400, 401, 422, 503) },
    },
  }, async (request, reply) => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const card = await provider.tokenize({ cardNumber: request.body.cardNumber }, signal);
      return reply.code(201).send({ token: card.token, last4: card.last4, brand: card.brand, expiresAt: card.expiresAt.toISOString() });
    } catch (err) {
      if (err instanceof InvalidCardError) throw paymentsErrors.PAYMENTS_INVALID_CARD(err.message);
      if (err instanceof ProviderUnavailableError || signal.aborted) {
        throw paymentsErrors.PAYMENTS_PROVIDER_UNAVAILABLE('The payment provider did not answer; try again shortly.', { headers: { 'retry-after': '1' }, cause: err });
      }
      throw err;
    }
  });
}
