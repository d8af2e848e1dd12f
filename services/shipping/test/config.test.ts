import { describe, expect, it } from 'vitest';
import { parseServiceSettings } from '@emporium/kit';
import service from '../src/service.ts';

describe('config', () => {
  it('reads SHIPPING_UNSERVED_COUNTRIES as country codes, with a default and "none"', () => {
    expect(parseServiceSettings(service, {}).SHIPPING_UNSERVED_COUNTRIES).toEqual(['KP', 'IR', 'SY', 'CU']);
    expect(parseServiceSettings(service, { SHIPPING_UNSERVED_COUNTRIES: ' kp, ru ,KP' }).SHIPPING_UNSERVED_COUNTRIES).toEqual(['KP', 'RU']);
    expect(parseServiceSettings(service, { SHIPPING_UNSERVED_COUNTRIES: 'none' }).SHIPPING_UNSERVED_COUNTRIES).toEqual([]);
  });

  it('refuses a bad country list, naming the setting', () => {
    for (const bad of ['USA', 'K1', 'KP,,IR']) {
      expect(() => parseServiceSettings(service, { SHIPPING_UNSERVED_COUNTRIES: bad })).toThrow(/SHIPPING_UNSERVED_COUNTRIES/);
    }
  });

  it('listens on 8107 by default', () => {
    expect(parseServiceSettings(service, {}).PORT).toBe(8107);
  });
});
