/**
 * A minimal WebSocket client (RFC 6455) for event streams, on the same undici dispatcher as every
 * HTTP request (connect-time address checks, `--connect-to`).
 *
 * Why not undici's WebSocket: it cannot pause its socket, so a slow consumer could only buffer or
 * drop the connection, and a refused handshake does not say the HTTP status. Here:
 *
 * - the handshake is an HTTP/1.1 upgrade through `dispatcher.dispatch`; a response other than 101
 *   is a {@link WebSocketHandshakeError} carrying the status, `Retry-After` (in ms) and a short,
 *   sanitised excerpt of the body;
 * - received messages wait in a queue; when it holds `highWaterMessages` messages or
 *   `highWaterBytes` bytes the socket is paused (TCP flow control then slows the sender) and it
 *   resumes when the consumer has taken half of them;
 * - a message over `maxMessageBytes` closes the connection (1009) before it is buffered whole;
 * - server frames must be unmasked, without RSV bits (no extension is negotiated); pings are
 *   answered; fragmented messages are reassembled; a close frame is answered and ends the stream.
 *
 * Text messages are delivered as strings (the caller decides what they mean), binary ones as
 * Uint8Array views (no copy when a frame arrived in one socket read).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { AtcliError } from '../errors.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface WebSocketMessage {
  data: Uint8Array | string;
  /** When the last byte arrived (ms since the epoch). */
  receivedAt: number;
}

export interface WebSocketEnd {
  end: true;
  /** The close code (1006 when the connection dropped without a close frame). */
  code: number;
  reason: string;
  /** A close frame came from the server. */
  clean: boolean;
}

export interface WebSocketOptions {
  dispatcher: Dispatcher;
  /** Larger messages close the connection with 1009. */
  maxMessageBytes: number;
  /** Deadline for the connection and handshake (ms). */
  handshakeTimeoutMs: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Pause the socket when this many messages (default 256) or bytes (default 4 MiB) wait. */
  highWaterMessages?: number;
  highWaterBytes?: number;
}

/** The server did not accept the upgrade. `status` is null when no HTTP response came. */
export class WebSocketHandshakeError extends AtcliError {
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  readonly body: string | null;
  constructor(message: string, status: number | null, retryAfterMs: number | null, body: string | null, cause?: unknown) {
    super('runtime', 'WebSocketHandshakeFailed', message, { details: { status, retryAfterMs }, ...(cause !== undefined ? { cause } : {}) });
    this.name = 'WebSocketHandshakeError';
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    this.body = body;
  }
}

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date. Null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^[0-9]{1,10}$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - now);
}

/** A short printable excerpt of an error body: XRPC `{error, message}` when it is that, else text. */
function bodyExcerpt(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null;
  const text = Buffer.from(bytes).toString('utf8');
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    const parts = [j.error, j.message].filter((x): x is string => typeof x === 'string');
    if (parts.length > 0) return clean(parts.join(': '));
  } catch {
    // not JSON: a load balancer page, plain text
  }
  return clean(text.replace(/<[^>]*>/g, ' '));
}

function clean(s: string): string | null {
  const out = s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
  return out === '' ? null : out;
}

function headerMap(raw: Array<Buffer | string> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i]).toLowerCase()] = String(raw[i + 1]);
  return out;
}

/** Opens a WebSocket to `url` (ws:// or wss://). Throws {@link WebSocketHandshakeError}. */
export async function connectWebSocket(url: string, options: WebSocketOptions): Promise<WebSocketClient> {
  const u = new URL(url);
  const origin = `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
  const key = randomBytes(16).toString('base64');
  const expectedAccept = createHash('sha1').update(key + GUID).digest('base64');
  return new Promise<WebSocketClient>((resolve, reject) => {
    let settled = false;
    let abortRequest: ((err: Error) => void) | null = null;
    const body: Buffer[] = [];
    let bodyBytes = 0;
    let status: number | null = null;
    let headers: Record<string, string> = {};
    const finish = (err: WebSocketHandshakeError | null, client?: WebSocketClient): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(client as WebSocketClient);
    };
    const onAbort = (): void => {
      abortRequest?.(new Error('aborted'));
      finish(new WebSocketHandshakeError('the connection was stopped', null, null, null));
    };
    const timer = setTimeout(() => {
      abortRequest?.(new Error('handshake timeout'));
      finish(new WebSocketHandshakeError(`no WebSocket handshake within ${options.handshakeTimeoutMs} ms`, null, null, null));
    }, options.handshakeTimeoutMs);
    timer.unref();
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const handler = {
      onConnect(abort: (err: Error) => void): void {
        abortRequest = abort;
      },
      onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
        status = statusCode;
        headers = headerMap(rawHeaders);
        return true;
      },
      onData(chunk: Buffer): boolean {
        if (bodyBytes < 4096) {
          body.push(chunk);
          bodyBytes += chunk.length;
        }
        return true;
      },
      onComplete(): void {
        const s = status ?? 0;
        const excerpt = bodyExcerpt(Buffer.concat(body).subarray(0, 4096));
        finish(new WebSocketHandshakeError(`the server answered HTTP ${s} instead of upgrading to a WebSocket${excerpt ? `: ${excerpt}` : ''}`, s, parseRetryAfter(headers['retry-after']), excerpt));
      },
      onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: Duplex): void {
        const h = headerMap(rawHeaders as Buffer[]);
        if (statusCode !== 101 || h['sec-websocket-accept'] !== expectedAccept) {
          socket.destroy();
          finish(new WebSocketHandshakeError(`the server's WebSocket handshake is invalid (${statusCode !== 101 ? `status ${statusCode}` : 'wrong Sec-WebSocket-Accept'})`, statusCode, null, null));
          return;
        }
        if (h['sec-websocket-extensions'] !== undefined) {
          socket.destroy();
          finish(new WebSocketHandshakeError('the server negotiated a WebSocket extension that was not offered', statusCode, null, null));
          return;
        }
        if (settled) {
          socket.destroy();
          return;
        }
        finish(null, new WebSocketClient(socket, options));
      },
      onError(err: Error): void {
        finish(new WebSocketHandshakeError(`cannot connect: ${describeError(err)}`, null, null, null, err));
      },
    };
    try {
      options.dispatcher.dispatch(
        {
          origin,
          path: `${u.pathname}${u.search}`,
          method: 'GET',
          headers: { 'sec-websocket-key': key, 'sec-websocket-version': '13', ...(options.headers ?? {}) },
          upgrade: 'websocket',
          headersTimeout: options.handshakeTimeoutMs,
          bodyTimeout: options.handshakeTimeoutMs,
        },
        handler as unknown as Dispatcher.DispatchHandler,
      );
    } catch (err) {
      finish(new WebSocketHandshakeError(`cannot connect: ${describeError(err)}`, null, null, null, err));
    }
  });
}

function describeError(err: unknown): string {
  let e: unknown = err;
  const parts: string[] = [];
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = (e as { code?: unknown }).code;
    const text = `${e.message}${typeof code === 'string' && !e.message.includes(code) ? ` (${code})` : ''}`;
    if (!parts.includes(text)) parts.push(text);
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(': ') || String(err);
}

const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** One open WebSocket (from {@link connectWebSocket}). */
export class WebSocketClient {
  private readonly queue: WebSocketMessage[] = [];
  private qHead = 0;
  private queuedBytes = 0;
  private paused = false;
  private ending: WebSocketEnd | null = null;
  private waiter: (() => void) | null = null;
  private closeSent = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private lastError = '';
  // parser
  private chunks: Buffer[] = [];
  private buffered = 0;
  private fragments: Uint8Array[] = [];
  private fragmentBytes = 0;
  private fragmentOp = -1;
  private readonly highMessages: number;
  private readonly highBytes: number;

  constructor(
    private readonly socket: Duplex,
    private readonly options: WebSocketOptions,
  ) {
    this.highMessages = options.highWaterMessages ?? 256;
    this.highBytes = options.highWaterBytes ?? 4 * 1024 * 1024;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: Error) => {
      this.lastError = describeError(err);
    });
    socket.on('end', () => this.end({ end: true, code: 1006, reason: this.lastError || 'the connection ended without a close frame', clean: false }));
    socket.on('close', () => {
      clearTimeout(this.closeTimer);
      this.end({ end: true, code: 1006, reason: this.lastError || 'the connection was closed', clean: false });
    });
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => this.close(1001, 'stopping');

  /** Messages waiting to be taken. */
  get queued(): number {
    return this.queue.length - this.qHead;
  }

  /** Whether reading is paused because the consumer is behind. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** The next message, or how the connection ended once every received message was taken. */
  async next(): Promise<WebSocketMessage | WebSocketEnd> {
    for (;;) {
      if (this.qHead < this.queue.length) {
        const m = this.queue[this.qHead] as WebSocketMessage;
        this.queue[this.qHead++] = undefined as unknown as WebSocketMessage;
        this.queuedBytes -= typeof m.data === 'string' ? m.data.length : m.data.length;
        if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
          this.queue.splice(0, this.qHead);
          this.qHead = 0;
        }
        if (this.paused && this.queued <= this.highMessages >> 1 && this.queuedBytes <= this.highBytes >> 1) {
          this.paused = false;
          this.socket.resume();
        }
        return m;
      }
      if (this.ending) return this.ending;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = null;
    }
  }

  /** Stop: send a close frame (once), drop what was not taken yet, and end the connection when the server answers (or after a second). */
  close(code = 1000, reason = ''): void {
    this.sendClose(code, reason);
    this.dropQueue();
    this.end({ end: true, code, reason, clean: false });
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private sendClose(code: number, reason: string): void {
    if (this.closeSent || this.socket.destroyed) return;
    this.closeSent = true;
    const r = Buffer.from(reason.slice(0, 120), 'utf8');
    const payload = Buffer.alloc(2 + r.length);
    payload.writeUInt16BE(code, 0);
    r.copy(payload, 2);
    this.send(OP_CLOSE, payload);
    this.closeTimer = setTimeout(() => this.socket.destroy(), 1000);
    this.closeTimer.unref();
  }

  /** Drop the connection now. */
  destroy(): void {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    clearTimeout(this.closeTimer);
    this.dropQueue();
    this.socket.destroy();
  }

  private dropQueue(): void {
    this.queue.length = 0;
    this.qHead = 0;
    this.queuedBytes = 0;
  }

  private end(e: WebSocketEnd): void {
    if (this.ending) return;
    this.ending = e;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private send(opcode: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const len = payload.length;
    const head = Buffer.alloc(len < 126 ? 6 : 8);
    head[0] = 0x80 | opcode;
    if (len < 126) {
      head[1] = 0x80 | len;
      mask.copy(head, 2);
    } else {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
      mask.copy(head, 4);
    }
    const body = Buffer.alloc(len);
    for (let i = 0; i < len; i++) body[i] = (payload[i] as number) ^ (mask[i & 3] as number);
    try {
      this.socket.write(Buffer.concat([head, body]));
    } catch {
      // the socket is gone; 'close' reports it
    }
  }

  /** What was received before stays deliverable; nothing after it is read. */
  private protocolError(code: number, reason: string): void {
    this.lastError = reason;
    this.sendClose(code, reason);
    this.end({ end: true, code, reason, clean: false });
  }

  private deliver(data: Uint8Array | string): void {
    if (this.ending) return;
    this.queue.push({ data, receivedAt: Date.now() });
    this.queuedBytes += typeof data === 'string' ? data.length : data.length;
    if (!this.paused && (this.queued >= this.highMessages || this.queuedBytes >= this.highBytes)) {
      this.paused = true;
      this.socket.pause();
    }
    this.wake();
  }

  /** `n` bytes from the front of the buffered chunks (a view when they lie in one chunk). */
  private take(n: number): Uint8Array {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0] as Buffer;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }

  /** Byte `i` of the buffered data. */
  private byteAt(i: number): number {
    for (const c of this.chunks) {
      if (i < c.length) return c[i] as number;
      i -= c.length;
    }
    return -1;
  }

  private onData(chunk: Buffer): void {
    if (this.ending) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.ending || this.buffered < 2) return;
      const b0 = this.byteAt(0);
      const b1 = this.byteAt(1);
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if ((b0 & 0x70) !== 0) return this.protocolError(1002, 'a frame has reserved bits set (no extension was negotiated)');
      if ((b1 & 0x80) !== 0) return this.protocolError(1002, 'the server sent a masked frame');
      let len = b1 & 0x7f;
      let headLen = 2;
      if (len === 126) {
        if (this.buffered < 4) return;
        len = (this.byteAt(2) << 8) | this.byteAt(3);
        headLen = 4;
      } else if (len === 127) {
        if (this.buffered < 10) return;
        if (this.byteAt(2) !== 0 || this.byteAt(3) !== 0) return this.protocolError(1009, 'a frame claims a length over 2^48 bytes');
        len = 0;
        for (let i = 2; i < 10; i++) len = len * 256 + this.byteAt(i);
        headLen = 10;
      }
      const control = opcode >= 0x8;
      if (control && (!fin || len > 125)) return this.protocolError(1002, 'a control frame is fragmented or longer than 125 bytes');
      if (!control && this.fragmentBytes + len > this.options.maxMessageBytes) {
        return this.protocolError(1009, `a message exceeds ${this.options.maxMessageBytes} bytes`);
      }
      if (this.buffered < headLen + len) return;
      this.take(headLen);
      const payload = len === 0 ? new Uint8Array(0) : this.take(len);
      switch (opcode) {
        case OP_PING:
          this.send(OP_PONG, Buffer.from(payload));
          break;
        case OP_PONG:
          break;
        case OP_CLOSE: {
          const code = payload.length >= 2 ? (payload[0] as number) * 256 + (payload[1] as number) : 1005;
          const reason = payload.length > 2 ? Buffer.from(payload.subarray(2)).toString('utf8') : '';
          this.sendClose(code === 1005 ? 1000 : code, '');
          this.end({ end: true, code, reason, clean: true });
          this.socket.end();
          return;
        }
        case OP_TEXT:
        case OP_BINARY:
          if (this.fragmentOp !== -1) return this.protocolError(1002, 'a new message started inside a fragmented one');
          if (fin) this.deliver(opcode === OP_TEXT ? Buffer.from(payload).toString('utf8') : payload);
          else {
            this.fragmentOp = opcode;
            this.fragments = [payload];
            this.fragmentBytes = payload.length;
          }
          break;
        case OP_CONT:
          if (this.fragmentOp === -1) return this.protocolError(1002, 'a continuation frame outside a fragmented message');
          this.fragments.push(payload);
          this.fragmentBytes += payload.length;
          if (fin) {
            const whole = Buffer.concat(this.fragments);
            const op = this.fragmentOp;
            this.fragments = [];
            this.fragmentBytes = 0;
            this.fragmentOp = -1;
            this.deliver(op === OP_TEXT ? whole.toString('utf8') : whole);
          }
          break;
        default:
          return this.protocolError(1002, `unknown opcode ${opcode}`);
      }
    }
  }
}
