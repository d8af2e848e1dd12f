import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from './errors.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

const base = { allErrors: true, useDefaults: true, removeAdditional: false, strict: false } as const;

/** Bodies are validated as sent: "12" is not a number. */
const bodyAjv = addFormats(new Ajv({ ...base, coerceTypes: false }));
/** Query strings and path parameters arrive as text, so they are coerced to the schema's types. */
const textAjv = addFormats(new Ajv({ ...base, coerceTypes: 'array' }));

/** Fastify's validator compiler: strict for bodies, coercing for the parts that are always text. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);

/** Turns Ajv's errors into field errors that name the part and the path. */
export function fieldErrors(validation: ErrorObject[], part: string | undefined): FieldError[] {
  return validation.map((e) => {
    const missing = e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : '';
    const extra = e.keyword === 'additionalProperties' ? `/${String(e.params.additionalProperty)}` : '';
    const path = `${part ?? 'request'}${e.instancePath}${missing}${extra}`;
    const message = e.keyword === 'additionalProperties' ? 'is not an allowed property' : (e.message ?? 'is invalid');
    return { path, message };
  });
}
