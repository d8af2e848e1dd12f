import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { productCreated, productDeleted, productUpdated, catalogEvents } from '../src/catalog.ts';
import { checkEvent, CloudEventSchema, dataschemaOf, defineEvent, type CloudEvent, type EventData } from '../src/events.ts';
import { identityEvents, userRegistered } from '../src/identity.ts';
import { ALL_EVENTS, findEvent } from '../src/registry.ts';
import { inventoryCommands, inventoryEvents } from '../src/inventory.ts';
import { orderEvents, orderPlaced } from '../src/orders.ts';
import { paymentCommands, paymentEvents } from '../src/payments.ts';
import { shippingCommands, shippingEvents } from '../src/shipping.ts';
import { Value } from '@sinclair/typebox/value';

const productId = '3f1c2a9e-5b7d-4e8f-9a01-23456789abcd';

function productCreatedEvent(overrides: Record<string, unknown> = {}): CloudEvent<EventData<typeof productCreated>> & Record<string, unknown> {
  return {
    specversion: '1.0',
    id: '0f8e7d6c-5b4a-4321-8765-0123456789ab',
    source: '/emporium/catalog',
    type: 'product.created',
    subject: productId,
    time: '2025-11-23T17:44:00.123Z',
    datacontenttype: 'application/json',
    dataschema: 'urn:emporium:events:product.created:v1',
    data: { productId, sku: 'COF-ESP-001', name: 'Espresso beans', price: { amount: 1299, currency: 'USD' }, category: 'coffee', initialStock: 40 },
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    correlationid: 'corr-123',
    ...overrides,
  };
}

function without(field: string): Record<string, unknown> {
  const event: Record<string, unknown> = productCreatedEvent();
  delete event[field];
  return event;
}

describe('checkEvent', () => {
  it('accepts a well-formed event, and one carrying an unknown extension', () => {
    expect(checkEvent(productCreated, productCreatedEvent())).toEqual([]);
    expect(checkEvent(productCreated, productCreatedEvent({ partitionkey: 'x' }))).toEqual([]);
    expect(checkEvent(productCreated, without('traceparent'))).toEqual([]);
  });

  it('accepts a registered user with a real email address', () => {
    const event = {
      ...productCreatedEvent(),
      type: 'user.registered',
      source: '/emporium/identity',
      dataschema: dataschemaOf(userRegistered),
      data: { userId: productId, email: 'ada@example.com', name: 'Ada Lovelace' },
    };
    expect(checkEvent(userRegistered, event)).toEqual([]);
    expect(checkEvent(userRegistered, { ...event, data: { ...event.data, email: 'not an email' } })).toEqual([expect.stringMatching(/^data\/email /)]);
  });

  it('refuses what is not an object', () => {
    for (const value of [null, 'product.created', 42, [productCreatedEvent()], undefined]) {
      expect(checkEvent(productCreated, value)).toEqual(['the event is not a JSON object']);
    }
  });

  it('names a wrong specversion', () => {
    expect(checkEvent(productCreated, productCreatedEvent({ specversion: '0.3' }))).toEqual([expect.stringMatching(/^specversion /)]);
  });

  it.each(['id', 'source', 'type', 'subject', 'time'])('names a missing %s', (field) => {
    expect(checkEvent(productCreated, without(field))).toEqual([`${field} is missing`]);
  });

  it('names an empty id and a time that is not a date-time', () => {
    expect(checkEvent(productCreated, productCreatedEvent({ id: '' }))).toEqual([expect.stringMatching(/^id /)]);
    expect(checkEvent(productCreated, productCreatedEvent({ time: 'yesterday' }))).toEqual([expect.stringMatching(/^time .*date-time/)]);
  });

  it('names a type other than the definition', () => {
    expect(checkEvent(productCreated, productCreatedEvent({ type: 'product.updated' }))).toEqual([
      "type is 'product.updated', expected 'product.created'",
    ]);
  });

  it('names a dataschema of another version, and one that is not an Emporium event schema', () => {
    expect(checkEvent(productCreated, productCreatedEvent({ dataschema: 'urn:emporium:events:product.created:v2' }))).toEqual([
      'dataschema names version 2, expected version 1',
    ]);
    expect(checkEvent(productCreated, productCreatedEvent({ dataschema: 'https://example.com/schema.json' }))).toEqual([
      expect.stringMatching(/^dataschema 'https:\/\/example.com\/schema.json' is not/),
    ]);
    expect(checkEvent(productCreated, without('dataschema'))).toEqual(['dataschema is missing']);
  });

  it('names each field of data that fails the schema, by its path', () => {
    const data = { ...productCreatedEvent().data, price: { amount: 12.5, currency: 'USD' }, initialStock: -1, colour: 'red' };
    const problems = checkEvent(productCreated, productCreatedEvent({ data }));
    expect(problems).toContainEqual(expect.stringMatching(/^data\/price\/amount /));
    expect(problems).toContainEqual(expect.stringMatching(/^data\/initialStock /));
    expect(problems).toContainEqual(expect.stringMatching(/^data\/colour /));
    expect(problems.every((p) => p.startsWith('data/'))).toBe(true);
  });

  it('names missing or non-object data', () => {
    expect(checkEvent(productCreated, without('data'))).toEqual(['data is missing']);
    expect(checkEvent(productDeleted, productCreatedEvent({ type: 'product.deleted', dataschema: dataschemaOf(productDeleted), data: 'gone' }))).toEqual([
      expect.stringMatching(/^data /),
    ]);
    expect(checkEvent(productDeleted, productCreatedEvent({ type: 'product.deleted', dataschema: dataschemaOf(productDeleted), data: {} }))).toEqual([
      'data/productId Expected required property',
    ]);
  });

  it('lists several problems at once, and never throws', () => {
    const problems = checkEvent(productUpdated, { specversion: '1.0', type: 'product.created', data: 7 });
    expect(problems).toEqual(
      expect.arrayContaining(['id is missing', 'time is missing', "type is 'product.created', expected 'product.updated'", expect.stringMatching(/^data /)]),
    );
    const broken = defineEvent({ ...productDeleted, schema: { type: 'object', additionalProperties: false } as never });
    expect(() => checkEvent(broken, productCreatedEvent())).not.toThrow();
  });

  it('agrees with the envelope schema on a valid event', () => {
    expect(Value.Check(CloudEventSchema, productCreatedEvent())).toBe(true);
    expect(Value.Check(CloudEventSchema, without('subject'))).toBe(false);
  });
});

describe('dataschemaOf', () => {
  it('names the event type and version as a URN', () => {
    expect(dataschemaOf(productCreated)).toBe('urn:emporium:events:product.created:v1');
    expect(dataschemaOf({ ...userRegistered, version: 3 })).toBe('urn:emporium:events:user.registered:v3');
  });
});

describe('defineEvent', () => {
  const valid = { type: 'thing.happened', version: 1, producer: 'things', subject: 'the thing id', description: 'A thing happened.', delivery: 'at least once', schema: Type.Object({}, { additionalProperties: false }) };

  it('refuses a definition that breaks the naming rules', () => {
    expect(() => defineEvent(valid)).not.toThrow();
    expect(() => defineEvent({ ...valid, type: 'ThingHappened' })).toThrow(/namespaced/);
    expect(() => defineEvent({ ...valid, version: 0 })).toThrow(/version/);
    expect(() => defineEvent({ ...valid, delivery: ' ' })).toThrow(/delivery/);
    expect(() => defineEvent({ ...valid, schema: Type.Object({}) })).toThrow(/additionalProperties/);
  });
});

describe('registry', () => {
  it('holds every declared event exactly once', () => {
    const declared = [
      ...Object.values(catalogEvents),
      ...Object.values(identityEvents),
      ...Object.values(inventoryEvents),
      ...Object.values(inventoryCommands),
      ...Object.values(orderEvents),
      ...Object.values(paymentEvents),
      ...Object.values(paymentCommands),
      ...Object.values(shippingEvents),
      ...Object.values(shippingCommands),
    ];
    expect(ALL_EVENTS).toHaveLength(declared.length);
    for (const def of declared) expect(ALL_EVENTS.filter((e) => e === def)).toHaveLength(1);
    expect(ALL_EVENTS.filter((e) => e.producer === 'orders').map((e) => e.type).sort()).toEqual([
      'inventory.commit', 'inventory.release', 'inventory.reserve', 'order.cancellation-refused', 'order.cancelled', 'order.confirmed', 'order.delivered', 'order.placed', 'order.shipped',
      'payment.authorize', 'payment.cancel', 'payment.capture', 'shipment.cancel', 'shipment.schedule',
    ]);
  });

  it('never gives two events the same type', () => {
    const types = ALL_EVENTS.map((e) => e.type);
    expect(new Set(types).size).toBe(types.length);
  });

  it('finds an event by its type', () => {
    expect(findEvent('product.updated')).toBe(productUpdated);
    expect(findEvent('user.registered')).toBe(userRegistered);
    expect(findEvent('order.placed')).toBe(orderPlaced);
    expect(findEvent('order.paid')).toBeUndefined();
  });

  it('declares each event with its producer, versioned schema and delivery guarantee', () => {
    for (const def of ALL_EVENTS) {
      expect(def.version).toBeGreaterThanOrEqual(1);
      expect(def.delivery).toMatch(/at least once/);
      expect(def.schema.additionalProperties).toBe(false);
    }
    expect(ALL_EVENTS.filter((e) => e.producer === 'catalog').map((e) => e.type)).toEqual(['product.created', 'product.updated', 'product.deleted']);
  });
});
