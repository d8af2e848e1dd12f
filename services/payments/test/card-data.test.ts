import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeOnDatabases, migrateToEarlier } from '@emporium/testing';
import { TEST_CARDS } from './helpers.ts';

describeOnDatabases('payments: the upgrade forgets the card numbers stored before', (kind) => {
  const dir = (path: string) => fileURLToPath(new URL(path, import.meta.url));

  it('drops the numbers of open authorize tasks and blanks them in dead letters', async () => {
    const { db, close } = await kind.open('payments');
    try {
      // 1. The schema as the previous version left it, and what it stored.
      const upgrade = await migrateToEarlier(db, dir('../src/db/migrations/'), { kitBefore: 3, ownBefore: 3 });
      const card = TEST_CARDS.approved;
      const { rows } = await db.query<{ id: string }>(
        "INSERT INTO payments (order_id, user_id, amount, currency, status, card_last4) VALUES ($1, $2, 100, 'USD', 'pending', '4242') RETURNING id",
        [randomUUID(), randomUUID()],
      );
      await db.query("INSERT INTO payment_tasks (payment_id, kind, card_number) VALUES ($1, 'authorize', $2)", [rows[0]!.id, card]);
      const letter = (envelope: string) =>
        db.query("INSERT INTO dead_letters (id, event_id, purpose, type, subject, envelope, reason, error, attempts) VALUES ($1, $2, 'authorize-payment', 'payment.authorize', 'o', $3, 'invalid', 'bad', 1)", [randomUUID(), randomUUID(), envelope]);
      await letter(JSON.stringify({ type: 'payment.authorize', data: { orderId: 'o', cardNumber: card } }));
      await letter(`{"data": {"cardNumber": "${card}", "amount": `);

      // 2. The upgrade.
      await upgrade();

      // 3. No number is left; the open authorization has no card on file.
      const { rows: stored } = await db.query<{ row: string }>('SELECT t::text AS row FROM payment_tasks t UNION ALL SELECT d::text FROM dead_letters d');
      expect(stored).toHaveLength(3);
      expect(stored.filter((r) => r.row.includes(card))).toEqual([]);
      const { rows: tasks } = await db.query<{ payment_token: string | null }>('SELECT payment_token FROM payment_tasks');
      expect(tasks).toEqual([{ payment_token: null }]);
    } finally {
      await close();
    }
  });
});
