/**
 * The single HTTP primitive of atcli (DESIGN "Conventions: Network", invariants §4.D N1–N3).
 *
 * - undici `request` on our own `Agent`s (never global fetch);
 * - a deadline on every request; bodies read as streams and cut off at `maxBytes`; a streamed
 *   body must also keep a minimum rate and finish within an overall transfer deadline, so a
 *   server that trickles a byte at a time cannot hold a download open;
 * - `http://` only to loopback hosts unless `allowPrivateNetwork`;
 * - SSRF: the resolved address is checked at connect time (custom connector + `lookup`), so DNS
 *   rebinding cannot slip past a check made earlier;
 * - `connectTo` (curl `--connect-to`) rewrites only the TCP destination: URL, Host header and TLS SNI
 *   stay as written;
 * - redirects are manual, re-checked hop by hop, never downgrade https, never carry credentials to
 *   another origin.
 *
 * Nothing here logs or throws header values or bodies.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, request as undiciRequest } from 'undici';
import { AtcliError, runtime, usage } from '../errors.js';
import { isLoopbackAddress, isLoopbackHostname, isPublicAddress } from './address.js';
import { checkUrlPolicy, urlError } from './url-policy.js';

/** curl `--connect-to` semantics: connections for HOST:PORT go to TOHOST:TOPORT instead. */
export interface ConnectRule {
  /** '' = any host */
  host: string;
  /** null = any port */
  port: number | null;
  /** '' = keep the original host */
  toHost: string;
  /** 0 = keep the original port */
  toPort: number;
}

export interface HttpConfig {
  /**
   * The deadline of one request: connecting, the response headers and (for buffered requests)
   * the whole body. Positive and below 2^31 ms (see {@link checkTimeoutMs}).
   */
  timeoutMs: number;
  /**
   * A streamed body (repository exports, blobs) must arrive at this many bytes per second at
   * least, measured over the time spent waiting for the server in windows of `timeoutMs`
   * (default {@link DEFAULT_MIN_BYTES_PER_SECOND}; 0 turns the check off).
   */
  minBytesPerSecond?: number;
  /**
   * The overall deadline of one streamed transfer, from the request to the last byte (default
   * {@link DEFAULT_TRANSFER_TIMEOUT_MS}).
   */
  transferTimeoutMs?: number;
  userAgent: string;
  /** dev: loopback/private targets and http:// allowed to any host */
  allowPrivateNetwork: boolean;
  connectTo: ConnectRule[];
  /** one line per request: method url status ms; never headers or bodies */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  maxBytes: number;
  /**
   * How many redirects to follow (default 0). With 0 a 3xx response is returned to the caller
   * as it is; with n > 0 the (n+1)th redirect is a 'TooManyRedirects' error.
   */
  maxRedirects?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** final URL after redirects */
  url: string;
  body: Uint8Array;
}

export interface HttpStreamResponse {
  status: number;
  headers: Record<string, string>;
  url: string;
  body: AsyncIterable<Uint8Array>;
  contentLength: number | null;
}

/** Node timers hold at most 2^31 − 1 ms; a longer delay fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** A server slower than this over a whole window is not sending a real response. */
export const DEFAULT_MIN_BYTES_PER_SECOND = 1024;
/** Two hours: a multi-gigabyte repository at 1 MB/s. */
export const DEFAULT_TRANSFER_TIMEOUT_MS = 2 * 60 * 60 * 1000;

/**
 * `ms` when it is a usable timer delay (a positive number of milliseconds below 2^31), else a
 * usage error 'InvalidTimeout'. `what` names the value in the message.
 */
export function checkTimeoutMs(ms: number, what = 'the timeout'): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw usage('InvalidTimeout', `${what} must be a positive number of milliseconds, got ${String(ms)}`);
  }
  if (ms > MAX_TIMER_MS) {
    throw usage('InvalidTimeout', `${what} of ${ms} ms is beyond what a timer can hold (at most ${MAX_TIMER_MS} ms, about 24.8 days)`, {
      details: { maxMs: MAX_TIMER_MS },
    });
  }
  return ms;
}

function checkHttpTimeouts(config: HttpConfig): void {
  checkTimeoutMs(config.timeoutMs, 'the request timeout');
  if (config.transferTimeoutMs !== undefined) checkTimeoutMs(config.transferTimeoutMs, 'the transfer deadline');
  const rate = config.minBytesPerSecond;
  if (rate !== undefined && (!Number.isFinite(rate) || rate < 0)) {
    throw usage('InvalidRate', `the minimum transfer rate must be zero or a positive number of bytes per second, got ${String(rate)}`);
  }
}

/** Thrown (as `cause.code`) by our connector when a destination address is not allowed. */
const BLOCKED_CODE = 'ERR_ATCLI_BLOCKED_ADDRESS';

class BlockedAddressError extends Error {
  readonly code = BLOCKED_CODE;
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`refusing to connect to non-public address ${address}`);
  }
}

// ---------------------------------------------------------------------------------------------
// connect-to rules

/** Parse "HOST1:PORT1:HOST2:PORT2" (empty HOST1/PORT1 = any; empty HOST2/PORT2 = unchanged; IPv6 in []). */
export function parseConnectTo(spec: string): ConnectRule {
  const parts: string[] = [];
  let i = 0;
  const s = spec.trim();
  while (parts.length < 4) {
    if (s[i] === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) throw badConnectTo(spec);
      parts.push(s.slice(i + 1, end));
      i = end + 1;
      if (parts.length < 4) {
        if (s[i] !== ':') throw badConnectTo(spec);
        i++;
      } else if (i !== s.length) throw badConnectTo(spec);
    } else {
      const end = parts.length < 3 ? s.indexOf(':', i) : s.length;
      if (end < 0) throw badConnectTo(spec);
      parts.push(s.slice(i, end));
      i = end + 1;
    }
  }
  const [host, port, toHost, toPort] = parts as [string, string, string, string];
  const parsePort = (p: string, allowEmpty: boolean): number | null => {
    if (p === '') {
      if (allowEmpty) return null;
      throw badConnectTo(spec);
    }
    if (!/^[0-9]{1,5}$/.test(p)) throw badConnectTo(spec);
    const n = Number(p);
    if (n < 1 || n > 65535) throw badConnectTo(spec);
    return n;
  };
  if (/[\s/@]/.test(host) || /[\s/@]/.test(toHost)) throw badConnectTo(spec);
  return {
    host: host.toLowerCase(),
    port: parsePort(port, true),
    toHost: toHost.toLowerCase(),
    toPort: parsePort(toPort, true) ?? 0,
  };
}

function badConnectTo(spec: string): AtcliError {
  return usage('InvalidConnectTo', `invalid connect-to rule '${spec}'`, {
    hint: 'use HOST1:PORT1:HOST2:PORT2, e.g. example.com:443:127.0.0.1:8443 (empty HOST1/PORT1 match any)',
  });
}

function matchRule(rules: ConnectRule[], hostname: string, port: number): ConnectRule | undefined {
  const h = hostname.toLowerCase();
  return rules.find((r) => (r.host === '' || r.host === h) && (r.port === null || r.port === port));
}

// ---------------------------------------------------------------------------------------------
// agents

interface Policy {
  allowPrivateNetwork: boolean;
  /** the URL itself names a loopback host: loopback addresses (only) are fine */
  allowLoopback: boolean;
  connectTo: ConnectRule[];
  connectTimeoutMs: number;
}

const agents = new Map<string, Agent>();

function checkAddress(policy: Policy, address: string): boolean {
  if (policy.allowPrivateNetwork) return true;
  if (isPublicAddress(address)) return true;
  return policy.allowLoopback && isLoopbackAddress(address);
}

function makeAgent(policy: Policy, webSocket?: { maxPayloadSize: number }): Agent {
  const guardedLookup = (
    hostname: string,
    options: { all?: boolean; family?: number | string; hints?: number },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family as number | undefined);
    dnsLookup(hostname, { all: true, family: family ?? 0, hints: options.hints ?? 0 }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : '');
      const ok = addresses.filter((a) => checkAddress(policy, a.address));
      if (ok.length === 0) {
        const first = addresses[0]?.address ?? hostname;
        return callback(new BlockedAddressError(hostname, first), options.all ? [] : '');
      }
      if (options.all) return callback(null, ok);
      const a = ok[0]!;
      callback(null, a.address, a.family);
    });
  };
  const base = buildConnector({
    timeout: policy.connectTimeoutMs,
    lookup: guardedLookup as never,
    // Happy-eyeballs would call lookup with all:true; our lookup handles both forms.
  });
  const connector: buildConnector.connector = (opts, callback) => {
    const origPort = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const rule = matchRule(policy.connectTo, opts.hostname, origPort);
    const hostname = rule && rule.toHost !== '' ? rule.toHost.replace(/^\[(.*)\]$/, '$1') : opts.hostname;
    const port = rule && rule.toPort !== 0 ? rule.toPort : origPort;
    // IP literals never go through `lookup`, so check them here.
    if (isIP(hostname) !== 0 && !checkAddress(policy, hostname)) {
      queueMicrotask(() => callback(new BlockedAddressError(opts.hostname, hostname), null));
      return;
    }
    const sni = isIP(opts.hostname) === 0 ? opts.hostname : undefined;
    base(
      {
        ...opts,
        hostname,
        port: String(port),
        ...(sni !== undefined ? { servername: opts.servername || sni } : {}),
      },
      callback,
    );
  };
  return new Agent({ connect: connector, connections: 16, ...(webSocket ? { webSocket } : {}) });
}

function agentFor(policy: Policy): Agent {
  const key = JSON.stringify(policy);
  let a = agents.get(key);
  if (!a) {
    a = makeAgent(policy);
    agents.set(key, a);
  }
  return a;
}

/**
 * A dispatcher for undici's WebSocket with the same connect-time address checks and
 * `--connect-to` rules as every HTTP request; `ws://` counts as `http://` (loopback only unless
 * allowPrivateNetwork). The caller owns it: `destroy()` it when the subscription ends.
 */
export function webSocketDispatcher(
  config: Pick<HttpConfig, 'allowPrivateNetwork' | 'connectTo' | 'timeoutMs'>,
  url: string,
  maxPayloadSize: number,
): Agent {
  checkTimeoutMs(config.timeoutMs, 'the connect timeout');
  const u = new URL(url);
  return makeAgent(
    {
      allowPrivateNetwork: config.allowPrivateNetwork,
      allowLoopback: (u.protocol === 'ws:' || u.protocol === 'http:') && isLoopbackHostname(u.hostname),
      connectTo: config.connectTo,
      connectTimeoutMs: config.timeoutMs,
    },
    { maxPayloadSize },
  );
}

/** Close every agent so the process can exit. Safe to call more than once. */
export async function closeHttp(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close().catch(() => a.destroy().catch(() => undefined))));
}

// ---------------------------------------------------------------------------------------------
// URL checks

/** How a URL appears in messages and logs (userinfo is refused earlier, so nothing secret remains). */
function displayUrl(u: URL): string {
  return u.href;
}

/** The URL of a request as the caller gave it: checked against the URL policy before parsing. */
function parseUrl(raw: string, config: HttpConfig): URL {
  const checked = checkUrlPolicy(raw, { dev: config.allowPrivateNetwork, source: 'user', shape: 'request' });
  if ('problem' in checked) throw urlError(raw, checked.problem, 'the request URL');
  return checked.ok.url;
}

/**
 * The next hop of a redirect. An absolute `Location` is checked as written, before it is resolved
 * (resolution would normalise `0x7f.1` into `127.0.0.1`); a redirect may reach a loopback host only
 * from one. Relative locations keep the host.
 */
function redirectTarget(location: string, from: URL, config: HttpConfig, loopbackOk: boolean): URL {
  if (/[\x00-\x20\x7f\\]/.test(location)) throw new Error('the Location header contains spaces, control characters or backslashes');
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(location) ? location : location.startsWith('//') ? `${from.protocol}${location}` : null;
  if (absolute === null) return new URL(location, from);
  const checked = checkUrlPolicy(absolute, { dev: config.allowPrivateNetwork, source: loopbackOk ? 'user' : 'remote', shape: 'request' });
  if ('problem' in checked) throw new Error(`the redirect target ${checked.problem.reason}`);
  return checked.ok.url;
}

// ---------------------------------------------------------------------------------------------
// errors

function errCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_CONNECT') return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      e = errors[0];
      continue;
    }
    e = (e as { cause?: unknown }).cause;
  }
  const top = (err as { code?: unknown } | null)?.code;
  return typeof top === 'string' ? top : undefined;
}

function findBlocked(err: unknown): BlockedAddressError | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    if (e instanceof BlockedAddressError) return e;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      const b = errors.find((x) => x instanceof BlockedAddressError);
      if (b) return b as BlockedAddressError;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

interface Deadline {
  signal: AbortSignal;
  timedOut(): boolean;
  clear(): void;
}

function makeDeadline(config: HttpConfig): Deadline {
  const ctl = new AbortController();
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    ctl.abort(new DOMException('request timed out', 'TimeoutError'));
  }, config.timeoutMs);
  timer.unref?.();
  const outer = config.signal;
  const onAbort = (): void => ctl.abort(outer?.reason);
  if (outer) {
    if (outer.aborted) ctl.abort(outer.reason);
    else outer.addEventListener('abort', onAbort, { once: true });
  }
  return {
    signal: ctl.signal,
    timedOut: () => fired,
    clear: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

function mapError(err: unknown, u: URL, config: HttpConfig, deadline: Deadline | null): AtcliError {
  if (err instanceof AtcliError) return err;
  const url = displayUrl(u);
  if (config.signal?.aborted) {
    return new AtcliError('interrupted', 'Interrupted', `request to ${url} was interrupted`);
  }
  const code = errCode(err);
  if ((deadline && deadline.timedOut()) || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return runtime('Timeout', `request to ${url} timed out after ${(config.timeoutMs / 1000).toFixed(config.timeoutMs % 1000 ? 1 : 0)} s`, {
      hint: 'retry later, or allow more time',
      details: { url, cause: 'Timeout' },
    });
  }
  const blocked = findBlocked(err);
  if (blocked) {
    return runtime('BlockedAddress', `refusing to connect to ${blocked.host} at non-public address ${blocked.address} (${url})`, {
      hint: 'private, loopback and link-local addresses are only reachable in development mode',
      details: { url, address: blocked.address },
    });
  }
  const c = code ?? 'UnknownError';
  const what =
    c === 'ENOTFOUND'
      ? 'host not found'
      : c === 'ECONNREFUSED'
        ? 'connection refused'
        : c === 'ECONNRESET' || c === 'UND_ERR_SOCKET'
          ? 'connection reset'
          : c === 'EAI_AGAIN'
            ? 'DNS lookup failed temporarily'
            : c.startsWith('ERR_TLS') || c.includes('CERT') || c.startsWith('ERR_SSL')
              ? 'TLS error'
              : 'network error';
  return runtime('NetworkError', `request to ${url} failed: ${what} (${c})`, {
    details: { url, cause: c },
    cause: err,
  });
}

// ---------------------------------------------------------------------------------------------
// request

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

const SENSITIVE_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'atproto-proxy-authorization']);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  url: URL;
  body: AsyncIterable<Uint8Array> & { destroy(err?: Error): unknown; dump(opts?: { limit: number }): Promise<void> };
  started: number;
  method: string;
}

async function send(
  config: HttpConfig,
  req: Omit<HttpRequest, 'maxBytes'>,
  signal: AbortSignal,
  deadline: Deadline,
  bodyIdleTimeoutMs: number,
): Promise<RawResponse> {
  let u = parseUrl(req.url, config);
  // A loopback host the caller named (http://localhost:2583) is reachable without development mode;
  // nothing else may reach loopback addresses (see url-policy.ts).
  const firstIsLoopback = isLoopbackHostname(u.hostname);
  let method = (req.method ?? 'GET').toUpperCase();
  let body = req.body;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['user-agent'] = config.userAgent;
  const maxRedirects = req.maxRedirects ?? 0;
  let hops = 0;
  let loopbackOk = firstIsLoopback;
  for (;;) {
    const policy: Policy = {
      allowPrivateNetwork: config.allowPrivateNetwork,
      allowLoopback: loopbackOk && isLoopbackHostname(u.hostname),
      connectTo: config.connectTo,
      connectTimeoutMs: config.timeoutMs,
    };
    const started = Date.now();
    let res;
    try {
      res = await undiciRequest(u, {
        method: method as never,
        headers,
        body: body === undefined ? null : body,
        signal,
        dispatcher: agentFor(policy),
        headersTimeout: config.timeoutMs,
        bodyTimeout: bodyIdleTimeoutMs,
      });
    } catch (err) {
      const e = mapError(err, u, config, deadline);
      config.log?.(`${method} ${displayUrl(u)} ${e.code} ${Date.now() - started}ms`);
      throw e;
    }
    const resHeaders = flattenHeaders(res.headers as Record<string, string | string[] | undefined>);
    const location = resHeaders['location'];
    if (REDIRECT_STATUS.has(res.statusCode) && location !== undefined && maxRedirects > 0) {
      config.log?.(`${method} ${displayUrl(u)} ${res.statusCode} ${Date.now() - started}ms`);
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      hops++;
      if (hops > maxRedirects) {
        throw runtime('TooManyRedirects', `too many redirects (more than ${maxRedirects}) starting at ${req.url}`, {
          details: { url: req.url, last: displayUrl(u) },
        });
      }
      let next: URL;
      try {
        next = redirectTarget(location, u, config, loopbackOk);
      } catch (err) {
        throw runtime('InvalidRedirect', `invalid redirect from ${displayUrl(u)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err, details: { url: displayUrl(u) } });
      }
      if (u.protocol === 'https:' && next.protocol !== 'https:') {
        throw runtime('InsecureRedirect', `refusing redirect from https to ${next.protocol.replace(/:$/, '')} (${displayUrl(u)} → ${displayUrl(next)})`, {
          details: { url: displayUrl(u), location: displayUrl(next) },
        });
      }
      if (next.origin !== u.origin) {
        for (const h of SENSITIVE_HEADERS) delete headers[h];
      }
      if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        delete headers['content-type'];
        delete headers['content-length'];
      }
      // A hop may reach loopback only if we were already talking to a loopback host.
      loopbackOk = loopbackOk && isLoopbackHostname(u.hostname);
      u = next;
      continue;
    }
    return { status: res.statusCode, headers: resHeaders, url: u, body: res.body as never, started, method };
  }
}

function tooLarge(u: URL, maxBytes: number): AtcliError {
  return runtime('ResponseTooLarge', `response from ${displayUrl(u)} exceeds the limit of ${maxBytes} bytes`, {
    details: { url: displayUrl(u), maxBytes },
  });
}

function contentLengthOf(headers: Record<string, string>): number | null {
  const v = headers['content-length'];
  if (v === undefined || !/^[0-9]+$/.test(v.trim())) return null;
  return Number(v.trim());
}

/**
 * Stops reading a body we no longer want. undici reports the resulting abort as an 'error'
 * event; without a listener that would surface as an uncaught exception.
 */
function discardBody(body: { destroy(err?: Error): unknown }): void {
  const emitter = body as { on?: (event: string, listener: () => void) => unknown };
  emitter.on?.('error', () => undefined);
  body.destroy();
}

/** One request; the body is read into memory but never beyond `maxBytes`. */
export async function httpRequest(config: HttpConfig, req: HttpRequest): Promise<HttpResponse> {
  checkHttpTimeouts(config);
  const deadline = makeDeadline(config);
  let raw: RawResponse | undefined;
  try {
    raw = await send(config, req, deadline.signal, deadline, config.timeoutMs);
    const declared = contentLengthOf(raw.headers);
    if (declared !== null && declared > req.maxBytes) {
      discardBody(raw.body);
      throw tooLarge(raw.url, req.maxBytes);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of raw.body) {
        total += chunk.byteLength;
        if (total > req.maxBytes) {
          discardBody(raw.body);
          throw tooLarge(raw.url, req.maxBytes);
        }
        chunks.push(chunk);
      }
    } catch (err) {
      throw mapError(err, raw.url, config, deadline);
    }
    const body = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      body.set(c, off);
      off += c.byteLength;
    }
    config.log?.(`${raw.method} ${displayUrl(raw.url)} ${raw.status} ${Date.now() - raw.started}ms`);
    return { status: raw.status, headers: raw.headers, url: raw.url.href, body };
  } catch (err) {
    if (raw && err instanceof AtcliError) {
      config.log?.(`${raw.method} ${displayUrl(raw.url)} ${raw.status} ${err.code} ${Date.now() - raw.started}ms`);
    }
    throw err;
  } finally {
    deadline.clear();
  }
}

/**
 * A request whose body is consumed as a stream with back-pressure (CAR exports, blobs).
 * The deadline (`timeoutMs`) covers connect and headers. While the body streams:
 * - `timeoutMs` is also the longest wait for the next chunk;
 * - the server must keep `minBytesPerSecond`, measured only over the time spent waiting for it
 *   (a slow consumer does not count against the server), in windows of `timeoutMs`;
 * - the whole transfer, request to last byte, must end within `transferTimeoutMs`.
 * `maxBytes`, when given, aborts the stream as soon as it is exceeded.
 * The caller must consume the body or break out of the loop (which releases the connection).
 */
export async function httpRequestStream(
  config: HttpConfig,
  req: Omit<HttpRequest, 'maxBytes'> & { maxBytes?: number },
): Promise<HttpStreamResponse> {
  checkHttpTimeouts(config);
  const started = Date.now();
  const transferTimeoutMs = config.transferTimeoutMs ?? DEFAULT_TRANSFER_TIMEOUT_MS;
  const minRate = config.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
  // The signal must outlive the headers phase (so Ctrl-C and the transfer deadline still abort
  // the body), but the header deadline timer must not: a separate controller forwards them.
  const headerDeadline = makeDeadline(config);
  const streamCtl = new AbortController();
  const outer = config.signal;
  const onOuterAbort = (): void => streamCtl.abort(outer?.reason);
  const onDeadline = (): void => streamCtl.abort(headerDeadline.signal.reason);
  headerDeadline.signal.addEventListener('abort', onDeadline, { once: true });
  if (outer) outer.addEventListener('abort', onOuterAbort, { once: true });
  let transferExpired = false;
  const transferTimer = setTimeout(() => {
    transferExpired = true;
    streamCtl.abort(new DOMException('transfer deadline passed', 'TimeoutError'));
  }, transferTimeoutMs);
  transferTimer.unref?.();
  const release = (): void => {
    clearTimeout(transferTimer);
    outer?.removeEventListener('abort', onOuterAbort);
  };
  let raw: RawResponse;
  try {
    raw = await send(config, req, streamCtl.signal, headerDeadline, config.timeoutMs);
  } catch (err) {
    release();
    throw err;
  } finally {
    headerDeadline.signal.removeEventListener('abort', onDeadline);
    headerDeadline.clear();
  }
  const maxBytes = req.maxBytes;
  const contentLength = contentLengthOf(raw.headers);
  const r = raw;
  if (maxBytes !== undefined && contentLength !== null && contentLength > maxBytes) {
    discardBody(r.body);
    release();
    throw tooLarge(r.url, maxBytes);
  }
  config.log?.(`${r.method} ${displayUrl(r.url)} ${r.status} ${Date.now() - r.started}ms (streaming)`);
  const noDeadline: Deadline = { signal: streamCtl.signal, timedOut: () => false, clear: () => undefined };
  const url = displayUrl(r.url);
  const transferTimeout = (): AtcliError =>
    runtime('TransferTimeout', `the transfer from ${url} did not finish within ${formatSeconds(transferTimeoutMs)}`, {
      details: { url, transferTimeoutMs, elapsedMs: Date.now() - started },
    });
  async function* iterate(): AsyncGenerator<Uint8Array> {
    let total = 0;
    let windowWaitMs = 0;
    let windowBytes = 0;
    const it = r.body[Symbol.asyncIterator]();
    try {
      for (;;) {
        const askedAt = performance.now();
        const next = await it.next();
        if (next.done === true) break;
        const chunk = next.value;
        windowWaitMs += performance.now() - askedAt;
        windowBytes += chunk.byteLength;
        total += chunk.byteLength;
        if (maxBytes !== undefined && total > maxBytes) {
          discardBody(r.body);
          throw tooLarge(r.url, maxBytes);
        }
        if (windowWaitMs >= config.timeoutMs) {
          const rate = (windowBytes * 1000) / windowWaitMs;
          if (minRate > 0 && rate < minRate) {
            discardBody(r.body);
            throw runtime('TransferTooSlow', `${url} sent ${windowBytes} bytes in ${formatSeconds(windowWaitMs)} (${rate.toFixed(1)} bytes/s, less than the minimum of ${minRate} bytes/s)`, {
              details: { url, bytes: windowBytes, ms: Math.round(windowWaitMs), minBytesPerSecond: minRate },
            });
          }
          windowWaitMs = 0;
          windowBytes = 0;
        }
        yield chunk;
      }
    } catch (err) {
      if (transferExpired) throw transferTimeout();
      throw mapError(err, r.url, config, noDeadline);
    } finally {
      // Breaking out early (or an error) must release the socket.
      discardBody(r.body);
      release();
    }
  }
  return { status: r.status, headers: r.headers, url: r.url.href, body: iterate(), contentLength };
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s`;
}
