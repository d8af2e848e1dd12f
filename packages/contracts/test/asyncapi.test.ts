import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from '../src/asyncapi.ts';
import { productCreated } from '../src/catalog.ts';
import { dataschemaOf } from '../src/events.ts';
import { ALL_EVENTS } from '../src/registry.ts';

type Message = { name: string; title: string; summary: string; payload: Schema; 'x-delivery': string };
type Channel = { address: string; messages: Record<string, Message> };
type Operation = { action: string; channel: { $ref: string }; messages: Array<{ $ref: string }>; 'x-producer': string };
type Schema = { type?: string; required?: string[]; properties?: Record<string, Schema>; const?: unknown; additionalProperties?: unknown };
type Doc = {
  asyncapi: string;
  info: { title: string; version: string; description: string };
  defaultContentType: string;
  channels: Record<string, Channel>;
  operations: Record<string, Operation>;
};

// The document as a client receives it: through JSON.
const doc = JSON.parse(JSON.stringify(asyncApiDocument(ALL_EVENTS))) as Doc;

/** Follows a local $ref ('#/channels/x/messages/y') inside the document. */
function resolve(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
}

describe('asyncApiDocument', () => {
  it('is an AsyncAPI 3.0.0 document naming the envelope and the subject scheme', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.info.title).toBe('Emporium events');
    expect(doc.info.version).toBe('1.0.0');
    expect(doc.info.description).toMatch(/CloudEvents/);
    expect(doc.info.description).toContain('emporium.<producer>.<type>');
    expect(doc.defaultContentType).toBe('application/cloudevents+json');
  });

  it('is plain JSON: serializing it loses nothing', () => {
    const built = asyncApiDocument(ALL_EVENTS);
    expect(JSON.parse(JSON.stringify(built))).toEqual(built);
    expect(JSON.stringify(built)).not.toMatch(/TypeBox/);
  });

  it('has one channel per event, on the subject emporium.<producer>.<type>', () => {
    const channels = Object.entries(doc.channels);
    expect(channels).toHaveLength(ALL_EVENTS.length);
    expect(channels.map(([, c]) => c.address).sort()).toEqual(ALL_EVENTS.map((e) => `emporium.${e.producer}.${e.type}`).sort());
    expect(doc.channels.product_created?.address).toBe('emporium.catalog.product.created');
    // AsyncAPI restricts component keys to letters, digits, '_' and '-'.
    for (const [key] of channels) expect(key).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it("gives each message the envelope as payload, with the event's data schema inside", () => {
    for (const def of ALL_EVENTS) {
      const channel = Object.values(doc.channels).find((c) => c.address.endsWith(`.${def.type}`))!;
      const messages = Object.values(channel.messages);
      expect(messages).toHaveLength(1);
      const message = messages[0]!;
      expect(message).toMatchObject({ name: def.type, summary: def.description, 'x-delivery': def.delivery });
      expect(message.title).toContain(def.type);

      const payload = message.payload;
      expect(payload.type).toBe('object');
      expect(payload.required).toEqual(expect.arrayContaining(['specversion', 'id', 'source', 'type', 'subject', 'time', 'dataschema', 'data']));
      expect(payload.properties?.type?.const).toBe(def.type);
      expect(payload.properties?.dataschema?.const).toBe(dataschemaOf(def));
      expect(payload.properties?.traceparent).toBeDefined();
      expect(payload.properties?.correlationid).toBeDefined();
      const data = payload.properties!.data!;
      expect(data.additionalProperties).toBe(false);
      expect(Object.keys(data.properties!).sort()).toEqual(Object.keys(def.schema.properties as object).sort());
    }
    const created = doc.channels.product_created!.messages.product_created!.payload.properties!.data!;
    expect(Object.keys(created.properties!)).toEqual(['productId', 'sku', 'name', 'price', 'category', 'initialStock']);
    expect(created.properties!.price!.properties!.amount!.type).toBe('integer');
    expect(created.required).toEqual(Object.keys(productCreated.schema.properties));
  });

  it('has one send operation per event, for its producer, whose references resolve', () => {
    const operations = Object.values(doc.operations);
    expect(operations).toHaveLength(ALL_EVENTS.length);
    for (const def of ALL_EVENTS) {
      const op = operations.find((o) => (resolve(o.channel.$ref) as Channel).address === `emporium.${def.producer}.${def.type}`)!;
      expect(op).toMatchObject({ action: 'send', 'x-producer': def.producer });
      expect(op.messages).toHaveLength(1);
      expect((resolve(op.messages[0]!.$ref) as Message).name).toBe(def.type);
    }
  });

  it('documents an empty list of events as an empty but valid document', () => {
    expect(asyncApiDocument([])).toMatchObject({ asyncapi: '3.0.0', channels: {}, operations: {} });
  });
});
