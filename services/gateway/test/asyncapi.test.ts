import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_EVENTS } from '@emporium/contracts/registry';
import { buildService, type BuiltService } from '@emporium/kit';
import { testTokens } from '@emporium/testing';
import gateway from '../src/service.ts';

describe('gateway /api/v1/asyncapi.json', () => {
  let gw: BuiltService;

  beforeAll(async () => {
    gw = await buildService(gateway, { source: { LOG_LEVEL: 'silent' }, verifier: (await testTokens()).verifier });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('serves the AsyncAPI document of every event, without asking any service', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/asyncapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const doc = res.json<{ asyncapi: string; channels: Record<string, { address: string }>; operations: Record<string, unknown> }>();
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.values(doc.channels).map((c) => c.address).sort()).toEqual(ALL_EVENTS.map((e) => `emporium.${e.producer}.${e.type}`).sort());
    expect(Object.keys(doc.operations)).toHaveLength(ALL_EVENTS.length);
  });

  it('keeps it out of the public OpenAPI document of the gateway itself', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json<{ paths?: object }>().paths ?? {})).not.toContain('/api/v1/asyncapi.json');
  });
});
