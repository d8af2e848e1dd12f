import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { KIT_MIGRATIONS, loadMigrations, migrate, openPostgres, type Database } from '@emporium/kit';
import { IN_CI, TEST_DATABASE_URL } from '@emporium/testing';
import { checkDatabases, formatReport, parseOrderIds, SERVICES, SUBSCRIPTIONS, type CheckOptions, type InvariantReport, type ServiceName } from '../src/chaos/checker.ts';
import { BACKENDS } from '../src/services.ts';

// Each service's database as the platform makes it (its real migrations), filled by hand with a
// small consistent world; each test then plants one violation and expects exactly that one back.

const unavailable = inject('postgresUnavailable');
const prefix = `chk_${randomBytes(3).toString('hex')}`;
const dbs = {} as Record<ServiceName, Database>;
const options = (more: Partial<CheckOptions> = {}): CheckOptions => ({ databaseUrl: TEST_DATABASE_URL, prefix, lagSeconds: 0, stuckAfterSeconds: 30, ...more });

/** Every violation as `I2 <check>: <id>: <detail>`. */
const found = (reports: InvariantReport[]) => reports.flatMap((r) => r.violations.map((v) => ({ invariant: r.invariant, check: r.name, id: v.id, detail: v.detail })));
const check = async (more: Partial<CheckOptions> = {}) => found(await checkDatabases(options(more)));

/** The ids of the world built before each test. */
interface World {
  alice: string;
  bob: string;
  kettle: string;
  teapot: string;
  sold: string;
  declined: string;
  payment: string;
  reference: string;
}
let w: World;

const q = (service: ServiceName, sql: string, params: unknown[] = []) => dbs[service].query(sql, params);

const unsent: Array<{ producer: ServiceName; id: string; type: string; subject: string; data: Record<string, unknown> }> = [];

/**
 * Writes an event to `producer`'s outbox, published, and records it in the inbox of every
 * subscriber (as the relay and the consumers would have), at the next `flush`.
 */
function publish(producer: ServiceName, type: string, subject: string, data: Record<string, unknown> = {}): void {
  unsent.push({ producer, id: randomUUID(), type, subject, data });
}

/** Writes the events published so far, a statement per table. */
async function flush(): Promise<void> {
  const events = unsent.splice(0);
  await Promise.all(
    SERVICES.map(async (service) => {
      const out = events.filter((e) => e.producer === service);
      if (out.length) {
        await q(service, 'INSERT INTO outbox (id, type, subject, envelope, published_at) SELECT *, now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])', [
          out.map((e) => e.id), out.map((e) => e.type), out.map((e) => e.subject), out.map((e) => JSON.stringify({ id: e.id, type: e.type, subject: e.subject, data: e.data })),
        ]);
      }
      const received = events.flatMap((e) => SUBSCRIPTIONS.filter((s) => s.consumer === service && s.producer === e.producer && s.type === e.type).map((s) => [e.id, s.purpose] as const));
      if (received.length) await q(service, 'INSERT INTO inbox (event_id, purpose) SELECT * FROM unnest($1::uuid[], $2::text[])', [received.map((r) => r[0]), received.map((r) => r[1])]);
    }),
  );
}

const money = (amount: number) => ({ amount, currency: 'USD' });
const line = (productId: string, quantity: number, price: number) => ({ productId, name: 'x', quantity, unitPrice: money(price), lineTotal: money(price * quantity) });
const ADDRESS = JSON.stringify({ name: 'Grace Hopper', line1: '1 Navy Yard', city: 'Arlington', postalCode: '22202', country: 'US' });

async function insertOrder(o: { id: string; userId: string; status: string; items: ReturnType<typeof line>[]; shipping: number; sagaStatus: string; ageSeconds?: number }): Promise<void> {
  const total = o.items.reduce((n, l) => n + l.lineTotal.amount, 0) + o.shipping;
  const age = `now() - make_interval(secs => ${o.ageSeconds ?? 0})`;
  await q('orders',
    `INSERT INTO orders (id, user_id, email, status, items, total_amount, currency, shipping_address, card_last4, from_cart, shipping_service, shipping_carrier, shipping_amount, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'USD', $7, '4242', false, 'standard', 'ACME', $8, ${age}, ${age})`,
    [o.id, o.userId, `${o.userId}@example.com`, o.status, JSON.stringify(o.items), total, ADDRESS, o.shipping]);
  await q('orders', `INSERT INTO sagas (id, order_id, status, step, data, created_at, updated_at) VALUES ($1, $1, $2, 'reserve-stock', '{}', ${age}, ${age})`, [o.id, o.sagaStatus]);
  await q('orders', "INSERT INTO idempotency_keys (user_id, key, request_hash, order_id) VALUES ($1, $2, 'h', $3)", [o.userId, `key-${o.id}`, o.id]);
  publish('orders', 'order.placed', o.id);
  await flush();
}

/**
 * The world: alice and bob; a kettle (10 received) and a teapot (5 received); alice's order of 2
 * kettles and a teapot, confirmed, captured, shipped-to-be; bob's order of a kettle, declined
 * and cancelled, its unit released. Every event published and received.
 */
async function buildWorld(): Promise<World> {
  const id = () => randomUUID();
  const world: World = { alice: id(), bob: id(), kettle: id(), teapot: id(), sold: id(), declined: id(), payment: id(), reference: `fake_auth_${randomBytes(8).toString('hex')}` };
  const { alice, bob, kettle, teapot, sold, declined, payment, reference } = world;

  for (const [user, name] of [[alice, 'alice'], [bob, 'bob']] as const) {
    await q('identity', "INSERT INTO users (id, email, name, password_hash, roles) VALUES ($1, $2, $3, 'x', ARRAY['customer'])", [user, `${user}@example.com`, name]);
    publish('identity', 'user.registered', user);
    await q('notifications', "INSERT INTO notifications (user_id, channel, recipient, template, subject, body, sent_at) VALUES ($1, 'email', $2, 'welcome', 'Welcome', 'Hi', now())", [user, `${user}@example.com`]);
  }
  await q('cart', 'INSERT INTO carts (user_id) VALUES ($1)', [alice]);

  const category = id();
  await q('catalog', "INSERT INTO categories (id, slug, name) VALUES ($1, 'kitchen', 'Kitchen')", [category]);
  for (const [product, price, received, available, sold] of [[kettle, 1000, 10, 8, 2], [teapot, 2500, 5, 4, 1]] as const) {
    await q('catalog', "INSERT INTO products (id, sku, name, price_amount, category_id, stock_available) VALUES ($1, $2, 'x', $3, $4, $5)", [product, `SKU-${product}`, price, category, available]);
    publish('catalog', 'product.created', product);
    await q('inventory', 'INSERT INTO stock (product_id, available, reserved, sold, received) VALUES ($1, $2, 0, $3, $4)', [product, available, sold, received]);
    publish('inventory', 'stock.changed', product);
  }

  // Alice's order: 2 kettles and a teapot, plus 500 of shipping: 5000.
  await insertOrder({ id: sold, userId: alice, status: 'CONFIRMED', items: [line(kettle, 2, 1000), line(teapot, 1, 2500)], shipping: 500, sagaStatus: 'COMPLETED' });
  const shipment = id();
  await q('orders', "UPDATE orders SET payment_id = $2, payment_status = 'captured', shipment_id = $3, shipment_status = 'scheduled' WHERE id = $1", [sold, payment, shipment]);
  await q('inventory', "INSERT INTO reservations (order_id, status, expires_at) VALUES ($1, 'committed', now())", [sold]);
  await q('inventory', 'INSERT INTO reservation_lines (order_id, line_no, product_id, quantity) VALUES ($1, 1, $2, 2), ($1, 2, $3, 1)', [sold, kettle, teapot]);
  await q('payments', "INSERT INTO payments (id, order_id, user_id, amount, currency, status, card_last4, provider_reference) VALUES ($1, $2, $3, 5000, 'USD', 'captured', '4242', $4)", [payment, sold, alice, reference]);
  await q('payments', "INSERT INTO provider_ledger (idempotency_key, operation, reference, amount, currency, succeeded, answer) VALUES ($1, 'authorize', $2, 5000, 'USD', true, '{}'), ($3, 'capture', $2, 5000, 'USD', true, '{}')", [`${payment}:authorize`, reference, `${payment}:capture`]);
  await q('shipping', "INSERT INTO shipments (id, order_id, user_id, status, service, carrier, tracking_number, address, items, estimated_delivery) VALUES ($1, $2, $3, 'scheduled', 'standard', 'ACME', $4, $5, '[]', current_date + 3)", [shipment, sold, alice, `TRK${shipment.slice(0, 8)}`, ADDRESS]);
  for (const [producer, type] of [['orders', 'inventory.reserve'], ['inventory', 'inventory.reserved'], ['orders', 'payment.authorize'], ['payments', 'payment.authorized'], ['orders', 'shipment.schedule'], ['shipping', 'shipment.scheduled'], ['orders', 'inventory.commit'], ['inventory', 'inventory.committed'], ['orders', 'payment.capture'], ['payments', 'payment.captured']] as const) {
    publish(producer, type, sold);
  }
  publish('orders', 'order.confirmed', sold, { items: [{ productId: kettle }, { productId: teapot }] });
  await q('notifications', "INSERT INTO notifications (user_id, channel, recipient, template, subject, body, order_id, sent_at) VALUES ($1, 'email', $2, 'order-confirmed', 'Confirmed', 'Yes', $3, now())", [alice, `${alice}@example.com`, sold]);
  await q('recommendations', 'INSERT INTO co_purchases (product_id, other_id, orders) VALUES ($1, $2, 1), ($2, $1, 1)', [kettle, teapot]);

  // Bob's order: a kettle, declined.
  await insertOrder({ id: declined, userId: bob, status: 'CANCELLED', items: [line(kettle, 1, 1000)], shipping: 500, sagaStatus: 'COMPENSATED' });
  await q('inventory', "INSERT INTO reservations (order_id, status, reason) VALUES ($1, 'released', 'payment declined')", [declined]);
  await q('inventory', 'INSERT INTO reservation_lines (order_id, line_no, product_id, quantity) VALUES ($1, 1, $2, 1)', [declined, kettle]);
  await q('payments', "INSERT INTO payments (order_id, user_id, amount, currency, status, card_last4, decline_code) VALUES ($1, $2, 1500, 'USD', 'declined', '0002', 'card_declined')", [declined, bob]);
  await q('payments', "INSERT INTO provider_ledger (idempotency_key, operation, reference, amount, currency, succeeded, answer) VALUES ($1, 'authorize', 'fake_auth_declined', 1500, 'USD', false, '{}')", [`${randomUUID()}:authorize`]);
  for (const [producer, type] of [['orders', 'inventory.reserve'], ['inventory', 'inventory.reserved'], ['orders', 'payment.authorize'], ['payments', 'payment.declined'], ['orders', 'inventory.release'], ['inventory', 'inventory.released'], ['orders', 'order.cancelled']] as const) {
    publish(producer, type, declined);
  }
  await q('notifications', "INSERT INTO notifications (user_id, channel, recipient, template, subject, body, order_id, sent_at) VALUES ($1, 'email', $2, 'order-cancelled', 'Cancelled', 'No', $3, now())", [bob, `${bob}@example.com`, declined]);
  await flush();
  return world;
}

/** Deletes every row of every service (DELETE: on tables this small, much faster than TRUNCATE), children before parents. */
async function emptyAll(): Promise<void> {
  await Promise.all(
    SERVICES.map(async (service) => {
      const { rows } = await q(service, "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename NOT IN ('schema_migrations', 'kit_migrations')", [service]);
      let left = (rows as Array<{ tablename: string }>).map((r) => r.tablename);
      while (left.length) {
        const blocked: string[] = [];
        for (const table of left) {
          await q(service, `DELETE FROM "${table}"`).catch((err: { code?: string }) => {
            if (err.code !== '23503') throw err;
            blocked.push(table);
          });
        }
        if (blocked.length === left.length) throw new Error(`cannot empty ${service}: ${blocked.join(', ')}`);
        left = blocked;
      }
    }),
  );
}

if (unavailable && !IN_CI) {
  describe.skip(`the external invariant checker — skipped: ${unavailable}`, () => {});
} else {
  describe('the external invariant checker', () => {
    beforeAll(async () => {
      const kit = await loadMigrations(KIT_MIGRATIONS);
      await Promise.all(
        BACKENDS.filter((def) => def.migrations).map(async (def) => {
          const db = await openPostgres({ url: TEST_DATABASE_URL, database: `${prefix}_${def.name}`, schema: def.name, poolSize: 2 });
          await migrate(db, kit, 'kit_migrations');
          await migrate(db, await loadMigrations(def.migrations!));
          dbs[def.name as ServiceName] = db;
        }),
      );
    }, 60_000);

    afterAll(async () => {
      await Promise.all(Object.values(dbs).map((db) => db.close()));
      // One connection per database: dropped side by side, they take a fraction of the time.
      await Promise.all(
        SERVICES.map(async (service) => {
          const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
          await admin.connect();
          await admin.query(`DROP DATABASE IF EXISTS "${prefix}_${service}" WITH (FORCE)`);
          await admin.end();
        }),
      );
    }, 60_000);

    beforeEach(async () => {
      await emptyAll();
      w = await buildWorld();
    });

    it('finds nothing wrong in a consistent world, and counts what it read', async () => {
      const reports = await checkDatabases(options({ orderIds: [w.sold, w.declined] }));
      expect(found(reports)).toEqual([]);
      const by = (name: string) => reports.find((r) => r.name === name)!;
      expect(by('every order settled (none stuck)').counts).toMatchObject({ CONFIRMED: 1, CANCELLED: 1, PENDING: 0 });
      expect(by('every accepted order exists').checked).toBe(2);
      expect(by('stock conserved per product').checked).toBe(2);
      expect(by('each confirmed order counted once in co-purchases').checked).toBe(2);
      expect(by('every published event received by each subscriber').checked).toBeGreaterThan(30);
      expect(new Set(reports.map((r) => r.invariant))).toEqual(new Set(['I1', 'I2', 'I3', 'I4', 'I5', 'I6', 'I7']));
      expect(formatReport(reports)).toMatch(/I3 +stock conserved per product +2 +0 +ok/);
      expect(formatReport(reports)).toMatch(/Every invariant holds\./);
    });

    it('refuses a prefix whose databases do not exist, rather than finding nothing', async () => {
      await expect(checkDatabases(options({ prefix: `${prefix}_none` }))).rejects.toThrow(/no database .*_none_identity/);
    });

    describe('I1', () => {
      it('reports an order still PENDING past the limit as stuck, not one placed a moment ago', async () => {
        const stuck = randomUUID();
        await insertOrder({ id: stuck, userId: w.alice, status: 'PENDING', items: [line(w.kettle, 1, 1000)], shipping: 500, sagaStatus: 'RUNNING', ageSeconds: 3600 });
        await insertOrder({ id: randomUUID(), userId: w.bob, status: 'PENDING', items: [line(w.teapot, 1, 2500)], shipping: 500, sagaStatus: 'RUNNING' });
        const v = await check();
        expect(v).toEqual([{ invariant: 'I1', check: 'every order settled (none stuck)', id: stuck, detail: expect.stringMatching(/^PENDING for 3600 s/) }]);
      });

      it('reports a FAILED saga with its order', async () => {
        await q('orders', "UPDATE sagas SET status = 'FAILED', step = 'authorize-payment', last_error = 'authorize-payment: no reply to 5 compensation attempts' WHERE order_id = $1", [w.declined]);
        expect(await check()).toEqual([{ invariant: 'I1', check: 'every saga completed or compensated', id: w.declined, detail: expect.stringMatching(/FAILED at authorize-payment: .*no reply/) }]);
      });

      it('reports an order the API accepted that the database does not have', async () => {
        const lost = randomUUID();
        expect(await check({ orderIds: [w.sold, lost, w.declined] })).toEqual([{ invariant: 'I1', check: 'every accepted order exists', id: lost, detail: expect.stringMatching(/not in the orders database/) }]);
      });

      it('reports a cancelled order whose shipment is still scheduled', async () => {
        await q('shipping', "INSERT INTO shipments (order_id, user_id, status, service, carrier, tracking_number, address, items, estimated_delivery) VALUES ($1, $2, 'scheduled', 'standard', 'ACME', 'TRK2', $3, '[]', current_date)", [w.declined, w.bob, ADDRESS]);
        expect(await check()).toEqual([{ invariant: 'I1', check: 'every shipment follows its order', id: w.declined, detail: 'order CANCELLED but its shipment is scheduled (expected cancelled)' }]);
      });
    });

    describe('I2', () => {
      it('reports a second capture of one authorization', async () => {
        await q('payments', "INSERT INTO provider_ledger (idempotency_key, operation, reference, amount, currency, succeeded, answer) VALUES ('again:capture', 'capture', $1, 5000, 'USD', true, '{}')", [w.reference]);
        expect(await check()).toEqual([{ invariant: 'I2', check: 'no payment captured twice', id: w.sold, detail: expect.stringMatching(/^captured 2 times/) }]);
      });

      it('reports a capture on a cancelled order that was never refunded, but not one that was', async () => {
        await q('payments', "UPDATE payments SET status = 'captured', provider_reference = 'fake_auth_bob' WHERE order_id = $1", [w.declined]);
        await q('payments', "INSERT INTO provider_ledger (idempotency_key, operation, reference, amount, currency, succeeded, answer) VALUES ('bob:authorize', 'authorize', 'fake_auth_bob', 1500, 'USD', true, '{}'), ('bob:capture', 'capture', 'fake_auth_bob', 1500, 'USD', true, '{}')");
        expect(await check()).toEqual([{ invariant: 'I2', check: 'captured if and only if sold, for the order total', id: w.declined, detail: 'CANCELLED: net charge 1500 USD (captured 1500, refunded 0); its payment is still captured' }]);

        await q('payments', "UPDATE payments SET status = 'refunded', refunded_amount = 1500 WHERE order_id = $1", [w.declined]);
        await q('payments', "INSERT INTO provider_ledger (idempotency_key, operation, reference, amount, currency, succeeded, answer) VALUES ('bob:refund', 'refund', 'fake_auth_bob', 1500, 'USD', true, '{}')");
        expect(await check()).toEqual([]);
      });

      it('reports a capture that is not the order total (which includes shipping)', async () => {
        await q('payments', "UPDATE provider_ledger SET amount = 4500 WHERE operation = 'capture' AND reference = $1", [w.reference]);
        expect(await check()).toEqual([{ invariant: 'I2', check: 'captured if and only if sold, for the order total', id: w.sold, detail: 'CONFIRMED: captured 4500 USD, its total is 5000 USD' }]);
      });

      it('reports an order whose total is not its lines plus shipping', async () => {
        await q('orders', 'UPDATE orders SET shipping_amount = 400 WHERE id = $1', [w.declined]);
        expect(await check()).toEqual([{ invariant: 'I2', check: 'order totals are lines plus shipping', id: w.declined, detail: 'total 1500 is not its lines 1000 plus shipping 400' }]);
      });
    });

    describe('I3', () => {
      it('reports a unit of stock lost from the books', async () => {
        await q('inventory', 'UPDATE stock SET sold = sold - 1, received = received - 1 WHERE product_id = $1', [w.kettle]);
        expect(await check()).toEqual([{ invariant: 'I3', check: 'stock conserved per product', id: w.kettle, detail: 'sold 1 ≠ 2 in committed reservations; sold 1 ≠ 2 in confirmed, shipped and delivered orders' }]);
      });

      it('reports stock that no longer adds up to what was received', async () => {
        // The database refuses this itself (stock_conserved): the check holds without the constraint too.
        await q('inventory', 'ALTER TABLE stock DROP CONSTRAINT stock_conserved');
        try {
          await q('inventory', 'UPDATE stock SET available = available - 1 WHERE product_id = $1', [w.teapot]);
          await q('catalog', 'UPDATE products SET stock_available = stock_available - 1 WHERE id = $1', [w.teapot]);
          expect(await check()).toEqual([{ invariant: 'I3', check: 'stock conserved per product', id: w.teapot, detail: 'received 5 ≠ available 3 + reserved 0 + sold 1' }]);
        } finally {
          await q('inventory', 'UPDATE stock SET available = received - reserved - sold');
          await q('inventory', 'ALTER TABLE stock ADD CONSTRAINT stock_conserved CHECK (received = available + reserved + sold)');
        }
      });

      it('reports units still held for a cancelled order', async () => {
        await q('inventory', "UPDATE reservations SET status = 'held', expires_at = now() + interval '1 hour' WHERE order_id = $1", [w.declined]);
        await q('inventory', 'UPDATE stock SET available = available - 1, reserved = reserved + 1 WHERE product_id = $1', [w.kettle]);
        await q('catalog', 'UPDATE products SET stock_available = stock_available - 1 WHERE id = $1', [w.kettle]);
        expect(await check()).toEqual([{ invariant: 'I3', check: 'reservations match their orders', id: w.declined, detail: `CANCELLED but its reservation is still held (1×${w.kettle})` }]);
      });
    });

    describe('I4', () => {
      it('reports a notification sent twice', async () => {
        await q('notifications', "INSERT INTO notifications (user_id, channel, recipient, template, subject, body, sent_at) VALUES ($1, 'email', $2, 'welcome', 'Welcome', 'Hi', now())", [w.alice, `${w.alice}@example.com`]);
        expect(await check()).toEqual([{ invariant: 'I4', check: 'each notification sent once', id: w.alice, detail: expect.stringMatching(/^2 messages for user .* welcome/) }]);
      });

      it('reports a confirmed order counted twice in the co-purchases', async () => {
        await q('recommendations', 'UPDATE co_purchases SET orders = 2 WHERE product_id = $1', [w.kettle]);
        expect(await check()).toEqual([{ invariant: 'I4', check: 'each confirmed order counted once in co-purchases', id: `${w.kettle}→${w.teapot}`, detail: 'counted 2 orders, 1 confirmed orders hold both' }]);
      });
    });

    describe('I5', () => {
      it('reports an outbox row left unpublished, not one just written', async () => {
        const old = randomUUID();
        await q('inventory', "INSERT INTO outbox (id, type, subject, envelope, created_at) VALUES ($1, 'stock.changed', $2, '{}', now() - interval '1 hour')", [old, w.kettle]);
        await q('payments', "INSERT INTO outbox (id, type, subject, envelope) VALUES ($1, 'payment.captured', $2, '{}')", [randomUUID(), w.sold]);
        const reports = await checkDatabases(options({ lagSeconds: 5 }));
        expect(found(reports)).toEqual([{ invariant: 'I5', check: 'every outbox row published', id: `inventory/${old}`, detail: expect.stringMatching(/^stock.changed \(.*\) unpublished for 3600 s/) }]);
        expect(reports.find((r) => r.name === 'every outbox row published')!.counts).toEqual({ 'inventory unpublished': 1, 'payments unpublished': 1 });
      });

      it('reports an event a subscriber never received', async () => {
        const { rows } = await q('orders', "SELECT id FROM outbox WHERE type = 'order.confirmed'");
        const event = (rows[0] as { id: string }).id;
        await q('notifications', "DELETE FROM inbox WHERE event_id = $1 AND purpose = 'send-order-confirmation'", [event]);
        expect(await check()).toEqual([{ invariant: 'I5', check: 'every published event received by each subscriber', id: `notifications/${event}`, detail: expect.stringMatching(/^notifications \(send-order-confirmation\) never received order.confirmed/) }]);
      });

      it('reports an open dead letter with its reason, and counts a replayed one as settled', async () => {
        const { rows } = await q('orders', "SELECT id FROM outbox WHERE type = 'order.confirmed'");
        const event = (rows[0] as { id: string }).id;
        await q('recommendations', "DELETE FROM inbox WHERE event_id = $1 AND purpose = 'count-co-purchases'", [event]);
        await q('recommendations', "INSERT INTO dead_letters (id, event_id, purpose, type, subject, envelope, reason, error, attempts) VALUES ($1, $2, 'count-co-purchases', 'order.confirmed', $3, '{}', 'failed', 'deadlock detected', 5)", [randomUUID(), event, w.sold]);
        await q('cart', "INSERT INTO dead_letters (id, event_id, purpose, type, subject, envelope, reason, error, attempts, replayed_at) VALUES ($1, $2, 'clear-ordered-items', 'order.confirmed', $3, '{}', 'failed', 'timeout', 5, now())", [randomUUID(), event, w.sold]);
        const reports = await checkDatabases(options());
        expect(found(reports)).toEqual([{ invariant: 'I5', check: 'no open dead letters', id: `recommendations/${event}`, detail: `count-co-purchases dead-lettered order.confirmed (${w.sold}) after 5 attempt(s), failed: deadlock detected` }]);
        expect(reports.find((r) => r.name === 'no open dead letters')!.counts).toEqual({ open: 1, replayed: 1 });
      });

      it("reports catalog's stock copy behind inventory's", async () => {
        await q('catalog', 'UPDATE products SET stock_available = 9 WHERE id = $1', [w.kettle]);
        expect(await check()).toEqual([{ invariant: 'I5', check: "catalog's stock copies caught up", id: w.kettle, detail: 'catalog shows 9 available, inventory has 8' }]);
      });
    });

    describe('I6 and I7', () => {
      it("reports an Idempotency-Key that names another customer's order", async () => {
        await q('orders', 'UPDATE idempotency_keys SET user_id = $2 WHERE order_id = $1', [w.sold, w.bob]);
        expect(await check()).toEqual([{ invariant: 'I6', check: 'one Idempotency-Key per order, of its customer', id: w.sold, detail: `Idempotency-Key key-${w.sold} of user ${w.bob} names an order of user ${w.alice}` }]);
      });

      it("reports a payment attached to another customer's order", async () => {
        await q('payments', 'UPDATE payments SET user_id = $2 WHERE order_id = $1', [w.sold, w.bob]);
        expect(await check()).toEqual([{ invariant: 'I7', check: "every order's records are its customer's", id: w.sold, detail: `payment ${w.payment} belongs to user ${w.bob}, the order to user ${w.alice}` }]);
      });
    });
  });
}

describe('the subscription table of the checker', () => {
  it("is every service's own: each setup, run against a stub, subscribes to exactly these", async () => {
    // A stub that answers anything with itself, so that a setup runs through without a database,
    // a broker or a server; only messaging.subscribe is recorded.
    const stub = (): unknown => new Proxy(function () {}, { get: (_t, p) => (p === 'then' ? undefined : p === Symbol.toPrimitive ? () => 1 : stub()), apply: () => stub() });
    const recorded: string[] = [];
    const failed: string[] = [];
    for (const def of BACKENDS) {
      const messaging = new Proxy({}, {
        get: (_t, p) => (p === 'subscribe' ? (d: { producer: string; type: string }, purpose: string) => recorded.push(`${def.name} ${purpose} ${d.producer} ${d.type}`) : p === 'then' ? undefined : stub()),
      });
      const ctx = new Proxy({}, { get: (_t, p) => (p === 'messaging' ? messaging : p === 'name' ? def.name : p === 'then' ? undefined : stub()) });
      await Promise.resolve(def.setup(stub() as never, ctx as never)).catch(() => failed.push(def.name));
    }
    // Identity's setup needs a real signing key before anything else; it subscribes to nothing.
    expect(failed.filter((s) => s !== 'identity')).toEqual([]);
    expect(SUBSCRIPTIONS.filter((s) => failed.includes(s.consumer))).toEqual([]);
    expect(SUBSCRIPTIONS.map((s) => `${s.consumer} ${s.purpose} ${s.producer} ${s.type}`).sort()).toEqual(recorded.sort());
  });
});

describe('parseOrderIds', () => {
  const a = randomUUID();
  const b = randomUUID();
  it("reads load.json, lists of ids or of {id}, and one id a line", () => {
    expect(parseOrderIds(JSON.stringify({ orders: { placed: 2, list: [{ id: a, status: 'CONFIRMED' }, { id: b }] } }))).toEqual([a, b]);
    expect(parseOrderIds(JSON.stringify([a, b]))).toEqual([a, b]);
    expect(parseOrderIds(JSON.stringify({ orders: [{ id: a }] }))).toEqual([a]);
    expect(parseOrderIds(`${a}\n\n# a comment\n${b}\n`)).toEqual([a, b]);
  });
  it('refuses what holds no order ids', () => {
    expect(() => parseOrderIds(JSON.stringify({ requests: 3 }))).toThrow(/expected a list of order ids/);
    expect(() => parseOrderIds(JSON.stringify(['not-an-id']))).toThrow(/not order ids: not-an-id/);
  });
});
