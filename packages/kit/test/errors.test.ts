import { describe, expect, it } from 'vitest';
import { AppError, defineErrors, errors, problem } from '@emporium/kit';

const ordersErrors = defineErrors({
  ORDERS_OUT_OF_STOCK: { status: 409, title: 'An item is out of stock' },
  ORDERS_NOT_FOUND: { status: 404, title: 'No such order' },
});

describe('defineErrors', () => {
  it('makes one factory per code, carrying its code, status and title', () => {
    const err = ordersErrors.ORDERS_OUT_OF_STOCK('Only 2 mugs are left.');
    expect(err).toBeInstanceOf(AppError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'ORDERS_OUT_OF_STOCK', status: 409, title: 'An item is out of stock', message: 'Only 2 mugs are left.' });
  });

  it('uses the title as the detail when none is given', () => {
    expect(ordersErrors.ORDERS_NOT_FOUND().message).toBe('No such order');
  });

  it('keeps the table of codes', () => {
    expect(ordersErrors.codes).toEqual({
      ORDERS_OUT_OF_STOCK: { status: 409, title: 'An item is out of stock' },
      ORDERS_NOT_FOUND: { status: 404, title: 'No such order' },
    });
  });

  it('carries headers, field errors and the cause', () => {
    const cause = new Error('socket hang up');
    const err = errors.UPSTREAM_UNAVAILABLE('Catalog is down.', { headers: { 'retry-after': '5' }, errors: [{ path: 'body/sku', message: 'unknown' }], cause });
    expect(err.headers).toEqual({ 'retry-after': '5' });
    expect(err.errors).toEqual([{ path: 'body/sku', message: 'unknown' }]);
    expect(err.cause).toBe(cause);
    expect(errors.NOT_FOUND().headers).toEqual({});
  });

  it('gives the shared codes their statuses', () => {
    expect(errors.codes.VALIDATION_FAILED.status).toBe(400);
    expect(errors.codes.UNAUTHENTICATED.status).toBe(401);
    expect(errors.codes.FORBIDDEN.status).toBe(403);
    expect(errors.codes.PAYLOAD_TOO_LARGE.status).toBe(413);
    expect(errors.codes.UPSTREAM_UNAVAILABLE.status).toBe(503);
    expect(errors.codes.UPSTREAM_TIMEOUT.status).toBe(504);
  });
});

describe('AppError.toProblem', () => {
  it('turns the error into a problem document', () => {
    expect(ordersErrors.ORDERS_OUT_OF_STOCK('Only 2 mugs are left.').toProblem()).toEqual({
      type: 'https://emporium.dev/problems/orders-out-of-stock',
      title: 'An item is out of stock',
      status: 409,
      detail: 'Only 2 mugs are left.',
      code: 'ORDERS_OUT_OF_STOCK',
    });
  });

  it('includes the field errors when there are some', () => {
    const p = errors.VALIDATION_FAILED('Bad input.', { errors: [{ path: 'body/email', message: 'must match format "email"' }] }).toProblem();
    expect(p.errors).toEqual([{ path: 'body/email', message: 'must match format "email"' }]);
    expect(p.status).toBe(400);
  });

  it('leaves out an empty list of field errors', () => {
    expect(errors.VALIDATION_FAILED('Bad input.', { errors: [] }).toProblem()).not.toHaveProperty('errors');
  });
});

describe('problem', () => {
  it('derives a stable type URI from the code', () => {
    const a = problem('CART_ITEM_LIMIT', 422, 'Too many items', 'At most 50.');
    const b = problem('CART_ITEM_LIMIT', 422, 'Another title', 'Another detail.');
    expect(a.type).toBe('https://emporium.dev/problems/cart-item-limit');
    expect(b.type).toBe(a.type);
    expect(problem('NOT_FOUND', 404, 'Not found', 'x').type).toBe('https://emporium.dev/problems/not-found');
  });

  it('holds the fields of RFC 9457 plus the code', () => {
    expect(problem('CONFLICT', 409, 'Conflict', 'The version changed.')).toEqual({
      type: 'https://emporium.dev/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'The version changed.',
      code: 'CONFLICT',
    });
  });
});
