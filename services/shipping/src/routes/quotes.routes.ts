import type { ServiceApp } from '@emporium/kit';
import { QuoteBody, QuoteList } from '@emporium/contracts/shipping';
import { isServed, quotes } from '../domain/quotes.ts';
import { shippingErrors } from '../errors.ts';
import { problems } from './schemas.ts';

/** What the quote route needs. */
export interface QuoteRouteOptions {
  unserved: readonly string[];
}

/** `POST /shipping/quotes`: what shipping costs and how long it takes, for anyone. */
export async function quoteRoutes(app: ServiceApp, { unserved }: QuoteRouteOptions): Promise<void> {
  app.post('/shipping/quotes', {
    schema: {
      tags: ['shipping'],
      summary: 'Standard and express prices and delivery times for items sent to an address',
      body: QuoteBody,
      response: { 200: QuoteList, ...problems(400, 422) },
    },
  }, async (request) => {
    const { address, items } = request.body;
    if (!isServed(address.country, unserved)) throw shippingErrors.SHIPPING_DESTINATION_NOT_SERVED(`No carrier ships to ${address.country}.`);
    return { data: quotes(address.country, items) };
  });
}
