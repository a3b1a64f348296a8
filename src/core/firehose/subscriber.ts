/**
 * A `com.atproto.sync.subscribeRepos` client on undici's WebSocket (invariants §2.A–2.B: F1–F8,
 * E1–E3, E7, E8, E10).
 *
 * - Connects to `<relay or PDS>/xrpc/com.atproto.sync.subscribeRepos?cursor=N`: `http(s)://` is
 *   mapped to `ws(s)://`; `ws://` only to loopback hosts unless `allowInsecure` (dev mode).
 * - Binary messages only: a text message, an oversized message (cap 5,000,000 bytes) or any other
 *   invalid framing is handed to the consumer as `kind: 'invalid'` (so it can be reported), then
 *   the connection is closed and re-opened. When the seq of an invalid frame can still be read,
 *   that seq counts as processed (the event is dropped, as a relay drops invalid events), so the
 *   stream goes on past it instead of receiving it again.
 * - Resumes from the last *processed* seq: the cursor sent is the last seq whose consumer promise
 *   resolved, and any seq ≤ that is dropped unprocessed — the spec says a server sends seq ≥
 *   cursor, implementations send seq > cursor, and a seq that repeats or goes backwards mid-stream
 *   is dropped too (E8; counted in `duplicates`).
 * - Error frames: `FutureCursor` stops with an error and never resets the cursor (E7);
 *   `ConsumerTooSlow` and any other error name close the connection and reconnect.
 * - Reconnects with exponential back-off and jitter; the delay resets once a connection has made
 *   progress. If the very first connection cannot be opened after `maxInitialAttempts`, gives up.
 * - Back-pressure: the next frame is not taken until the consumer's promise resolves. undici's
 *   WebSocket cannot pause its socket, so frames arriving meanwhile wait in a queue bounded in
 *   frames and bytes; when it overflows the connection is closed (reported as an `overflow`
 *   notice), the frames already queued are still processed, and the stream is re-opened from the
 *   last processed seq, so nothing is lost.
 * - Persists the cursor (atomically) to `cursorFile` every `saveEveryEvents` events or
 *   `saveEveryMs` milliseconds, and on exit. The file records the endpoint too: a seq is only
 *   meaningful for the host it came from (F8).
 * - Stops cleanly when `signal` aborts: the frame in flight is finished, the cursor saved, and the
 *   result says `aborted`.
 */
import { readFile } from 'node:fs/promises';
import { Agent, WebSocket } from 'undici';
import { decodeCborPrefix } from '../codec/cbor.js';
import { isAtcliError, runtime, usage, type AtcliError } from '../errors.js';
import { webSocketDispatcher, type HttpConfig } from '../net/http.js';
import { checkServiceUrl } from '../net/url-policy.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { MAX_SEQ_EXCLUSIVE } from './events.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameError, decodeFrame, isMap, type Frame } from './frame.js';

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
  | { type: 'reconnecting'; reason: string; delayMs: number; cursor: number | null }
  | { type: 'duplicate'; seq: number; lastSeq: number }
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

export interface SubscribeOptions {
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
  http?: Pick<HttpConfig, 'allowPrivateNetwork' | 'connectTo' | 'timeoutMs'>;
  signal?: AbortSignal;
  /** Frame cap (default 5,000,000 bytes). */
  maxFrameBytes?: number;
  /**
   * What undici itself accepts per message (default 2 × maxFrameBytes): frames between the two
   * are received, reported as too large and skipped; beyond it undici drops the connection.
   */
  transportMaxBytes?: number;
  /** Queue bound while the consumer is busy (default 10,000 frames and 64 MiB). */
  maxQueuedFrames?: number;
  maxQueuedBytes?: number;
  backoff?: BackoffOptions;
  /** Handshake deadline (default 30 s). */
  connectTimeoutMs?: number;
  /** Consecutive failures before giving up while no connection has ever opened (default 3). */
  maxInitialAttempts?: number;
  /** Called for each frame in order; return `false` to stop after it. */
  onFrame: (frame: InboundFrame) => Promise<boolean | void> | boolean | void;
  onNotice?: (notice: SubscriberNotice) => void;
  /** Jitter source (tests). */
  random?: () => number;
}

export interface SubscribeResult {
  reason: 'stopped' | 'aborted';
  /** Last processed seq (or the start cursor when nothing was processed). */
  cursor: number | null;
  connections: number;
  duplicates: number;
  overflows: number;
}

/** The options of {@link subscribeStream}: those of {@link subscribe} but the endpoint, for any message type. */
export type StreamOptions<F> = Omit<SubscribeOptions, 'url' | 'allowInsecure' | 'onFrame'> & {
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
  unreachable: { code: string; hint: string };
}

type Ending =
  | { type: 'closed'; code: number; reason: string }
  | { type: 'overflow'; frames: number; bytes: number }
  | { type: 'timeout' }
  | { type: 'aborted' };

interface Queued {
  data: Uint8Array | string;
  size: number;
  receivedAt: number;
}

/** One WebSocket: messages queue up until taken with `next()`. */
class Connection {
  private readonly ws: WebSocket;
  private readonly queue: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  private ending: Ending | null = null;
  private waiter: (() => void) | null = null;
  private lastError = '';
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort: () => void;
  opened = false;

  constructor(
    url: string,
    agent: Agent,
    private readonly limits: { frames: number; bytes: number },
    connectTimeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    onOpen: () => void,
  ) {
    this.ws = new WebSocket(url, { dispatcher: agent });
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () => {
      this.opened = true;
      clearTimeout(this.timer);
      onOpen();
    };
    this.ws.onmessage = (ev) => {
      if (this.ending) return;
      const raw = ev.data as ArrayBuffer | string;
      const data = typeof raw === 'string' ? raw : new Uint8Array(raw);
      const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      const frames = this.queue.length - this.head;
      if (frames >= this.limits.frames || this.queuedBytes + size > this.limits.bytes) {
        // Stop receiving; what is queued is still delivered, then the caller reconnects from
        // the last processed seq (so every connection makes progress, however bursty).
        this.end({ type: 'overflow', frames, bytes: this.queuedBytes });
        try {
          this.ws.close(1000, 'consumer too slow');
        } catch {
          // Already closing.
        }
        return;
      }
      this.queue.push({ data, size, receivedAt: Date.now() });
      this.queuedBytes += size;
      this.wake();
    };
    this.ws.onerror = (ev) => {
      const err = (ev as unknown as { error?: unknown }).error;
      const message = err instanceof Error ? err.message : (ev as unknown as { message?: string }).message;
      if (message) this.lastError = message;
    };
    this.ws.onclose = (ev) => {
      clearTimeout(this.timer);
      this.end({ type: 'closed', code: ev.code, reason: ev.reason || this.lastError });
    };
    this.timer = setTimeout(() => {
      if (this.opened) return;
      this.end({ type: 'timeout' }, true);
      this.close('handshake timeout');
    }, connectTimeoutMs);
    this.timer.unref();
    this.onAbort = () => {
      this.end({ type: 'aborted' }, true);
      this.close('stopping');
    };
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** `drop`: discard what is queued (overflow, abort) instead of delivering it first. */
  private end(ending: Ending, drop = false): void {
    if (this.ending) return;
    this.ending = ending;
    if (drop) {
      this.queue.length = 0;
      this.head = 0;
      this.queuedBytes = 0;
    }
    this.wake();
  }

  /** The next queued message, or how the connection ended once the queue is empty. */
  async next(): Promise<Queued | Ending> {
    for (;;) {
      if (this.head < this.queue.length) {
        const item = this.queue[this.head++] as Queued;
        this.queuedBytes -= item.size;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        return item;
      }
      if (this.ending) return this.ending;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  close(reason: string): void {
    this.end({ type: 'closed', code: 1000, reason }, true);
    try {
      this.ws.close(1000, reason.slice(0, 120));
    } catch {
      // Already closing.
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.ws.onmessage = null;
    this.ws.onopen = null;
    this.ws.onerror = null;
    this.ws.onclose = null;
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) {
      try {
        this.ws.close(1000);
      } catch {
        // ignore
      }
    }
  }
}

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

function describeEnding(e: Ending, opened: boolean): string {
  switch (e.type) {
    case 'closed': {
      const detail = `code ${e.code}${e.reason ? `: ${e.reason}` : ''}`;
      return opened ? `connection closed (${detail})` : `could not connect (${detail})`;
    }
    case 'overflow':
      return `consumer too slow: ${e.frames} frames queued`;
    case 'timeout':
      return 'handshake timed out';
    case 'aborted':
      return 'stopped';
  }
}

/**
 * Subscribe to `com.atproto.sync.subscribeRepos` until the consumer returns `false` (`stopped`)
 * or `signal` aborts (`aborted`). Throws AtcliError 'FutureCursor' (runtime), 'FirehoseUnreachable'
 * (runtime) when the first connection cannot be opened, a cursor-file error (usage), or whatever
 * `onFrame` throws — in every case after saving the cursor.
 */
export async function subscribe(options: SubscribeOptions): Promise<SubscribeResult> {
  const url = subscribeReposUrl(options.url, { allowInsecure: options.allowInsecure === true });
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  return subscribeStream(options, {
    url,
    connectUrl: (cursor) => (cursor === null ? url : `${url}?cursor=${cursor}`),
    inspect: (data, receivedAt) => inspectFrame(data, { maxFrameBytes, receivedAt }),
    positionOf: (f) => f.seq,
    errorOf: (f) => (f.kind === 'frame' && f.frame.kind === 'error' ? { error: f.frame.error, message: f.frame.message } : null),
    invalidOf: (f) => (f.kind === 'invalid' ? f.error.message : null),
    unreachable: {
      code: 'FirehoseUnreachable',
      hint: 'check --relay (a relay or PDS URL, e.g. wss://bsky.network), the network, and that the host serves com.atproto.sync.subscribeRepos',
    },
  });
}

/** The transport of {@link subscribe} for any event stream described by `protocol`. */
export async function subscribeStream<F>(options: StreamOptions<F>, protocol: StreamProtocol<F>): Promise<SubscribeResult> {
  const url = protocol.url;
  const signal = options.signal;
  const notice = options.onNotice ?? (() => {});
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const transportMaxBytes = options.transportMaxBytes ?? 2 * maxFrameBytes;
  const limits = { frames: options.maxQueuedFrames ?? 10_000, bytes: options.maxQueuedBytes ?? 64 * 1024 * 1024 };
  const backoff = { initialMs: options.backoff?.initialMs ?? 500, maxMs: options.backoff?.maxMs ?? 30_000, factor: options.backoff?.factor ?? 2 };
  const random = options.random ?? Math.random;
  const connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
  const maxInitialAttempts = options.maxInitialAttempts ?? 3;

  let startCursor: number | null = options.cursor ?? null;
  if (startCursor !== null && (!Number.isSafeInteger(startCursor) || startCursor < 0)) {
    throw usage('InvalidCursor', `the cursor must be a non-negative integer, got ${startCursor}`);
  }
  if (options.cursorFile !== undefined) {
    const saved = await readCursorFile(options.cursorFile);
    if (saved !== null && saved.url !== undefined && saved.url !== url) {
      throw usage('CursorFileMismatch', `the cursor in ${options.cursorFile} belongs to ${saved.url}, not ${url}`, {
        hint: 'a seq is only meaningful for the host it came from: use another --cursor-file, or delete this one to start live',
      });
    }
    if (saved !== null && startCursor === null) {
      startCursor = saved.seq;
      notice({ type: 'resumed', seq: saved.seq, from: 'cursor-file' });
    }
  }

  let lastSeq: number | null = null;
  let connections = 0;
  let duplicates = 0;
  let overflows = 0;
  let everOpened = false;
  let failures = 0;
  const saver = options.cursorFile !== undefined
    ? new CursorSaver(options.cursorFile, url, options.saveEveryEvents ?? 1000, options.saveEveryMs ?? 5000, (message) => notice({ type: 'cursor-save-failed', message }))
    : undefined;
  const agent = options.http
    ? webSocketDispatcher(options.http, url, transportMaxBytes)
    : new Agent({ webSocket: { maxPayloadSize: transportMaxBytes } });
  const result = (reason: SubscribeResult['reason']): SubscribeResult => ({ reason, cursor: lastSeq ?? startCursor, connections, duplicates, overflows });

  try {
    for (;;) {
      if (signal?.aborted) return result('aborted');
      const cursor = lastSeq ?? startCursor;
      connections++;
      notice({ type: 'connecting', url, cursor, attempt: failures + 1 });
      const conn = new Connection(protocol.connectUrl(cursor), agent, limits, connectTimeoutMs, signal, () => {
        everOpened = true;
        notice({ type: 'connected', url, cursor });
      });
      let progress = false;
      let reason: string;
      try {
        reason = await (async (): Promise<string> => {
          for (;;) {
            const item = await conn.next();
            if (!('data' in item)) {
              if (item.type === 'aborted') return 'aborted';
              if (item.type === 'overflow') {
                overflows++;
                notice({ type: 'overflow', frames: item.frames, bytes: item.bytes });
              }
              return describeEnding(item, conn.opened);
            }
            const inbound = protocol.inspect(item.data, item.receivedAt);
            const errorFrame = protocol.errorOf(inbound);
            if (errorFrame !== null) {
              const { error, message } = errorFrame;
              conn.close(`error frame ${error}`);
              if (error === 'FutureCursor') {
                throw runtime('FutureCursor', `${url} says cursor ${cursor ?? '(none)'} is in the future${message ? `: ${message}` : ''}`, {
                  hint: 'the cursor is from another host or the server was reset; pass a smaller --cursor, or none to start live (the cursor is never reset automatically)',
                  details: { cursor, url },
                });
              }
              notice({ type: 'error-frame', error, message });
              return `error frame ${error}${message ? `: ${message}` : ''}`;
            }
            const seq = protocol.positionOf(inbound);
            const threshold = lastSeq ?? startCursor;
            if (seq !== null && threshold !== null && (protocol.inclusive ? seq < threshold : seq <= threshold)) {
              duplicates++;
              // seq == cursor right after connecting is the spec's "≥ cursor"; anything else is a replay.
              // An invalid frame already dealt with (its seq was counted) is dropped the same way.
              if (!(seq === threshold && !progress)) notice({ type: 'duplicate', seq, lastSeq: threshold });
              continue;
            }
            const verdict = await options.onFrame(inbound);
            if (seq !== null) {
              lastSeq = seq;
              progress = true;
              saver?.tick(seq);
            }
            if (verdict === false) {
              conn.close('done');
              return 'stopped';
            }
            const invalid = protocol.invalidOf(inbound);
            if (invalid !== null) {
              conn.close('invalid frame');
              return `invalid frame: ${invalid}`;
            }
          }
        })();
      } finally {
        conn.dispose();
      }
      if (reason === 'stopped') return result('stopped');
      if (reason === 'aborted' || signal?.aborted) return result('aborted');

      failures = progress ? 0 : failures + 1;
      if (!everOpened && failures >= maxInitialAttempts) {
        throw runtime(protocol.unreachable.code, `cannot open ${url} (${failures} attempts): ${reason}`, {
          hint: protocol.unreachable.hint,
          details: { url },
        });
      }
      const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.min(Math.max(failures - 1, 0), 30));
      const delayMs = Math.round(base * (0.5 + 0.5 * random()));
      notice({ type: 'reconnecting', reason, delayMs, cursor: lastSeq ?? startCursor });
      await sleep(delayMs, signal);
    }
  } catch (err) {
    if (signal?.aborted && isAtcliError(err) && err.kind === 'interrupted') return result('aborted');
    throw err;
  } finally {
    await saver?.close();
    agent.destroy().catch(() => {});
  }
}

