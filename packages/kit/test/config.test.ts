import { describe, expect, it } from 'vitest';
import { commonSettings, ConfigError, parseSettings, setting, type SettingsSource, type SettingsSpec } from '@emporium/kit';

/** Parses and returns the ConfigError, failing the test when parsing succeeds. */
function configError(spec: SettingsSpec, source: SettingsSource): ConfigError {
  try {
    parseSettings(spec, source);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('parseSettings accepted settings it should have refused');
}

describe('parseSettings', () => {
  it('applies defaults for absent and empty settings', () => {
    const spec = {
      WORKERS: setting.int({ min: 1, max: 64 }).with(4),
      MODE: setting.oneOf(['fast', 'safe']).with('safe'),
      VERBOSE: setting.bool().with(false),
      NICKNAME: setting.string().optional(),
    };
    expect(parseSettings(spec, {})).toEqual({ WORKERS: 4, MODE: 'safe', VERBOSE: false, NICKNAME: undefined });
    expect(parseSettings(spec, { WORKERS: '', MODE: '   ' })).toMatchObject({ WORKERS: 4, MODE: 'safe' });
  });

  it('parses given values, trimming surrounding whitespace', () => {
    const spec = { WORKERS: setting.int().with(4), PORT: setting.port().with(8080), VERBOSE: setting.bool().with(false), HOME_URL: setting.url().with('http://localhost') };
    expect(parseSettings(spec, { WORKERS: ' 12 ', PORT: '0', VERBOSE: 'TRUE', HOME_URL: 'https://shop.example/' })).toEqual({
      WORKERS: 12,
      PORT: 0,
      VERBOSE: true,
      HOME_URL: 'https://shop.example',
    });
  });

  it('gives the common settings their defaults', () => {
    expect(parseSettings(commonSettings, {})).toMatchObject({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: undefined,
      DATABASE_POOL_SIZE: 10,
      DATA_DIR: './.data',
      OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
    });
  });

  it('refuses a database pool of no connections, naming the setting', () => {
    expect(() => parseSettings(commonSettings, { DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE="0".*an integer from 1 to 200/s);
  });

  it.each([
    ['a bad integer', { WORKERS: setting.int({ min: 1, max: 64 }).with(4) }, { WORKERS: 'many' }, 'WORKERS="many"', 'an integer from 1 to 64'],
    ['an integer out of range', { WORKERS: setting.int({ min: 1, max: 64 }).with(4) }, { WORKERS: '65' }, 'WORKERS="65"', 'an integer from 1 to 64'],
    ['a fractional integer', { WORKERS: setting.int().with(4) }, { WORKERS: '1.5' }, 'WORKERS="1.5"', 'an integer'],
    ['a port above 65535', { PORT: setting.port().with(8080) }, { PORT: '70000' }, 'PORT="70000"', 'an integer from 0 to 65535'],
    ['a negative port', { PORT: setting.port().with(8080) }, { PORT: '-1' }, 'PORT="-1"', 'an integer from 0 to 65535'],
    ['a bad URL', { CATALOG_URL: setting.url().with('http://127.0.0.1:8102') }, { CATALOG_URL: 'not a url' }, 'CATALOG_URL="not a url"', 'a URL'],
    ['a value outside an enum', { LOG_LEVEL: commonSettings.LOG_LEVEL }, { LOG_LEVEL: 'loud' }, 'LOG_LEVEL="loud"', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['a bad boolean', { VERBOSE: setting.bool().with(false) }, { VERBOSE: 'yes' }, 'VERBOSE="yes"', 'true or false'],
  ])('refuses %s, naming the setting, its value and what was expected', (_what, spec, source, named, expects) => {
    const err = configError(spec, source);
    expect(err.problems).toHaveLength(1);
    expect(err.message).toContain(named);
    expect(err.message).toContain(`expected ${expects}`);
  });

  it('refuses the names of Object.prototype members as booleans', () => {
    // A lookup table indexed by the raw text must not find inherited members such as `constructor`.
    for (const raw of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(configError({ VERBOSE: setting.bool().with(false) }, { VERBOSE: raw }).message).toContain(`VERBOSE=${JSON.stringify(raw)}`);
    }
  });

  it('shortens a very long bad value in the message', () => {
    const err = configError({ PORT: setting.port().with(1) }, { PORT: '9'.repeat(200) });
    expect(err.message).toContain(`PORT="${'9'.repeat(60)}…"`);
    expect(err.message).not.toContain('9'.repeat(61));
  });

  it('reports every problem at once', () => {
    const spec = {
      PORT: setting.port().with(8080),
      CATALOG_URL: setting.url().with('http://127.0.0.1:8102'),
      LOG_LEVEL: commonSettings.LOG_LEVEL,
      SECRET: setting.string().with(),
      FINE: setting.int().with(1),
    };
    const err = configError(spec, { PORT: 'eighty', CATALOG_URL: '::', LOG_LEVEL: 'chatty', FINE: '2' });
    expect(err.problems).toHaveLength(4);
    for (const name of ['PORT="eighty"', 'CATALOG_URL="::"', 'LOG_LEVEL="chatty"', 'SECRET is required']) expect(err.message).toContain(name);
    expect(err.message).not.toContain('FINE');
  });

  it('refuses a missing required setting, saying what it expects', () => {
    const err = configError({ CATALOG_URL: setting.url().with() }, {});
    expect(err.problems).toEqual(['CATALOG_URL is required (a URL)']);
  });

  it('treats a blank required setting as missing', () => {
    expect(configError({ NAME: setting.string().with() }, { NAME: '  ' }).problems).toEqual(['NAME is required (a non-empty string)']);
  });

  describe('development defaults', () => {
    const spec = { NODE_ENV: commonSettings.NODE_ENV, JWT_SECRET: setting.string().devDefault('dev-secret') };

    it('are used in development and test', () => {
      expect(parseSettings(spec, {}).JWT_SECRET).toBe('dev-secret');
      expect(parseSettings(spec, { NODE_ENV: 'development' }).JWT_SECRET).toBe('dev-secret');
      expect(parseSettings(spec, { NODE_ENV: 'test', JWT_SECRET: 'dev-secret' }).JWT_SECRET).toBe('dev-secret');
    });

    it('are refused in production when the setting is absent', () => {
      const err = configError(spec, { NODE_ENV: 'production' });
      expect(err.problems).toHaveLength(1);
      expect(err.message).toContain('JWT_SECRET must be set in production');
    });

    it('are refused in production when the setting is set to the default value', () => {
      const err = configError(spec, { NODE_ENV: 'production', JWT_SECRET: 'dev-secret' });
      expect(err.problems).toHaveLength(1);
      expect(err.message).toContain('JWT_SECRET must not use its development default in production');
    });

    it('are refused in production even when NODE_ENV has stray whitespace', () => {
      // NODE_ENV itself is trimmed and parses as production, so the secret check must agree with it.
      const err = configError(spec, { NODE_ENV: 'production ' });
      expect(err.message).toContain('JWT_SECRET must be set in production');
    });

    it('let production run with a real value', () => {
      expect(parseSettings(spec, { NODE_ENV: 'production', JWT_SECRET: 's3cret-from-the-vault' })).toEqual({ NODE_ENV: 'production', JWT_SECRET: 's3cret-from-the-vault' });
    });
  });

  describe('urlList', () => {
    const spec = { CATALOG_URLS: setting.urlList().with(['http://127.0.0.1:8102']) };

    it('splits on commas, trims, drops empty parts and trailing slashes', () => {
      expect(parseSettings(spec, { CATALOG_URLS: 'http://10.0.0.1:8102/, http://10.0.0.2:8102 ,,' }).CATALOG_URLS).toEqual([
        'http://10.0.0.1:8102',
        'http://10.0.0.2:8102',
      ]);
    });

    it('accepts a single URL and uses the default when absent', () => {
      expect(parseSettings(spec, { CATALOG_URLS: 'https://catalog.internal' }).CATALOG_URLS).toEqual(['https://catalog.internal']);
      expect(parseSettings(spec, {}).CATALOG_URLS).toEqual(['http://127.0.0.1:8102']);
    });

    it('refuses the whole list when one entry is not a URL, or when it has none', () => {
      expect(configError(spec, { CATALOG_URLS: 'http://10.0.0.1:8102,catalog' }).message).toContain('CATALOG_URLS="http://10.0.0.1:8102,catalog" is invalid: expected a comma-separated list of URLs');
      expect(configError(spec, { CATALOG_URLS: ' , ,' }).message).toContain('CATALOG_URLS=", ," is invalid');
    });
  });
});
