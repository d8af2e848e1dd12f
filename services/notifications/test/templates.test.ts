import { describe, expect, it } from 'vitest';
import { formatMoney, orderCancelled, orderConfirmed, orderDelivered, orderShipped, templates, welcome } from '../src/domain/templates.ts';

describe('templates', () => {
  const orderId = '0b9d1f57-3c4e-4a51-9a0e-6d2f1c3b7e88';
  const usd = (amount: number) => ({ amount, currency: 'USD' });

  it('welcome greets the user by name', () => {
    const message = welcome({ name: 'Ada Lovelace' });
    expect(message.subject).toBe('Welcome to Emporium');
    expect(message.body.split('\n')[0]).toBe('Hello Ada Lovelace,');
  });

  it('welcome keeps the name as typed: the body is plain text, so nothing is escaped', () => {
    expect(welcome({ name: '<b>Zoë & "Ed"</b>' }).body).toContain('Hello <b>Zoë & "Ed"</b>,');
  });

  it('formats money from integer minor units, in the currency\'s own digits', () => {
    expect(formatMoney(usd(1250))).toBe('$12.50');
    expect(formatMoney(usd(5))).toBe('$0.05');
    expect(formatMoney(usd(0))).toBe('$0.00');
    expect(formatMoney(usd(123456789))).toBe('$1,234,567.89');
    expect(formatMoney({ amount: 1250, currency: 'JPY' })).toBe('¥1,250');
  });

  it('order-confirmed names the order and lists each item with its quantity, then the total', () => {
    const message = orderConfirmed({
      orderId,
      items: [{ name: 'Sencha', quantity: 2, unitPrice: usd(500) }, { name: 'Mug', quantity: 1, unitPrice: usd(250) }],
      total: usd(1250),
    });
    expect(message.subject).toContain(orderId);
    const lines = message.body.split('\n');
    expect(lines).toContain('  2 × Sencha at $5.00');
    expect(lines).toContain('  1 × Mug at $2.50');
    expect(lines).toContain('Total: $12.50');
    expect(lines.indexOf('  2 × Sencha at $5.00')).toBeLessThan(lines.indexOf('Total: $12.50'));
  });

  it('order-cancelled names the order and gives the reason', () => {
    const message = orderCancelled({ orderId, reason: 'payment declined' });
    expect(message.subject).toContain(orderId);
    expect(message.subject).toMatch(/cancelled/);
    expect(message.body).toContain('Reason: payment declined');
  });

  it('order-shipped names the order, the carrier and the tracking number', () => {
    const message = orderShipped({ orderId, carrier: 'Parcelo', trackingNumber: 'PX123456789' });
    expect(message.subject).toContain(orderId);
    expect(message.body).toContain('Parcelo');
    expect(message.body).toContain('Tracking number: PX123456789');
  });

  it('order-delivered names the order', () => {
    const message = orderDelivered({ orderId });
    expect(message.subject).toContain(orderId);
    expect(message.body).toContain('delivered');
  });

  it('keeps names and reasons as given: plain text, nothing escaped', () => {
    expect(orderConfirmed({ orderId, items: [{ name: '<Tea & "Co">', quantity: 1, unitPrice: usd(1) }], total: usd(1) }).body).toContain('1 × <Tea & "Co"> at $0.01');
    expect(orderCancelled({ orderId, reason: '<script>' }).body).toContain('Reason: <script>');
  });

  it('lists each template under the name stored with its messages', () => {
    expect(templates).toEqual({
      welcome,
      'order-confirmed': orderConfirmed,
      'order-cancelled': orderCancelled,
      'order-shipped': orderShipped,
      'order-delivered': orderDelivered,
    });
  });
});
