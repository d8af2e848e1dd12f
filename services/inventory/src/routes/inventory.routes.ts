import { bearer, requireRole, type Database, type ServiceApp, type TokenVerifier } from '@emporium/kit';
import { SetStockBody, Stock, StockParams } from '@emporium/contracts/inventory';
import { findStock, setAvailable } from '../db/stock.repository.ts';
import type { InventoryPublisher } from '../events/publish.ts';
import { inventoryErrors } from '../errors.ts';
import { problems } from './schemas.ts';

/** What the inventory routes need. */
export interface InventoryRouteOptions {
  db: Database;
  verifier: TokenVerifier;
  publish: InventoryPublisher;
}

const tags = ['inventory'];

const notFound = (productId: string) => inventoryErrors.INVENTORY_PRODUCT_NOT_FOUND(`There is no stock for product ${productId}.`);

/** `/inventory/:productId`: a product's stock for anyone; setting it for admins. */
export async function inventoryRoutes(app: ServiceApp, { db, verifier, publish }: InventoryRouteOptions): Promise<void> {
  app.get('/inventory/:productId', {
    schema: {
      tags,
      summary: "A product's available and reserved stock",
      params: StockParams,
      response: { 200: Stock, ...problems(400, 404) },
    },
  }, async (request) => {
    const stock = await findStock(db, request.params.productId);
    // A deleted product is gone for shoppers here as in the catalog.
    if (!stock || stock.discontinued) throw notFound(request.params.productId);
    return { productId: stock.productId, available: stock.available, reserved: stock.reserved };
  });

  app.put('/inventory/:productId', {
    onRequest: requireRole(verifier, 'admin'),
    schema: {
      tags,
      summary: 'Set the stock available to order (admin); the difference counts as received',
      security: bearer,
      params: StockParams,
      body: SetStockBody,
      response: { 200: Stock, ...problems(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { productId } = request.params;
    const stock = await db.transaction(async (tx) => {
      // Under the row lock, so a reservation in flight either ran before (and this overwrites
      // what it left available) or runs after (and takes from the new figure).
      const change = await setAvailable(tx, productId, request.body.available);
      if (!change) throw notFound(productId);
      if (change.after.available !== change.before.available) await publish.stockChanged(tx, [change.after]);
      return change.after;
    });
    return { productId: stock.productId, available: stock.available, reserved: stock.reserved };
  });
}
