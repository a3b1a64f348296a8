/**
 * A `com.atproto.sync.subscribeRepos` client on the WebSocket client of net/websocket.ts, and the
 * transport it shares with the other event streams (label streams, Jetstream: {@link subscribeStream}).
 *
 * - Connects to `<relay or PDS>/xrpc/com.atproto.sync.subscribeRepos?cursor=N`: `http(s)://` is
 *   mapped to `ws(s)://`; the URL is checked by the service URL policy (net/url-policy.ts).
 * - Binary messages only: a text message, an oversized message (cap 5,000,000 bytes) or any other
 *   invalid framing is handed to the consumer as `kind: 'invalid'` (so it can be reported), then
 *   the connection is closed and re-opened. When the seq of an invalid frame can still be read,
 *   that seq counts as processed (the event is dropped, as a relay drops invalid events), so the
 *   stream goes on past it instead of receiving it again.
 * - Resumes from the last *processed* seq: the cursor sent is the last seq whose consumer promise
 *   resolved, and any seq ≤ that is dropped unprocessed — the spec says a server sends seq ≥
 *   cursor, implementations send seq > cursor, and a seq that repeats or goes backwards mid-stream
 *   is dropped too (E8; counted in `duplicates`).
 * - Error frames: `FutureCursor` stops with an error and never resets the cursor;
 *   `ConsumerTooSlow` and any other error name close the connection and reconnect.
 * - Reconnects with exponential back-off and jitter; the delay resets once a connection has made
 *   progress. If the very first connection cannot be opened after `maxInitialAttempts`, gives up.
 * - Back-pressure: the next frame is not taken until the consumer asks for it; frames arriving
 *   meanwhile wait in a queue, and when it holds `maxQueuedFrames` frames or `maxQueuedBytes`
 *   bytes the socket is paused (net/websocket.ts), so TCP flow control slows the server instead
 *   of memory growing. (A server that gives up on a slow reader closes the connection or sends
 *   `ConsumerTooSlow`; the stream then resumes from the last seq handed over.)
 * - A handshake the server refuses reports its HTTP status: 429 and 503 are retried after
 *   `Retry-After` (or the back-off, whichever is longer), other 4xx and 501 stop with
 *   `FirehoseRefused`, other failures are retried with back-off.
 * - Persists the cursor (atomically) to `cursorFile` every `saveEveryEvents` events or
 *   `saveEveryMs` milliseconds, and on exit: the last seq the consumer has finished with (with
 *   `subscribe`, whose `onFrame` resolved; with `subscribeFrames`, that it acknowledged). The file records the endpoint too: a seq is only
 *   meaningful for the host it came from.
 * - Stops cleanly when `signal` aborts: the frame in flight is finished, the cursor saved, and the
 *   result says `aborted`.
 */
import { readFile } from 'node:fs/promises';
import { Agent } from 'undici';
import { decodeCborPrefix } from '../codec/cbor.js';
import { isAtcliError, runtime, usage, type AtcliError, type ErrorCode } from '../errors.js';
import { webSocketDispatcher, type HttpConfig } from '../net/http.js';
import { checkServiceUrl } from '../net/url-policy.js';
import { WebSocketHandshakeError, connectWebSocket, type WebSocketClient, type WebSocketEnd } from '../net/websocket.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { MAX_SEQ_EXCLUSIVE } from './events.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameError, decodeFrame, isMap, type Frame } from './frame.js';
import { peekFrame, type FramePeek } from './peek.js';
import type { FrameInput } from './pipeline.js';

export const SUBSCRIBE_REPOS_PATH = '/xrpc/com.atproto.sync.subscribeRepos';

/** One WebSocket message, decoded as far as the transport needs (its seq). */
export type InboundFrame =
  | {
      kind: 'frame';
      frame: Frame;
      /** `seq` of a sequenced message (not `#info`, error or unknown frames), when it is valid. */
      seq: number | null;
      data: Uint8Array;
      /** When the message arrived (ms since the epoch). */
      receivedAt: number;
    }
  | {
      kind: 'invalid';
      error: FrameError;
      /** The seq, when it could still be read from the payload. */
      seq: number | null;
      data: Uint8Array | string;
      receivedAt: number;
    };

function seqOf(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v < MAX_SEQ_EXCLUSIVE ? v : null;
}

/** Best effort: the seq of a frame that failed to decode (trailing bytes, too large, …). */
export function peekSeq(buf: Uint8Array): number | null {
  try {
    const header = decodeCborPrefix(buf, 0);
    if (!isMap(header.value) || header.value.op !== 1 || header.value.t === '#info') return null;
    const payload = decodeCborPrefix(buf, header.end);
    return isMap(payload.value) ? seqOf(payload.value.seq) : null;
  } catch {
    return null;
  }
}

/** Decode one WebSocket message for the pipeline: never throws for bad input. */
export function inspectFrame(data: Uint8Array | string, options: { maxFrameBytes?: number; receivedAt?: number } = {}): InboundFrame {
  const receivedAt = options.receivedAt ?? Date.now();
  try {
    const frame = decodeFrame(data, { maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
    const seq = frame.kind === 'message' && frame.type !== '#info' ? seqOf(frame.body.seq) : null;
    return { kind: 'frame', frame, seq, data: data as Uint8Array, receivedAt };
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    return { kind: 'invalid', error: err, seq: typeof data === 'string' ? null : peekSeq(data), data, receivedAt };
  }
}

/**
 * The WebSocket URL of `subscribeRepos` on a relay or PDS given as `wss://host`, `https://host`,
 * or the full endpoint URL. Query and fragment are dropped (the cursor is added per connection).
 */
export function subscribeReposUrl(base: string, options: { allowInsecure?: boolean } = {}): string {
  return webSocketUrl(base, SUBSCRIBE_REPOS_PATH, { what: 'the relay URL', ...options });
}

/**
 * The WebSocket URL of the endpoint `path` on the service `base` (`wss://host`, `https://host`, or
 * the full endpoint URL), checked as written before anything normalises it (url-policy.ts):
 * `http(s)` is mapped to `ws(s)`; query and fragment are dropped. `what` names the URL in errors.
 */
export function webSocketUrl(base: string, path: string, options: { what: string; allowInsecure?: boolean }): string {
  const u = checkServiceUrl(base, { dev: options.allowInsecure === true, schemes: ['wss', 'https', 'ws', 'http'], shape: 'request' }, options.what).url;
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  let pathname = u.pathname.replace(/\/+$/, '');
  if (!pathname.endsWith(path)) pathname += path;
  u.pathname = pathname;
  u.search = '';
  u.hash = '';
  return u.toString();
}

// ---------------------------------------------------------------------------------------------
// Cursor file

export interface SavedCursor {
  seq: number;
  /** The endpoint the seq belongs to (absent in a hand-written file holding just a number). */
  url?: string;
}

/** Reads a cursor file: `{"seq": N, "url": …}` as written by atcli, or a bare integer. Null when absent. */
export async function readCursorFile(path: string): Promise<SavedCursor | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw runtime('CursorFileUnreadable', `cannot read the cursor file ${path}: ${(err as Error).message}`);
  }
  const bad = (): AtcliError =>
    usage('InvalidCursorFile', `${path} does not hold a firehose cursor`, { hint: 'it should contain {"seq": N, "url": …} or a bare number; delete it to start live' });
  const trimmed = text.trim();
  if (/^[0-9]+$/.test(trimmed)) {
    const seq = Number(trimmed);
    if (!Number.isSafeInteger(seq)) throw bad();
    return { seq };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw bad();
  }
  if (typeof parsed !== 'object' || parsed === null) throw bad();
  const { seq, url } = parsed as { seq?: unknown; url?: unknown };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw bad();
  return typeof url === 'string' ? { seq, url } : { seq };
}

/** Writes the cursor file atomically. */
export async function writeCursorFile(path: string, cursor: SavedCursor): Promise<void> {
  const body = { seq: cursor.seq, ...(cursor.url !== undefined ? { url: cursor.url } : {}), savedAt: new Date().toISOString() };
  await writeFileAtomic(path, `${JSON.stringify(body)}\n`, { overwrite: true });
}

class CursorSaver {
  private chain: Promise<void> = Promise.resolve();
  private latest: number | null = null;
  private saved: number | null = null;
  private sinceSave = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly url: string,
    private readonly everyEvents: number,
    everyMs: number,
    private readonly onError: (message: string) => void,
  ) {
    this.timer = setInterval(() => void this.flush(), everyMs);
    this.timer.unref();
  }

  tick(seq: number): void {
    this.latest = seq;
    if (++this.sinceSave >= this.everyEvents) void this.flush();
  }

  flush(): Promise<void> {
    const seq = this.latest;
    if (seq === null || seq === this.saved) return this.chain;
    this.sinceSave = 0;
    this.saved = seq;
    this.chain = this.chain.then(() =>
      writeCursorFile(this.path, { seq, url: this.url }).catch((err: unknown) => {
        this.saved = null;
        this.onError(`cannot save the cursor to ${this.path}: ${err instanceof Error ? err.message : String(err)}`);
      }),
    );
    return this.chain;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

// ---------------------------------------------------------------------------------------------
// Subscriber

export type SubscriberNotice =
  | { type: 'connecting'; url: string; cursor: number | null; attempt: number }
  | { type: 'connected'; url: string; cursor: number | null }
  | { type: 'reconnecting'; reason: string; delayMs: number; cursor: number | null; status?: number }
  | { type: 'duplicate'; seq: number; lastSeq: number }
  /** Not sent any more: a slow consumer pauses the socket instead. */
  | { type: 'overflow'; frames: number; bytes: number }
  | { type: 'error-frame'; error: string; message: string | null }
  | { type: 'resumed'; seq: number; from: 'cursor-file' }
  | { type: 'cursor-save-failed'; message: string };

export interface BackoffOptions {
  /** First delay, and the delay after a connection that made progress. Default 500 ms. */
  initialMs?: number;
  /** Largest delay. Default 30,000 ms. */
  maxMs?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
}

export interface SubscribeFramesOptions {
  /** Relay or PDS: `wss://host`, `https://host`, or the full subscribeRepos URL. */
  url: string;
  /** Start after this seq (0: from the oldest event the server keeps). Default: the cursor file's, else live. */
  cursor?: number;
  /** Read the start cursor from this file (when `cursor` is not given) and keep it up to date. */
  cursorFile?: string;
  /** Save the cursor after this many processed events (default 1000)… */
  saveEveryEvents?: number;
  /** …or this often, in ms (default 5000). */
  saveEveryMs?: number;
  /** `ws://` to non-loopback hosts (dev mode). */
  allowInsecure?: boolean;
  /** Network policy shared with every HTTP request: connect-time address checks and --connect-to rules. */
  http?: Pick<HttpConfig, 'allowPrivateNetwork' | 'connectTo' | 'timeoutMs' | 'userAgent'>;
  signal?: AbortSignal;
  /** Frame cap (default 5,000,000 bytes). */
  maxFrameBytes?: number;
  /**
   * What the transport accepts per message (default 2 × maxFrameBytes): frames between the two
   * are received, reported as too large and skipped; beyond it the connection is closed.
   */
  transportMaxBytes?: number;
  /** Pause reading while this many frames (default 256) or bytes (default 4 MiB) wait to be taken. */
  maxQueuedFrames?: number;
  maxQueuedBytes?: number;
  backoff?: BackoffOptions;
  /** Longest `Retry-After` honoured (default 10 minutes). */
  maxRetryAfterMs?: number;
  /** Handshake deadline (default 30 s). */
  connectTimeoutMs?: number;
  /** Consecutive failures before giving up while no connection has ever opened (default 3). */
  maxInitialAttempts?: number;
  onNotice?: (notice: SubscriberNotice) => void;
  /** Jitter source (tests). */
  random?: () => number;
}

export interface SubscribeOptions extends SubscribeFramesOptions {
  /** Called for each frame in order; return `false` to stop after it. */
  onFrame: (frame: InboundFrame) => Promise<boolean | void> | boolean | void;
}

export interface SubscribeResult {
  reason: 'stopped' | 'aborted';
  /** Last processed seq (or the start cursor when nothing was processed). */
  cursor: number | null;
  connections: number;
  duplicates: number;
  /** Always 0: kept for callers of the first version. */
  overflows: number;
}

/** The transport's options, whatever the endpoint and the message type. */
type TransportOptions = Omit<SubscribeFramesOptions, 'url' | 'allowInsecure'>;

/** The options of {@link subscribeStream}: those of {@link subscribe} but the endpoint, for any message type. */
export type StreamOptions<F> = TransportOptions & {
  /** Called for each message in order; return `false` to stop after it. */
  onFrame: (frame: F) => Promise<boolean | void> | boolean | void;
};

/**
 * What differs between the event streams that share this transport (reconnects with back-off,
 * resuming from the last processed position, back-pressure, the cursor file): the firehose, label
 * streams (same framing, other message types) and Jetstream (JSON, time-based cursor).
 */
export interface StreamProtocol<F> {
  /** The endpoint, without a cursor; a cursor file is tied to it. */
  url: string;
  /** The URL of one connection: live (`null`) or resuming from `cursor`. */
  connectUrl(cursor: number | null): string;
  /** Decode one WebSocket message; never throws for bad input. */
  inspect(data: Uint8Array | string, receivedAt: number): F;
  /** The message's position (seq, time), when it has a valid one. */
  positionOf(frame: F): number | null;
  /** An error frame (`{error, message}`): the server ends the stream after it. */
  errorOf(frame: F): { error: string; message: string | null } | null;
  /** Why a message cannot be used (it is handed on, then the connection is re-opened), or null. */
  invalidOf(frame: F): string | null;
  /**
   * The server resends the message at the cursor and several messages may share a position
   * (Jetstream's microsecond times): only positions below the last processed one are dropped,
   * equal ones are handed on for the consumer to recognise. Default: positions ≤ it are dropped.
   */
  inclusive?: boolean;
  /** The error (runtime) when the first connection cannot be opened. */
  unreachable: { code: ErrorCode; hint: string };
  /** The error code (runtime) when the server refuses the upgrade with a status no retry changes. */
  refusedCode: ErrorCode;
}

/** The parts of a {@link StreamProtocol} the connection loop uses besides decoding. */
type Endpoint = Pick<StreamProtocol<unknown>, 'url' | 'connectUrl' | 'inclusive' | 'unreachable' | 'refusedCode'>;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function describeEnd(e: WebSocketEnd): string {
  return `connection closed (code ${e.code}${e.reason ? `: ${e.reason}` : ''})`;
}

/** What the connection loop needs to know about a message, however deeply the caller decodes it. */
interface Classified<T> {
  item: T;
  seq: number | null;
  /** Invalid framing: handed over, then the connection is dropped. */
  invalid: string | null;
  /** An error frame `{error, message}`. */
  errorFrame: { error: string; message: string | null } | null;
}

type Classifier<T> = (data: Uint8Array | string, receivedAt: number) => Classified<T>;

/** Where a stream stands; read by both APIs. */
interface LoopState {
  startCursor: number | null;
  /** Last seq handed to the consumer. */
  lastSeq: number | null;
  connections: number;
  duplicates: number;
}

async function prepare(options: TransportOptions, url: string): Promise<{ startCursor: number | null; notice: (n: SubscriberNotice) => void }> {
  const notice = options.onNotice ?? (() => {});
  let startCursor: number | null = options.cursor ?? null;
  if (startCursor !== null && (!Number.isSafeInteger(startCursor) || startCursor < 0)) {
    throw usage('InvalidCursor', `the cursor must be a non-negative integer, got ${startCursor}`);
  }
  if (options.cursorFile !== undefined) {
    const saved = await readCursorFile(options.cursorFile);
    if (saved !== null && saved.url !== undefined && saved.url !== url) {
      throw usage('CursorFileMismatch', `the cursor in ${options.cursorFile} belongs to ${saved.url}, not ${url}`, {
        hint: 'a seq is only meaningful for the host it came from: use another cursor file, or delete this one to start live',
      });
    }
    if (saved !== null && startCursor === null) {
      startCursor = saved.seq;
      notice({ type: 'resumed', seq: saved.seq, from: 'cursor-file' });
    }
  }
  return { startCursor, notice };
}

/** HTTP statuses that no retry will change: the URL is not an event stream this client may read. */
function refusesForGood(status: number | null): boolean {
  if (status === null) return false;
  if (status === 408 || status === 429) return false;
  return (status >= 400 && status < 500) || status === 501;
}

/**
 * The connection loop shared by both APIs: connect, hand over messages (dropping repeated seqs),
 * react to error frames and invalid frames, reconnect with back-off. Ends when the caller stops
 * iterating or `signal` aborts.
 */
async function* connectionLoop<T>(options: TransportOptions, endpoint: Endpoint, state: LoopState, classify: Classifier<T>, signal: AbortSignal): AsyncGenerator<T, 'aborted', undefined> {
  const { url } = endpoint;
  const notice = options.onNotice ?? (() => {});
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const transportMaxBytes = options.transportMaxBytes ?? 2 * maxFrameBytes;
  const backoff = { initialMs: options.backoff?.initialMs ?? 500, maxMs: options.backoff?.maxMs ?? 30_000, factor: options.backoff?.factor ?? 2 };
  const random = options.random ?? Math.random;
  const connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
  const maxInitialAttempts = options.maxInitialAttempts ?? 3;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 10 * 60_000;
  const agent = options.http
    ? webSocketDispatcher(options.http, url, transportMaxBytes)
    : new Agent({ webSocket: { maxPayloadSize: transportMaxBytes } });
  let everOpened = false;
  let failures = 0;
  try {
    for (;;) {
      if (signal.aborted) return 'aborted';
      const cursor = state.lastSeq ?? state.startCursor;
      state.connections++;
      notice({ type: 'connecting', url, cursor, attempt: failures + 1 });
      let client: WebSocketClient | null = null;
      let reason = 'could not connect';
      let retryAfterMs: number | null = null;
      let status: number | undefined;
      let progress = false;
      try {
        client = await connectWebSocket(endpoint.connectUrl(cursor), {
          dispatcher: agent,
          maxMessageBytes: transportMaxBytes,
          handshakeTimeoutMs: connectTimeoutMs,
          signal,
          ...(options.http?.userAgent ? { headers: { 'user-agent': options.http.userAgent } } : {}),
          ...(options.maxQueuedFrames !== undefined ? { highWaterMessages: options.maxQueuedFrames } : {}),
          ...(options.maxQueuedBytes !== undefined ? { highWaterBytes: options.maxQueuedBytes } : {}),
        });
      } catch (err) {
        if (!(err instanceof WebSocketHandshakeError)) throw err;
        if (signal.aborted) return 'aborted';
        if (refusesForGood(err.status)) {
          throw runtime(endpoint.refusedCode, `${url} refused the subscription: HTTP ${err.status}${err.body ? `: ${err.body}` : ''}`, {
            details: { url, status: err.status },
          });
        }
        reason = err.status !== null ? `the server answered HTTP ${err.status}${err.body ? ` (${err.body})` : ''}` : err.message;
        retryAfterMs = err.retryAfterMs;
        if (err.status !== null) status = err.status;
      }
      if (client !== null) {
        everOpened = true;
        notice({ type: 'connected', url, cursor });
        try {
          reading: for (;;) {
            const m = await client.next();
            if ('end' in m) {
              reason = signal.aborted ? 'aborted' : describeEnd(m);
              break;
            }
            const c = classify(m.data, m.receivedAt);
            if (c.errorFrame !== null) {
              const { error, message } = c.errorFrame;
              client.close(1000, `error frame ${error}`);
              if (error === 'FutureCursor') {
                throw runtime('FutureCursor', `${url} says cursor ${cursor ?? '(none)'} is in the future${message ? `: ${message}` : ''}`, {
                  hint: 'the cursor is from another host or the server was reset; start from a smaller cursor, or none to start live (the cursor is never reset automatically)',
                  details: { cursor, url },
                });
              }
              notice({ type: 'error-frame', error, message });
              reason = `error frame ${error}${message ? `: ${message}` : ''}`;
              break;
            }
            const threshold = state.lastSeq ?? state.startCursor;
            if (c.seq !== null && threshold !== null && (endpoint.inclusive === true ? c.seq < threshold : c.seq <= threshold)) {
              state.duplicates++;
              // seq == cursor right after connecting is the spec's "≥ cursor"; anything else is a replay.
              // An invalid frame already dealt with (its seq was counted) is dropped the same way.
              if (!(c.seq === threshold && !progress)) notice({ type: 'duplicate', seq: c.seq, lastSeq: threshold });
              continue;
            }
            yield c.item;
            if (c.seq !== null) {
              state.lastSeq = c.seq;
              progress = true;
            }
            if (c.invalid !== null) {
              client.close(1000, 'invalid frame');
              reason = `invalid frame: ${c.invalid}`;
              break reading;
            }
          }
        } finally {
          client.destroy();
        }
        if (reason === 'aborted' || signal.aborted) return 'aborted';
      }

      failures = progress ? 0 : failures + 1;
      if (!everOpened && failures >= maxInitialAttempts) {
        throw runtime(endpoint.unreachable.code, `cannot open ${url} (${failures} attempts): ${reason}`, {
          hint: endpoint.unreachable.hint,
          details: { url, ...(status !== undefined ? { status } : {}) },
        });
      }
      const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.min(Math.max(failures - 1, 0), 30));
      let delayMs = Math.round(base * (0.5 + 0.5 * random()));
      if (retryAfterMs !== null) delayMs = Math.max(delayMs, Math.min(retryAfterMs, maxRetryAfterMs));
      notice({ type: 'reconnecting', reason, delayMs, cursor: state.lastSeq ?? state.startCursor, ...(status !== undefined ? { status } : {}) });
      await sleep(delayMs, signal);
    }
  } finally {
    agent.destroy().catch(() => {});
  }
}

function linkedController(signal: AbortSignal | undefined): AbortController {
  const ctl = new AbortController();
  if (signal?.aborted) ctl.abort(signal.reason);
  else signal?.addEventListener('abort', () => ctl.abort(signal.reason), { once: true });
  return ctl;
}

/** The firehose endpoint at `url` (from {@link subscribeReposUrl}), whatever the decoding. */
function repoStreamEndpoint(url: string): Endpoint {
  return {
    url,
    connectUrl: (cursor) => (cursor === null ? url : `${url}?cursor=${cursor}`),
    unreachable: {
      code: 'FirehoseUnreachable',
      hint: 'check the relay or PDS URL (e.g. wss://bsky.network), the network, and that the host serves com.atproto.sync.subscribeRepos',
    },
    refusedCode: 'FirehoseRefused',
  };
}

/**
 * Subscribe to `com.atproto.sync.subscribeRepos` until the consumer returns `false` (`stopped`)
 * or `signal` aborts (`aborted`). Throws AtcliError 'FutureCursor' (runtime), 'FirehoseUnreachable'
 * (runtime) when the first connection cannot be opened, 'FirehoseRefused' (runtime) when the
 * server refuses the upgrade with a status no retry changes, a cursor-file error (usage), or
 * whatever `onFrame` throws — in every case after saving the cursor.
 */
export async function subscribe(options: SubscribeOptions): Promise<SubscribeResult> {
  const url = subscribeReposUrl(options.url, { allowInsecure: options.allowInsecure === true });
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  return subscribeStream(options, {
    ...repoStreamEndpoint(url),
    inspect: (data, receivedAt) => inspectFrame(data, { maxFrameBytes, receivedAt }),
    positionOf: (f) => f.seq,
    errorOf: (f) => (f.kind === 'frame' && f.frame.kind === 'error' ? { error: f.frame.error, message: f.frame.message } : null),
    invalidOf: (f) => (f.kind === 'invalid' ? f.error.message : null),
  });
}

/**
 * The transport of {@link subscribe} for any event stream described by `protocol`. Throws as
 * {@link subscribe} does, with the protocol's error codes.
 */
export async function subscribeStream<F>(options: StreamOptions<F>, protocol: StreamProtocol<F>): Promise<SubscribeResult> {
  const url = protocol.url;
  const { startCursor, notice } = await prepare(options, url);
  const state: LoopState = { startCursor, lastSeq: null, connections: 0, duplicates: 0 };
  const ctl = linkedController(options.signal);
  const saver = options.cursorFile !== undefined
    ? new CursorSaver(options.cursorFile, url, options.saveEveryEvents ?? 1000, options.saveEveryMs ?? 5000, (message) => notice({ type: 'cursor-save-failed', message }))
    : undefined;
  const classify: Classifier<F> = (data, receivedAt) => {
    const item = protocol.inspect(data, receivedAt);
    return { item, seq: protocol.positionOf(item), invalid: protocol.invalidOf(item), errorFrame: protocol.errorOf(item) };
  };
  const result = (reason: SubscribeResult['reason']): SubscribeResult => ({ reason, cursor: state.lastSeq ?? startCursor, connections: state.connections, duplicates: state.duplicates, overflows: 0 });
  const loop = connectionLoop(options, protocol, state, classify, ctl.signal);
  try {
    for (;;) {
      const next = await loop.next();
      if (next.done) return result('aborted');
      const verdict = await options.onFrame(next.value);
      const seq = protocol.positionOf(next.value);
      if (seq !== null) {
        state.lastSeq = seq;
        saver?.tick(seq);
      }
      if (verdict === false) return result('stopped');
    }
  } catch (err) {
    if (options.signal?.aborted && isAtcliError(err) && err.kind === 'interrupted') return result('aborted');
    throw err;
  } finally {
    ctl.abort();
    await loop.return('aborted').catch(() => undefined);
    await saver?.close();
  }
}

/** A frame from {@link subscribeFrames}: the message, when it arrived, and a cheap look at it. */
export interface SubscribedFrame extends FrameInput {
  peek: FramePeek | null;
  seq: number | null;
}

/** The subscription as a frame source for `FirehosePipeline.run` (see {@link subscribeFrames}). */
export interface FirehoseSubscription extends AsyncIterable<SubscribedFrame> {
  /**
   * Every frame up to `seq` has been handled (the cursor file records it). Once the subscription
   * is closed or ended, the file is written at once: await the promise.
   */
  acknowledge(seq: number): Promise<void>;
  /** Stop: pending reads end. */
  close(): void;
  /** Where it stands: counters and the last seq handed over. */
  result(): SubscribeResult;
}

/** Cheap validity checks the transport can make without decoding: the rest is the pipeline's job. */
function classifyCheaply(maxFrameBytes: number): Classifier<SubscribedFrame> {
  return (data, receivedAt) => {
    if (typeof data === 'string') {
      return { item: { data, receivedAt, peek: null, seq: null }, seq: null, invalid: 'text message (the event stream is binary only)', errorFrame: null };
    }
    const peek = peekFrame(data);
    const seq = peek !== null && peek.op === 1 && peek.type !== '#info' ? peek.seq : null;
    const item: SubscribedFrame = { data, receivedAt, peek, seq };
    if (data.length > maxFrameBytes) return { item, seq, invalid: `${data.length} bytes exceed the ${maxFrameBytes}-byte frame limit`, errorFrame: null };
    if (peek === null) return { item, seq, invalid: 'not two DRISL objects', errorFrame: null };
    if (!peek.complete) return { item, seq, invalid: 'bytes after the payload', errorFrame: null };
    if (peek.op === -1) {
      let frame: Frame | null = null;
      try {
        frame = decodeFrame(data, { maxFrameBytes });
      } catch {
        frame = null;
      }
      if (frame !== null && frame.kind === 'error') return { item, seq: null, invalid: null, errorFrame: { error: frame.error, message: frame.message } };
      return { item, seq: null, invalid: 'invalid error frame', errorFrame: null };
    }
    return { item, seq, invalid: null, errorFrame: null };
  };
}

/**
 * The subscription as an async iterable of frames, peeked but not decoded (the pipeline decodes
 * them, on worker threads). Reading pauses while the consumer does not ask for more. Call
 * `acknowledge(seq)` once every frame up to `seq` has been handled: that is what the cursor file
 * records. `close()` ends the iteration. Errors as for {@link subscribe}; the cursor is saved
 * when the iteration ends, however it ends.
 */
export function subscribeFrames(options: SubscribeFramesOptions): FirehoseSubscription {
  const state: LoopState = { startCursor: null, lastSeq: null, connections: 0, duplicates: 0 };
  const ctl = linkedController(options.signal);
  let saver: CursorSaver | undefined;
  let started = false;
  let ended = false;
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  async function* frames(): AsyncGenerator<SubscribedFrame, void, undefined> {
    const url = subscribeReposUrl(options.url, { allowInsecure: options.allowInsecure === true });
    const { startCursor, notice } = await prepare(options, url);
    state.startCursor = startCursor;
    if (options.cursorFile !== undefined) {
      saver = new CursorSaver(options.cursorFile, url, options.saveEveryEvents ?? 1000, options.saveEveryMs ?? 5000, (message) => notice({ type: 'cursor-save-failed', message }));
    }
    try {
      yield* connectionLoop(options, repoStreamEndpoint(url), state, classifyCheaply(maxFrameBytes), ctl.signal);
    } finally {
      ended = true;
      await saver?.close();
    }
  }
  return {
    [Symbol.asyncIterator]() {
      if (started) throw new TypeError('subscribeFrames: iterate once');
      started = true;
      return frames();
    },
    acknowledge(seq: number): Promise<void> {
      if (saver === undefined) return Promise.resolve();
      saver.tick(seq);
      return ended || ctl.signal.aborted ? saver.flush() : Promise.resolve();
    },
    close() {
      ctl.abort();
    },
    result() {
      return { reason: ctl.signal.aborted ? 'aborted' : 'stopped', cursor: state.lastSeq ?? state.startCursor, connections: state.connections, duplicates: state.duplicates, overflows: 0 };
    },
  };
}
