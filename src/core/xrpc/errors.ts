/**
 * XRPC error responses → AtcliError (spec:xrpc "Error Responses": `{error, message}`).
 */
import { AtcliError, type ErrorCode, type ErrorKind, type LocalErrorCode, type RemoteErrorName } from '../errors.js';

const AUTH_ERRORS = new Set([
  'AuthRequired',
  'AuthMissing',
  'AuthenticationRequired',
  'ExpiredToken',
  'InvalidToken',
  'BadJwt',
  'BadJwtSignature',
  'AuthFactorTokenRequired',
]);

const NOT_FOUND_ERRORS = new Set([
  'NotFound',
  'RecordNotFound',
  'RepoNotFound',
  'BlobNotFound',
  'HandleNotFound',
  'AccountNotFound',
  'DidNotFound',
  'ProfileNotFound',
]);

const STATUS_CODES: Record<number, LocalErrorCode> = {
  400: 'BadRequest',
  401: 'AuthRequired',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  408: 'RequestTimeout',
  413: 'PayloadTooLarge',
  429: 'RateLimitExceeded',
  500: 'InternalServerError',
  501: 'NotImplemented',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface XrpcErrorInit {
  status: number;
  xrpcError: string | undefined;
  nsid: string;
  message: string;
  hint?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** A non-2xx answer from an XRPC endpoint. `code` is the server's error name when it sent one. */
export class XrpcError extends AtcliError {
  readonly status: number;
  readonly xrpcError: string | undefined;
  readonly nsid: string;

  constructor(init: XrpcErrorInit) {
    super(classify(init.status, init.xrpcError, init.message), codeFor(init.status, init.xrpcError), init.message, {
      hint: init.hint,
      cause: init.cause,
      details: { status: init.status, xrpcError: init.xrpcError, nsid: init.nsid, ...(init.details ?? {}) },
    });
    this.name = 'XrpcError';
    this.status = init.status;
    this.xrpcError = init.xrpcError;
    this.nsid = init.nsid;
  }
}

export function classify(status: number, xrpcError: string | undefined, message: string): ErrorKind {
  if (status === 401 || (xrpcError !== undefined && AUTH_ERRORS.has(xrpcError))) return 'auth';
  if (status === 404 || (xrpcError !== undefined && NOT_FOUND_ERRORS.has(xrpcError))) return 'notFound';
  if (/\bcould not (find|locate)\b/i.test(message)) return 'notFound';
  return 'runtime';
}

function codeFor(status: number, xrpcError: string | undefined): ErrorCode {
  if (xrpcError !== undefined && isErrorName(xrpcError)) return xrpcError as RemoteErrorName;
  return STATUS_CODES[status] ?? (status >= 500 ? 'ServerError' : 'HttpError');
}

export function isErrorName(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(s);
}

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

/** Remote text is untrusted: no control characters (terminal escapes), bounded length. */
export function sanitizeRemoteText(s: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

export interface ParsedErrorBody {
  error: string | undefined;
  message: string | undefined;
  /** a short human description when the body was not an XRPC JSON error */
  nonJson: string | undefined;
}

/** Parse an error body defensively: JSON `{error, message}`, or anything else (HTML from a proxy). */
export function parseErrorBody(body: Uint8Array, contentType: string | undefined): ParsedErrorBody {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const ct = (contentType ?? '').toLowerCase();
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const error = typeof o.error === 'string' && isErrorName(o.error) ? o.error : undefined;
      const message = typeof o.message === 'string' ? sanitizeRemoteText(o.message) : undefined;
      if (error !== undefined || message !== undefined) return { error, message, nonJson: undefined };
    }
  } catch {
    /* not JSON */
  }
  if (text.trim() === '') return { error: undefined, message: undefined, nonJson: 'empty body' };
  if (ct.includes('html') || /^\s*<(!doctype|html|head|body)/i.test(text)) {
    const title = /<title[^>]*>([^<]{1,200})<\/title>/i.exec(text)?.[1];
    return {
      error: undefined,
      message: undefined,
      nonJson: title ? `HTML page "${sanitizeRemoteText(title, 100)}"` : 'an HTML page',
    };
  }
  if (ct.startsWith('text/plain') || ct === '') {
    return { error: undefined, message: undefined, nonJson: `"${sanitizeRemoteText(text, 200)}"` };
  }
  return { error: undefined, message: undefined, nonJson: `a non-JSON body (${sanitizeRemoteText(ct, 60)})` };
}
