/** A stable error code with its HTTP status and a short, human title. */
export interface ErrorSpec {
  status: number;
  title: string;
}

/** One validation failure inside a request: where it is and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details, as every Emporium service answers errors. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** An error that the service means to show its caller, as a problem+json answer. */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    spec: ErrorSpec,
    detail: string,
    extra: { errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, { cause: extra.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = spec.status;
    this.title = spec.title;
    this.errors = extra.errors;
    this.headers = extra.headers ?? {};
  }

  toProblem(): Problem {
    return problem(this.code, this.status, this.title, this.message, this.errors);
  }
}

/** Builds a problem document; `type` is derived from the code so it stays stable. */
export function problem(code: string, status: number, title: string, detail: string, errors?: FieldError[]): Problem {
  const type = `https://emporium.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;
  return errors?.length ? { type, title, status, detail, code, errors } : { type, title, status, detail, code };
}

type ErrorFactory = (detail?: string, extra?: ConstructorParameters<typeof AppError>[3]) => AppError;

/**
 * Declares a package's error codes once. Each code becomes a factory that throws-ready
 * AppErrors, and `codes` keeps the table for documentation and tests.
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(specs: T): { [K in keyof T]: ErrorFactory } & { codes: T } {
  const out: Record<string, unknown> = { codes: specs };
  for (const [code, spec] of Object.entries(specs)) {
    out[code] = (detail?: string, extra?: ConstructorParameters<typeof AppError>[3]) =>
      new AppError(code, spec, detail ?? spec.title, extra);
  }
  return out as { [K in keyof T]: ErrorFactory } & { codes: T };
}

/** The codes that every service shares. Services add their own with `defineErrors`. */
export const errors = defineErrors({
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The body is not valid JSON' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  FORBIDDEN: { status: 403, title: 'You may not do this' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL: { status: 500, title: 'Internal error' },
  BAD_GATEWAY: { status: 502, title: 'The upstream service failed' },
  UPSTREAM_UNAVAILABLE: { status: 503, title: 'The upstream service is unavailable' },
  NOT_READY: { status: 503, title: 'The service is not ready' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'The upstream service did not answer in time' },
});
