import { _, Ajv, str, type ErrorObject, type KeywordCxt } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from './errors.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

const base = { allErrors: true, useDefaults: true, removeAdditional: false, strict: false } as const;

/**
 * minLength and maxLength count UTF-16 code units, as JavaScript's `length` and the events'
 * validation (TypeBox) do: one length rule, so whatever an API accepts, an event carrying it
 * accepts too. Counted in code points, as Ajv does by default, 150 emoji pass a limit of 200
 * here and fail it in the event, after the order was accepted.
 */
function withCodeUnitLengths(ajv: Ajv): Ajv {
  for (const keyword of ['minLength', 'maxLength'] as const) {
    const more = keyword === 'maxLength';
    ajv.removeKeyword(keyword);
    ajv.addKeyword({
      keyword,
      type: 'string',
      schemaType: 'number',
      error: { message: ({ schemaCode }) => str`must NOT have ${more ? 'more' : 'fewer'} than ${schemaCode} characters (UTF-16 code units: an emoji counts as 2)`, params: ({ schemaCode }) => _`{limit: ${schemaCode}}` },
      code: (cxt: KeywordCxt) => cxt.fail(more ? _`${cxt.data}.length > ${cxt.schemaCode}` : _`${cxt.data}.length < ${cxt.schemaCode}`),
    });
  }
  return ajv;
}

/** The keyword the compiler adds to every string of a request; see `withTextRule`. */
const TEXT_KEYWORD = 'x-emporium-text';

/**
 * Control characters (C0 but tab, line feed and carriage return; DEL; C1) and UTF-16 code units
 * that do not form a character (lone surrogates). PostgreSQL cannot store NUL, and neither can
 * be encoded as UTF-8 for the broker or the browser.
 */
// eslint-disable-next-line no-control-regex
const NOT_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `value` is text every part of the platform can store and carry. */
export function isText(value: string): boolean {
  return !NOT_TEXT.test(value);
}

function withTextKeyword(ajv: Ajv): Ajv {
  ajv.addKeyword({
    keyword: TEXT_KEYWORD,
    type: 'string',
    schemaType: 'boolean',
    errors: false,
    validate: (_enabled: boolean, value: string) => isText(value),
  });
  return ajv;
}

/** Bodies are validated as sent: "12" is not a number. */
const bodyAjv = withCodeUnitLengths(withTextKeyword(addFormats(new Ajv({ ...base, coerceTypes: false }))));
/** Query strings, path parameters and headers arrive as text, so they are coerced to the schema's types. */
const textAjv = withCodeUnitLengths(withTextKeyword(addFormats(new Ajv({ ...base, coerceTypes: 'array' }))));

/**
 * A copy of `schema` in which every string (at any depth, in every branch) also carries the text
 * rule, so no field of any API, present or future, takes NUL or a lone surrogate. The schema
 * served in the OpenAPI document is left as declared.
 */
export function withTextRule(schema: unknown): unknown {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const out: Record<string, unknown> = { ...schema };
  const map = (value: unknown, fn: (v: unknown) => unknown) => (value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)])) : value);
  for (const key of SCHEMA_KEYWORDS) if (key in out) out[key] = withTextRule(out[key]);
  for (const key of SCHEMA_LISTS) if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(withTextRule);
  for (const key of SCHEMA_MAPS) if (key in out) out[key] = map(out[key], withTextRule);
  const type = out.type;
  if (type === 'string' || (Array.isArray(type) && type.includes('string'))) out[TEXT_KEYWORD] = true;
  return out;
}

/** Keywords whose value is a schema, a list of schemas, or a map of names to schemas. */
const SCHEMA_KEYWORDS = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'additionalItems', 'unevaluatedProperties', 'unevaluatedItems'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];

/** Fastify's validator compiler: strict for bodies, coercing for the parts that are always text. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(withTextRule(schema) as object);

/** Turns Ajv's errors into field errors that name the part and the path. */
export function fieldErrors(validation: ErrorObject[], part: string | undefined): FieldError[] {
  return validation.map((e) => {
    const missing = e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : '';
    const extra = e.keyword === 'additionalProperties' ? `/${String(e.params.additionalProperty)}` : '';
    const path = `${part ?? 'request'}${e.instancePath}${missing}${extra}`;
    const message = MESSAGES[e.keyword] ?? e.message ?? 'is invalid';
    return { path, message };
  });
}

const MESSAGES: Record<string, string> = {
  additionalProperties: 'is not an allowed property',
  [TEXT_KEYWORD]: 'must not contain control characters or unpaired UTF-16 surrogates',
};
