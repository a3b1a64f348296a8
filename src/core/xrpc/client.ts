/**
 * The one XRPC client every network command uses (spec:xrpc).
 *
 * - queries are GET /xrpc/<nsid>?params, procedures POST /xrpc/<nsid> with a JSON or bytes body;
 * - retries with exponential back-off + jitter for idempotent calls (queries; procedures only when
 *   the caller says so) on network errors, 429 and 5xx (not 501), honouring `Retry-After` and
 *   `RateLimit-Reset`, with a maximum wait;
 * - response caps (16 MiB for JSON by default);
 * - error bodies `{error, message}` → `XrpcError`; non-JSON error bodies (load balancer HTML) become
 *   a clear message; unparseable success bodies → 'InvalidResponse';
 * - optional session auth: `Authorization: Bearer <accessJwt>`, refreshed once on `ExpiredToken`.
 */
import { AtcliError, isAtcliError, runtime, usage } from '../errors.js';
import { checkTimeoutMs, httpRequest, httpRequestStream, type HttpConfig, type HttpResponse } from '../net/http.js';
import { checkServiceUrl } from '../net/url-policy.js';
import { XrpcError, parseErrorBody, sanitizeRemoteText, statusText } from './errors.js';
import type { SessionAuth, SessionData } from './session.js';
import { sleep } from '../util/sleep.js';

export const DEFAULT_JSON_MAX_BYTES = 16 * 1024 * 1024;
const ERROR_BODY_MAX_BYTES = 64 * 1024;
const DEFAULT_MAX_WAIT_MS = 60_000;

export type XrpcParamValue = string | number | boolean | string[] | undefined;
export type XrpcParams = Record<string, XrpcParamValue>;

export interface XrpcClientOptions {
  /** base URL of the service (PDS, AppView, relay, …) */
  service: string;
  http: HttpConfig;
  /** extra attempts for idempotent calls (default 3) */
  retries?: number;
  auth?: SessionAuth;
  /** default response cap for JSON and byte responses (default 16 MiB) */
  maxBytes?: number;
  /** longest server-requested wait (Retry-After / RateLimit-Reset) we sit through (default 60 s) */
  maxWaitMs?: number;
  /** first back-off step (default 500 ms; doubles each attempt, capped at 10 s, with jitter) */
  backoffBaseMs?: number;
  /**
   * Headers sent with every call (an `atproto-proxy` target, admin Basic auth, user-given extras);
   * a call's own headers win. Values are never logged or put in errors.
   */
  headers?: Record<string, string>;
}

export interface XrpcCallOptions {
  maxBytes?: number;
  headers?: Record<string, string>;
}

export interface XrpcProcedureOptions extends XrpcCallOptions {
  /** the procedure may safely be repeated: enables retries */
  idempotent?: boolean;
}

export interface XrpcBytesBody {
  bytes: Uint8Array;
  contentType: string;
}

export interface XrpcStreamResult {
  body: AsyncIterable<Uint8Array>;
  contentLength: number | null;
  headers: Record<string, string>;
}

const NSID_RE = /^[a-zA-Z](?:[a-zA-Z0-9-]{0,62})(?:\.[a-zA-Z0-9-]{1,63})+$/;

function isBytesBody(v: unknown): v is XrpcBytesBody {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { bytes?: unknown }).bytes instanceof Uint8Array &&
    typeof (v as { contentType?: unknown }).contentType === 'string'
  );
}

/** Parse `Retry-After` (seconds or HTTP date) and `RateLimit-Reset` (epoch seconds, or delta seconds) into a wait in ms. */
export function serverWaitMs(headers: Record<string, string>, now = Date.now()): { waitMs: number; resetAt: Date } | null {
  const ra = headers['retry-after']?.trim();
  if (ra !== undefined && ra !== '') {
    if (/^[0-9]+$/.test(ra)) {
      const ms = Number(ra) * 1000;
      return { waitMs: ms, resetAt: new Date(now + ms) };
    }
    const t = Date.parse(ra);
    if (!Number.isNaN(t)) return { waitMs: Math.max(0, t - now), resetAt: new Date(t) };
  }
  const reset = headers['ratelimit-reset']?.trim();
  if (reset !== undefined && /^[0-9]+(\.[0-9]+)?$/.test(reset)) {
    const n = Number(reset);
    // atproto PDSes send epoch seconds; the IETF draft sends delta seconds.
    const at = n > 1_000_000_000 ? n * 1000 : now + n * 1000;
    return { waitMs: Math.max(0, at - now), resetAt: new Date(at) };
  }
  return null;
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

function isRetryableError(err: unknown): boolean {
  return err instanceof AtcliError && (err.code === 'NetworkError' || err.code === 'Timeout');
}


type Payload = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'bytes'; bytes: Uint8Array; contentType: string };

interface CallSpec {
  method: 'GET' | 'POST';
  nsid: string;
  params: XrpcParams | undefined;
  payload: Payload;
  idempotent: boolean;
  headers: Record<string, string> | undefined;
  maxBytes: number | undefined;
  stream: boolean;
}

type Outcome =
  | { kind: 'buffered'; res: HttpResponse }
  | { kind: 'stream'; status: number; headers: Record<string, string>; body: AsyncIterable<Uint8Array>; contentLength: number | null };

export class XrpcClient {
  readonly service: string;
  readonly http: HttpConfig;
  readonly auth: SessionAuth | undefined;
  private readonly retries: number;
  private readonly maxBytes: number;
  private readonly maxWaitMs: number;
  private readonly backoffBaseMs: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(opts: XrpcClientOptions) {
    // Checked as written, before anything normalises it (url-policy.ts).
    this.service = checkServiceUrl(opts.service, { dev: opts.http.allowPrivateNetwork }, 'the service URL').origin;
    this.http = opts.http;
    this.auth = opts.auth;
    this.retries = Math.max(0, opts.retries ?? 3);
    this.maxBytes = opts.maxBytes ?? DEFAULT_JSON_MAX_BYTES;
    this.maxWaitMs = opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.backoffBaseMs = opts.backoffBaseMs ?? 500;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    this.headers = headers;
  }

  /** GET /xrpc/<nsid>: JSON response. */
  async query<T = unknown>(nsid: string, params?: XrpcParams, opts: XrpcCallOptions = {}): Promise<T> {
    const res = await this.buffered({
      method: 'GET',
      nsid,
      params,
      payload: { kind: 'none' },
      idempotent: true,
      headers: opts.headers,
      maxBytes: opts.maxBytes,
      stream: false,
    });
    return this.parseJson<T>(nsid, res, false);
  }

  /** POST /xrpc/<nsid> with a JSON body (or raw bytes); JSON (or empty) response. */
  async procedure<T = unknown>(nsid: string, body?: unknown, opts: XrpcProcedureOptions = {}): Promise<T> {
    const payload: Payload =
      body === undefined
        ? { kind: 'none' }
        : isBytesBody(body)
          ? { kind: 'bytes', bytes: body.bytes, contentType: body.contentType }
          : { kind: 'json', value: body };
    const res = await this.buffered({
      method: 'POST',
      nsid,
      params: undefined,
      payload,
      idempotent: opts.idempotent === true,
      headers: opts.headers,
      maxBytes: opts.maxBytes,
      stream: false,
    });
    return this.parseJson<T>(nsid, res, true);
  }

  /** GET /xrpc/<nsid> returning raw bytes (blobs, small CARs). */
  async queryBytes(
    nsid: string,
    params?: XrpcParams,
    opts: XrpcCallOptions = {},
  ): Promise<{ body: Uint8Array; contentType: string }> {
    const res = await this.buffered({
      method: 'GET',
      nsid,
      params,
      payload: { kind: 'none' },
      idempotent: true,
      headers: opts.headers,
      maxBytes: opts.maxBytes,
      stream: false,
    });
    return { body: res.body, contentType: res.headers['content-type'] ?? 'application/octet-stream' };
  }

  /**
   * GET /xrpc/<nsid> with the body as a stream (repo exports, big blobs). Retries apply until the
   * response headers arrive; the body itself is not retried. `maxBytes` is optional here.
   */
  async queryStream(nsid: string, params?: XrpcParams, opts: XrpcCallOptions = {}): Promise<XrpcStreamResult> {
    const out = await this.call({
      method: 'GET',
      nsid,
      params,
      payload: { kind: 'none' },
      idempotent: true,
      headers: opts.headers,
      maxBytes: opts.maxBytes,
      stream: true,
    });
    if (out.kind !== 'stream') throw new Error('unreachable');
    return { body: out.body, contentLength: out.contentLength, headers: out.headers };
  }

  // -------------------------------------------------------------------------------------------

  private url(nsid: string, params: XrpcParams | undefined): string {
    if (!NSID_RE.test(nsid)) throw usage('InvalidNsid', `not a valid NSID: ${sanitizeRemoteText(nsid, 100)}`);
    const u = new URL(`/xrpc/${nsid}`, this.service);
    for (const [k, v] of Object.entries(params ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) u.searchParams.append(k, item);
      else u.searchParams.append(k, typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v));
    }
    return u.href;
  }

  private async buffered(spec: CallSpec): Promise<HttpResponse> {
    const out = await this.call(spec);
    if (out.kind !== 'buffered') throw new Error('unreachable');
    return out.res;
  }

  private parseJson<T>(nsid: string, res: HttpResponse, allowEmpty: boolean): T {
    if (res.body.byteLength === 0 && allowEmpty) return undefined as T;
    const text = Buffer.from(res.body.buffer, res.body.byteOffset, res.body.byteLength).toString('utf8');
    try {
      return JSON.parse(text) as T;
    } catch {
      const ct = res.headers['content-type'] ?? 'no content type';
      throw runtime('InvalidResponse', `${nsid}: ${new URL(res.url).host} answered HTTP ${res.status} with a body that is not JSON (${sanitizeRemoteText(ct, 60)})`, {
        hint: 'check that the service URL points at an atproto service',
        details: { nsid, status: res.status, url: res.url },
      });
    }
  }

  private backoff(attempt: number): number {
    const cap = Math.min(10_000, this.backoffBaseMs * 2 ** attempt);
    return cap / 2 + Math.random() * (cap / 2);
  }

  /**
   * One request, retries included, within `http.timeoutMs` (the timeout is per request, not per
   * attempt): each attempt gets what is left, and no back-off or server-requested wait is sat
   * through past the deadline.
   */
  private async call(spec: CallSpec): Promise<Outcome> {
    const url = this.url(spec.nsid, spec.params);
    const timeoutMs = checkTimeoutMs(this.http.timeoutMs, 'the request timeout');
    const deadlineAt = Date.now() + timeoutMs;
    let attempt = 0;
    let refreshed = false;
    let lastError: unknown;
    const timedOut = (): AtcliError =>
      runtime('Timeout', `${spec.nsid}: no answer from ${new URL(url).host} within ${timeoutMs / 1000} s (${attempt + 1} attempt${attempt === 0 ? '' : 's'})`, {
        details: { url, cause: 'Timeout', attempts: attempt + 1 },
        ...(lastError !== undefined ? { cause: lastError } : {}),
      });
    /** Waits `ms` before another attempt when the deadline leaves room for one; false otherwise. */
    const waitForRetry = async (ms: number): Promise<boolean> => {
      if (Date.now() + ms >= deadlineAt) return false;
      await sleep(ms, this.http.signal);
      attempt++;
      return true;
    };
    for (;;) {
      const remaining = deadlineAt - Date.now();
      if (remaining <= 0) throw timedOut();
      const http: HttpConfig = { ...this.http, timeoutMs: remaining };
      const headers: Record<string, string> = { ...this.headers };
      for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k.toLowerCase()] = v;
      let session: SessionData | undefined;
      if (this.auth && headers['authorization'] === undefined) {
        session = await this.auth.session();
        headers['authorization'] = `Bearer ${session.accessJwt}`;
      }
      let body: Uint8Array | string | undefined;
      if (spec.payload.kind === 'json') {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(spec.payload.value);
      } else if (spec.payload.kind === 'bytes') {
        headers['content-type'] = spec.payload.contentType;
        body = spec.payload.bytes;
      }
      if (spec.method === 'GET' || spec.stream) headers['accept'] ??= spec.stream ? '*/*' : 'application/json';

      let status: number;
      let resHeaders: Record<string, string>;
      let errBody: Uint8Array | undefined;
      try {
        if (spec.stream) {
          const r = await httpRequestStream(http, { url, method: spec.method, headers, body, maxBytes: spec.maxBytes });
          status = r.status;
          resHeaders = r.headers;
          if (status >= 200 && status < 300) {
            return { kind: 'stream', status, headers: r.headers, body: r.body, contentLength: r.contentLength };
          }
          errBody = await readCapped(r.body, ERROR_BODY_MAX_BYTES);
        } else {
          const r = await httpRequest(http, {
            url,
            method: spec.method,
            headers,
            body,
            maxBytes: spec.maxBytes ?? this.maxBytes,
          });
          status = r.status;
          resHeaders = r.headers;
          if (status >= 200 && status < 300) return { kind: 'buffered', res: r };
          errBody = r.body;
        }
      } catch (err) {
        if (spec.idempotent && attempt < this.retries && isRetryableError(err)) {
          lastError = err;
          if (await waitForRetry(this.backoff(attempt))) continue;
          if (isAtcliError(err) && err.code === 'Timeout') throw timedOut();
        }
        throw err;
      }
      const parsed = parseErrorBody(errBody, resHeaders['content-type']);

      // Expired access token: refresh once (under the session lock) and repeat the call.
      if (this.auth && session && !refreshed && (status === 400 || status === 401) && needsRefresh(parsed.error, session.accessJwt)) {
        await this.auth.refresh(session, this.http);
        refreshed = true;
        continue;
      }

      if (isRetryableStatus(status)) {
        const server = serverWaitMs(resHeaders);
        if (server && server.waitMs > this.maxWaitMs) {
          throw this.error(spec.nsid, url, status, parsed, {
            hint: `the server asks to wait until ${server.resetAt.toISOString()}; try again after that`,
            details: { retryAt: server.resetAt.toISOString() },
          });
        }
        if (spec.idempotent && attempt < this.retries) {
          const wait = server ? Math.max(server.waitMs, 50) : this.backoff(attempt);
          if (await waitForRetry(wait)) continue;
        }
        if (status === 429) {
          throw this.error(spec.nsid, url, status, parsed, {
            hint: server
              ? `rate limited; try again after ${server.resetAt.toISOString()}`
              : 'rate limited; wait a little and try again',
            details: server ? { retryAt: server.resetAt.toISOString() } : {},
          });
        }
      }
      throw this.error(spec.nsid, url, status, parsed, {});
    }
  }

  private error(
    nsid: string,
    url: string,
    status: number,
    parsed: ReturnType<typeof parseErrorBody>,
    extra: { hint?: string; details?: Record<string, unknown> },
  ): XrpcError {
    const host = new URL(url).host;
    let message: string;
    if (parsed.error !== undefined || parsed.message !== undefined) {
      const what = parsed.message ?? parsed.error ?? '';
      const tag = parsed.error !== undefined && parsed.error !== what ? `${parsed.error}, ` : '';
      message = `${nsid}: ${what} (${tag}HTTP ${status})`;
    } else {
      const st = statusText(status);
      message = `${nsid}: ${host} answered HTTP ${status}${st ? ` ${st}` : ''} with ${parsed.nonJson ?? 'no XRPC error body'}`;
    }
    let hint = extra.hint;
    if (hint === undefined) {
      if (status === 401 || parsed.error === 'AuthRequired' || parsed.error === 'AuthMissing') {
        hint = this.auth ? 'the server refused the session: log in again' : 'this method needs an authenticated session';
      } else if (status >= 500 && status !== 501) {
        hint = 'the server had a problem; try again later';
      } else if (status === 501 || parsed.error === 'MethodNotImplemented') {
        hint = `${host} does not implement ${nsid}`;
      }
    }
    return new XrpcError({ status, xrpcError: parsed.error, nsid, message, hint, details: { url, ...(extra.details ?? {}) } });
  }
}

/** Whether an XRPC error means "refresh the access token and try again". */
export function needsRefresh(error: string | undefined, accessJwt: string): boolean {
  if (error === 'ExpiredToken') return true;
  if (error === 'InvalidToken') return jwtExpired(accessJwt);
  return false;
}

/** Best-effort read of a JWT's `exp` (tokens are opaque; this is only a hint). */
export function jwtExpiry(jwt: string): number | undefined {
  const part = jwt.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    const exp = (payload as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

export function jwtExpired(jwt: string, now = Date.now()): boolean {
  const exp = jwtExpiry(jwt);
  return exp !== undefined && exp * 1000 <= now + 5_000;
}

async function readCapped(body: AsyncIterable<Uint8Array>, cap: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const it = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const { value, done } = await it.next();
      if (done) break;
      const take = Math.min(value.byteLength, cap - total);
      chunks.push(value.subarray(0, take));
      total += take;
      if (total >= cap) break;
    }
  } catch {
    /* a broken error body is still an error; keep what we have */
  } finally {
    await it.return?.();
  }
  return Buffer.concat(chunks);
}
