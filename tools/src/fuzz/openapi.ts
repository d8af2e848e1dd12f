import type { JsonSchema } from './schema.ts';

/** One parameter of an operation. */
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: JsonSchema;
}

/** One operation of the public API, as the fuzzer drives it. */
export interface Operation {
  /** `POST /api/v1/orders`: the key of the status table. */
  key: string;
  method: string;
  /** The path template, `/api/v1/orders/{id}/cancel`. */
  path: string;
  /** The service that owns it (the document's first tag). */
  tag: string;
  parameters: Parameter[];
  body?: { required: boolean; contentType: string; schema: JsonSchema };
  /** Whether the document asks for a bearer token. */
  secured: boolean;
  /** The statuses the document lists. */
  statuses: string[];
}

interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, unknown>; parameters?: Record<string, unknown>; requestBodies?: Record<string, unknown> };
  tags?: Array<{ name: string }>;
  security?: unknown[];
}
interface RawOperation {
  tags?: string[];
  parameters?: Array<Record<string, unknown>>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
  security?: unknown[];
  responses?: Record<string, unknown>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Replaces every local `$ref` by what it points to (the documents here inline their schemas, but others may not). */
function deref<T>(value: T, doc: OpenApiDocument, seen = new Set<string>()): T {
  if (Array.isArray(value)) return value.map((v) => deref(v, doc, seen)) as T;
  if (!value || typeof value !== 'object') return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    if (seen.has(ref)) return {} as T; // a recursive schema: stop at the second visit
    const target = ref.slice(2).split('/').reduce<unknown>((node, part) => (node as Record<string, unknown>)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
    return deref(target as T, doc, new Set([...seen, ref]));
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deref(v, doc, seen)])) as T;
}

/** Reads every operation of an OpenAPI 3 document. */
export function readOperations(document: unknown): Operation[] {
  const doc = document as OpenApiDocument;
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const shared = (item as { parameters?: RawOperation['parameters'] }).parameters ?? [];
    for (const method of METHODS) {
      const raw = item[method];
      if (!raw) continue;
      const op = deref(raw, doc);
      const parameters = [...deref(shared, doc), ...(op.parameters ?? [])].map((p) => ({
        name: String(p.name),
        in: p.in as Parameter['in'],
        required: p.required === true,
        schema: (p.schema ?? {}) as JsonSchema,
      }));
      const content = op.requestBody?.content ?? {};
      const contentType = Object.keys(content).find((c) => c.includes('json')) ?? Object.keys(content)[0];
      out.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        tag: op.tags?.[0] ?? 'untagged',
        parameters,
        ...(contentType ? { body: { required: op.requestBody?.required === true, contentType, schema: (content[contentType]?.schema ?? {}) as JsonSchema } } : {}),
        secured: (op.security ?? doc.security ?? []).some((s) => Object.keys(s as object).length > 0),
        statuses: Object.keys(op.responses ?? {}),
      });
    }
  }
  return out;
}

/** The service names the document's tags give, for `{service}` parameters. */
export function serviceNames(document: unknown): string[] {
  return ((document as OpenApiDocument).tags ?? []).map((t) => t.name);
}
