/**
 * The one error type core throws. `kind` decides the exit code; `code` is a stable
 * PascalCase name for scripts (remote XRPC error names pass through in details).
 */
import type { ErrorCode } from './error-codes.js';

export type { ErrorCode, LocalErrorCode, RemoteErrorName } from './error-codes.js';

export type ErrorKind = 'runtime' | 'usage' | 'invalid' | 'notFound' | 'auth' | 'interrupted';

export const EXIT_CODES: Record<ErrorKind, number> = {
  runtime: 1,
  usage: 2,
  invalid: 3,
  notFound: 4,
  auth: 5,
  interrupted: 130,
};

export interface AtcliErrorOptions {
  hint?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AtcliError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: ErrorCode, message: string, options: AtcliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AtcliError';
    this.kind = kind;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

/** Data was checked and is invalid (exit 3). */
export function invalid(code: ErrorCode, message: string, options?: AtcliErrorOptions): AtcliError {
  return new AtcliError('invalid', code, message, options);
}

/** Bad command-line input (exit 2). */
export function usage(code: ErrorCode, message: string, options?: AtcliErrorOptions): AtcliError {
  return new AtcliError('usage', code, message, options);
}

/** Network, I/O or server failure (exit 1). */
export function runtime(code: ErrorCode, message: string, options?: AtcliErrorOptions): AtcliError {
  return new AtcliError('runtime', code, message, options);
}

/** Something that should exist does not (exit 4). */
export function notFound(code: ErrorCode, message: string, options?: AtcliErrorOptions): AtcliError {
  return new AtcliError('notFound', code, message, options);
}

/** Authentication missing or refused (exit 5). */
export function authError(code: ErrorCode, message: string, options?: AtcliErrorOptions): AtcliError {
  return new AtcliError('auth', code, message, options);
}

export function isAtcliError(err: unknown): err is AtcliError {
  return err instanceof AtcliError;
}
