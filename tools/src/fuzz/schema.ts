import fc from 'fast-check';

/** The part of JSON Schema (as the OpenAPI 3.1 documents use it) that the fuzzer understands. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  minProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
  examples?: unknown[];
}

/**
 * Lets the caller choose a property's values itself (a real product id rather than any UUID);
 * `undefined` means "generate from the schema".
 */
export type FieldHook = (name: string, schema: JsonSchema) => fc.Arbitrary<unknown> | undefined;

/** A value meant to break a schema, with a note on how, for the report. */
export interface Mutant {
  value: unknown;
  /** What was changed, e.g. `shippingAddress.name: overlong (201 code points)`. */
  note: string;
  /** True when the value certainly violates the schema (so a 2xx answer contradicts the document). */
  invalid: boolean;
}

/** Strings that are often mishandled, whether or not a schema allows them. */
export const HOSTILE_STRINGS: readonly string[] = [
  'a\u0000b',
  '\u0000',
  'tab\there',
  'line\nbreak\r\n',
  '\u001b[31mred\u001b[0m',
  '\u007f\u0085\u2028\u2029',
  'lone \ud800 high',
  'lone \udfff low',
  'reversed \udc00\ud800 pair',
  '\ud83d',
  '😀🎉👩‍👩‍👧‍👦',
  '𝕳𝖊𝖑𝖑𝖔 𐍈 𓀀',
  'e\u0301\u0301\u0301\u0301',
  '\u202eevil\u202c',
  '\ufeffbom',
  '\ufffe\uffff',
  "' OR '1'='1' --",
  '"; DROP TABLE orders; --',
  '../../../../etc/passwd',
  '%00%2e%2e%2f',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  ' ',
  '',
];

const CODE_POINT_LIMIT = 64; // how long an unbounded generated string may grow

/** The length JSON Schema means: code points, a surrogate pair counting once (as ajv counts). */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Compiles a schema pattern as ajv does (Unicode mode), or without the flag when it is not valid Unicode syntax. */
export function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return new RegExp(pattern);
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The values a schema allows when it lists them: `enum`, `const`, or `anyOf` of those (as TypeBox writes unions of literals). */
function listed(schema: JsonSchema): unknown[] | undefined {
  if (schema.enum) return schema.enum;
  if (schema.const !== undefined) return [schema.const];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (!alternatives) return undefined;
  const lists = alternatives.map(listed);
  return lists.every((l) => l !== undefined) ? lists.flat() : undefined;
}

/** Whether `s` satisfies a string schema (listed values, length, pattern, a few formats). */
export function stringFits(schema: JsonSchema, s: string): boolean {
  const values = listed(schema);
  if (values) return values.includes(s);
  const n = codePoints(s);
  if (n < (schema.minLength ?? 0) || n > (schema.maxLength ?? Infinity)) return false;
  if (schema.pattern && !compilePattern(schema.pattern).test(s)) return false;
  if (schema.format === 'email' && !EMAIL.test(s)) return false;
  if (schema.format === 'date-time' && !DATE_TIME.test(s)) return false;
  if (schema.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  if (schema.format === 'uuid' && !UUID.test(s)) return false;
  return true;
}

/**
 * Whether a path or query parameter's text fits `schema` once coerced as ajv's coerceTypes
 * does (`"5"` is an integer there): what decides whether a parameter mutation is invalid.
 */
export function textFits(schema: JsonSchema, text: string): boolean {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.some((s) => textFits(s, text));
  if (schema.enum) return schema.enum.some((v) => String(v) === text);
  if (schema.const !== undefined) return String(schema.const) === text;
  const types = typesOf(schema);
  if (!types.length) return true;
  return types.some((type) => {
    if (type === 'string') return stringFits(schema, text);
    if (type === 'boolean') return text === 'true' || text === 'false';
    if (type === 'integer' || type === 'number') {
      if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return false;
      const n = Number(text);
      if (type === 'integer' && !Number.isInteger(n)) return false;
      return n >= (schema.minimum ?? -Infinity) && n <= (schema.maximum ?? Infinity);
    }
    return false;
  });
}

/** The schema's types; none declared means any. */
function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.type) return [schema.type];
  if (schema.properties) return ['object'];
  return [];
}

/** Whether `value` is of JSON Schema type `type`. */
function isOfType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'null': return value === null;
    case 'array': return Array.isArray(value);
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
    default: return true;
  }
}

/**
 * Keeps the candidate arbitraries that produce a fitting value often enough to filter on
 * (fast-check's filter retries forever on a predicate it never meets). The probe has a fixed
 * seed, so the choice, like everything else, depends only on the run's seed.
 */
function fitting(candidates: Array<{ weight: number; arbitrary: fc.Arbitrary<string> }>, fits: (s: string) => boolean): Array<{ weight: number; arbitrary: fc.Arbitrary<string> }> {
  return candidates
    .filter(({ arbitrary }) => fc.sample(arbitrary, { seed: 42, numRuns: 40 }).filter(fits).length >= 10)
    .map(({ weight, arbitrary }) => ({ weight, arbitrary: arbitrary.filter(fits) }));
}

/**
 * The longest values allowed, spelt so that counting code points, UTF-16 units or bytes gives
 * different lengths: ASCII, two-byte letters, astral characters (two UTF-16 units, four bytes
 * each) filling the code-point limit and half of it, and ASCII ending in one astral character.
 */
function longest(max: number): string[] {
  if (max < 1) return [''];
  return ['x'.repeat(max), 'Ā'.repeat(max), '😀'.repeat(max), '😀'.repeat(Math.max(1, Math.floor(max / 2))), `${'x'.repeat(max - 1)}😀`];
}

/** Valid strings: pattern-shaped ASCII most of the time, Unicode, edge lengths and hostile characters where the schema lets them through. */
function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Math.max(min, CODE_POINT_LIMIT);
  const cap = Math.min(max, Math.max(min, CODE_POINT_LIMIT));
  const fits = (s: string) => stringFits(schema, s);
  const candidates: Array<{ weight: number; arbitrary: fc.Arbitrary<string> }> = [];
  if (schema.format === 'email') candidates.push({ weight: 10, arbitrary: fc.emailAddress() });
  if (schema.format === 'date-time') candidates.push({ weight: 10, arbitrary: fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()) });
  if (schema.format === 'date') candidates.push({ weight: 10, arbitrary: fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)) });
  if (schema.format === 'uuid') candidates.push({ weight: 10, arbitrary: fc.uuid() });
  if (schema.pattern) candidates.push({ weight: 10, arbitrary: fc.stringMatching(compilePattern(schema.pattern), { maxLength: max }) });
  candidates.push(
    { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: cap }) },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: cap }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: cap }) },
    { weight: 1, arbitrary: fc.constantFrom(...longest(schema.maxLength ?? 1000)) },
    { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...HOSTILE_STRINGS), fc.string({ maxLength: 8 })).map(([a, h, b]) => `x${a}${h}${b}x`) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  );
  const usable = fitting(candidates, fits);
  if (usable.length) return fc.oneof(...usable);
  // Nothing fits often enough: the pattern alone is the best the generator can do.
  return schema.pattern ? fc.stringMatching(compilePattern(schema.pattern)) : fc.string({ minLength: min, maxLength: cap });
}

/** Integers (or numbers) within the schema's bounds, with the bounds themselves favoured. */
function validNumber(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lo = Math.max(schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1e9), -Number.MAX_SAFE_INTEGER);
  const hi = Math.min(schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1e9), Number.MAX_SAFE_INTEGER);
  if (!integer) return fc.oneof(fc.constantFrom(lo, hi), fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }));
  const [a, b] = [Math.ceil(lo), Math.floor(hi)];
  const small = fc.integer({ min: Math.max(a, -100), max: Math.min(b, Math.max(a, -100) + 200) });
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...new Set([a, b, Math.min(a + 1, b), Math.max(b - 1, a)])) },
    { weight: 5, arbitrary: small },
    { weight: 3, arbitrary: fc.bigInt({ min: BigInt(a), max: BigInt(b) }).map(Number) },
  );
}

/**
 * Arbitrary values that satisfy `schema`. The document's own examples come up half the time:
 * they are what the platform expects (the one currency it accepts, say), so more requests get
 * past the business rules to the code behind them.
 */
export function validValue(schema: JsonSchema, hook?: FieldHook): fc.Arbitrary<unknown> {
  const { examples, ...rest } = schema;
  if (examples?.length) return fc.oneof(fc.constantFrom(...examples), generated(rest, hook));
  return generated(schema, hook);
}

/** Values that satisfy `schema`, from its keywords alone. */
function generated(schema: JsonSchema, hook?: FieldHook): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => validValue(s, hook)));
  if (schema.allOf) return validValue(Object.assign({}, ...schema.allOf) as JsonSchema, hook);
  const types = typesOf(schema);
  if (types.length > 1) return fc.oneof(...types.map((type) => validValue({ ...schema, type }, hook)));
  switch (types[0]) {
    case 'string': return validString(schema);
    case 'integer': return validNumber(schema, true);
    case 'number': return validNumber(schema, false);
    case 'boolean': return fc.boolean();
    case 'null': return fc.constant(null);
    case 'array': {
      const min = schema.minItems ?? 0;
      const max = Math.min(schema.maxItems ?? 5, Math.max(min, 5));
      return fc.array(validValue(schema.items ?? {}, hook), { minLength: min, maxLength: max });
    }
    case 'object': return validObject(schema, hook);
    default: return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Objects with every required property and some of the optional ones. */
function validObject(schema: JsonSchema, hook?: FieldHook): fc.Arbitrary<Record<string, unknown>> {
  const props = schema.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, sub] of Object.entries(props)) model[name] = hook?.(name, sub) ?? validValue(sub, hook);
  const record = fc.record(model, { requiredKeys: (schema.required ?? []).filter((k) => k in props) }) as fc.Arbitrary<Record<string, unknown>>;
  const minProps = schema.minProperties ?? 0;
  if (minProps === 0) return record;
  // Keep only what meets minProperties; when too few optional keys came out, add the first missing ones.
  return record.chain((o) => {
    if (Object.keys(o).length >= minProps) return fc.constant(o);
    const missing = Object.keys(props).filter((k) => !(k in o)).slice(0, minProps - Object.keys(o).length);
    return fc.record(Object.fromEntries(missing.map((k) => [k, model[k]!]))).map((extra) => ({ ...o, ...extra }));
  });
}

/** Values of a JSON type other than those the schema allows. */
function wrongType(schema: JsonSchema): fc.Arbitrary<Mutant> {
  const types = typesOf(schema);
  const all: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, '', 'x', '123', 'true', [], [1, 'a'], {}, { a: 1 }];
  const wrong = types.length ? all.filter((v) => !types.some((t) => isOfType(v, t))) : [];
  if (!wrong.length || schema.anyOf || schema.oneOf) return fc.constantFrom(...all).map((value) => ({ value, note: `replaced by ${JSON.stringify(value)}`, invalid: false }));
  return fc.constantFrom(...wrong).map((value) => ({ value, note: `wrong type ${JSON.stringify(value)}`, invalid: true }));
}

/** Strings that break the schema (too short, too long, off-pattern, unknown enum value) or probe the handling of odd characters. */
function badString(schema: JsonSchema): fc.Arbitrary<Mutant> {
  const out: Array<fc.Arbitrary<Mutant>> = [];
  const max = schema.maxLength;
  const min = schema.minLength ?? 0;
  if (max !== undefined) {
    out.push(fc.integer({ min: max + 1, max: max * 2 + 2 }).chain((n) => fc.constantFrom('y'.repeat(n), '😀'.repeat(n))).map((value) => ({ value, note: `overlong (${codePoints(value)} code points, max ${max})`, invalid: true })));
  }
  out.push(fc.constantFrom(100_000, 300_000).map((n) => ({ value: 'z'.repeat(n), note: `huge string (${n} characters)`, invalid: !stringFits(schema, 'z'.repeat(n)) })));
  if (min > 0) out.push(fc.constant({ value: 'q'.repeat(min - 1), note: `too short (${min - 1}, min ${min})`, invalid: true }));
  if (schema.pattern || schema.format) {
    const fits = (s: string) => stringFits(schema, s);
    out.push(fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !fits(s)).map((value) => ({ value, note: `off-pattern ${JSON.stringify(value)}`, invalid: true })));
  }
  const values = listed(schema);
  if (values) out.push(fc.constantFrom('UNKNOWN', 'pending ', 'Pending', 'CONFIRMED\u0000', '').filter((v) => !values.includes(v)).map((value) => ({ value, note: `unknown enum value ${JSON.stringify(value)}`, invalid: true })));
  out.push(fc.constantFrom(...HOSTILE_STRINGS).map((value) => ({ value, note: `hostile ${JSON.stringify(value)}`, invalid: !stringFits(schema, value) })));
  return fc.oneof(...out);
}

/** Numbers out of bounds, fractional where an integer is due, or too large for any column. */
function badNumber(schema: JsonSchema, integer: boolean): fc.Arbitrary<Mutant> {
  const values: Array<[number, boolean]> = [
    [1e21, schema.maximum !== undefined],
    [-1e21, schema.minimum !== undefined],
    [Number.MAX_SAFE_INTEGER + 2, schema.maximum !== undefined],
    [2 ** 31, schema.maximum !== undefined && 2 ** 31 > schema.maximum],
    [-(2 ** 31) - 1, schema.minimum !== undefined],
    [1e308, schema.maximum !== undefined],
  ];
  if (schema.minimum !== undefined) values.push([schema.minimum - 1, true]);
  if (schema.maximum !== undefined) values.push([schema.maximum + 1, true]);
  if (integer) values.push([1.5, true], [(schema.minimum ?? 0) + 0.000001, true]);
  return fc.constantFrom(...values).map(([value, invalid]) => ({ value, note: `number ${value}`, invalid }));
}

/** Objects with a required property missing, an unknown one added, or one property broken. */
function badObject(schema: JsonSchema, hook?: FieldHook): fc.Arbitrary<Mutant> {
  const props = schema.properties ?? {};
  const required = (schema.required ?? []).filter((k) => k in props);
  const base = validObject(schema, hook);
  const out: Array<fc.Arbitrary<Mutant>> = [];
  if (required.length) {
    out.push(fc.tuple(base, fc.constantFrom(...required)).map(([o, k]) => {
      const { [k]: _dropped, ...rest } = o;
      return { value: rest, note: `missing required ${k}`, invalid: true };
    }));
  }
  const closed = schema.additionalProperties === false;
  out.push(fc.tuple(base, fc.constantFrom('extra', 'isAdmin', 'role', 'userId', 'status', 'price', 'id'), fc.jsonValue({ maxDepth: 1 })).filter(([, k]) => !(k in props)).map(([o, k, v]) => ({ value: { ...o, [k]: v }, note: `extra property ${k}`, invalid: closed })));
  // An own "__proto__" key, as JSON.parse makes it: a plain assignment would set the prototype instead.
  out.push(base.map((o) => ({ value: { ...o, ...JSON.parse('{"__proto__":{"isAdmin":true,"role":"admin"}}') }, note: 'own __proto__ property', invalid: closed })));
  const names = Object.keys(props);
  if (names.length) {
    out.push(fc.constantFrom(...names).chain((k) => fc.tuple(base, invalidValue(props[k]!, hook)).map(([o, m]) => ({ value: { ...o, [k]: m.value }, note: `${k}: ${m.note}`, invalid: m.invalid }))));
  }
  return fc.oneof(...out);
}

/**
 * Values that break `schema` in one place, or probe it with odd but perhaps valid content:
 * wrong types, missing or unknown properties, out-of-range and huge numbers, overlong,
 * off-pattern and hostile strings (NUL, control characters, lone surrogates, emoji), unknown
 * enum values, arrays too long or too short.
 */
export function invalidValue(schema: JsonSchema, hook?: FieldHook): fc.Arbitrary<Mutant> {
  const out: Array<{ weight: number; arbitrary: fc.Arbitrary<Mutant> }> = [{ weight: 1, arbitrary: wrongType(schema) }];
  const types = typesOf(schema);
  if (types.includes('string') || listed(schema)) out.push({ weight: 4, arbitrary: badString(schema) });
  if (types.includes('integer') || types.includes('number')) out.push({ weight: 3, arbitrary: badNumber(schema, types.includes('integer')) });
  if (types.includes('object')) out.push({ weight: 5, arbitrary: badObject(schema, hook) });
  if (types.includes('array')) {
    const items = schema.items ?? {};
    const min = schema.minItems ?? 0;
    const max = schema.maxItems;
    if (max !== undefined) out.push({ weight: 1, arbitrary: fc.array(validValue(items, hook), { minLength: max + 1, maxLength: max + 3 }).map((value) => ({ value, note: `${value.length} items, max ${max}`, invalid: true })) });
    if (min > 0) out.push({ weight: 1, arbitrary: fc.constant({ value: [], note: `no items, min ${min}`, invalid: true }) });
    out.push({ weight: 3, arbitrary: fc.tuple(fc.array(validValue(items, hook), { minLength: min, maxLength: Math.max(min, 2) }), invalidValue(items, hook)).map(([list, m]) => ({ value: [...list, m.value], note: `[item]: ${m.note}`, invalid: m.invalid })) });
  }
  return fc.oneof(...out);
}
