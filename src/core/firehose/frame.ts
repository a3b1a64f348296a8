/**
 * Event-stream frames (spec:event-stream "Framing"; invariants F2–F4, E1–E6, E10).
 *
 * A binary WebSocket message is exactly two concatenated DRISL objects: a header `{op, t?}` and a
 * payload. Anything else — a text message, a missing payload, a third object or trailing bytes,
 * invalid or non-canonical CBOR, a header that is not a map or has a non-integer `op`, `op: 1`
 * without a string `t`, a payload that is not a map — is invalid framing: {@link FrameError}, and
 * the caller drops the connection. Frames with an unknown `op` or `t` are valid but must be
 * skipped (`kind: 'unknown'`). `op: -1` is an error frame `{error, message?}`, after which the
 * stream closes.
 */
import { decodeCborPrefix, type CborMap, type CborValue } from '../codec/cbor.js';
import { Cid } from '../codec/cid.js';
import { AtcliError, isAtcliError } from '../errors.js';

/** Hard cap on one frame (spec:sync "5 MBytes"; Go relay `MaxMessageBytes`). */
export const DEFAULT_MAX_FRAME_BYTES = 5_000_000;

/** Message types of `com.atproto.sync.subscribeRepos`. */
export const FIREHOSE_EVENT_TYPES = ['#commit', '#sync', '#identity', '#account', '#info'] as const;
export type FirehoseEventType = (typeof FIREHOSE_EVENT_TYPES)[number];

export type FrameErrorReason =
  | 'text-frame'
  | 'too-large'
  | 'empty'
  | 'invalid-header'
  | 'missing-type'
  | 'missing-payload'
  | 'invalid-payload'
  | 'trailing-bytes'
  | 'invalid-error-payload';

/** Invalid framing: the connection must be dropped. */
export class FrameError extends AtcliError {
  readonly reason: FrameErrorReason;
  constructor(reason: FrameErrorReason, message: string, cause?: unknown) {
    super('invalid', 'InvalidFrame', `invalid frame: ${message}`, {
      details: { reason },
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = 'FrameError';
    this.reason = reason;
  }
}

export type Frame =
  | { kind: 'message'; type: FirehoseEventType; body: CborMap }
  | { kind: 'error'; error: string; message: string | null }
  | { kind: 'unknown'; op: number; type: string | null };

export interface DecodeFrameOptions {
  /** Larger frames are rejected before decoding. Default 5,000,000 bytes. */
  maxFrameBytes?: number;
}

const KNOWN = new Set<string>(FIREHOSE_EVENT_TYPES);

export function isMap(v: CborValue | undefined): v is CborMap {
  return v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Cid) && !Array.isArray(v);
}

function cborReason(err: unknown): string {
  return isAtcliError(err) ? err.message : String(err);
}

/**
 * Decode one binary event-stream frame. Byte strings in the body (`blocks`) are views into
 * `bytes`: copy them if the buffer is reused. A `string` (a text WebSocket message) is rejected.
 */
export function decodeFrame(bytes: Uint8Array | ArrayBuffer | string, options: DecodeFrameOptions = {}): Frame {
  return decodeStreamFrame(bytes, KNOWN, options) as Frame;
}

/** A frame of any event stream using this framing (label streams: `#labels`, `#info`). */
export type StreamFrame =
  | { kind: 'message'; type: string; body: CborMap }
  | { kind: 'error'; error: string; message: string | null }
  | { kind: 'unknown'; op: number; type: string | null };

/** {@link decodeFrame} for a stream whose message types are `known` (others are `kind: 'unknown'`). */
export function decodeStreamFrame(bytes: Uint8Array | ArrayBuffer | string, known: ReadonlySet<string>, options: DecodeFrameOptions = {}): StreamFrame {
  if (typeof bytes === 'string') throw new FrameError('text-frame', 'text message (the event stream is binary only)');
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (buf.length > max) throw new FrameError('too-large', `${buf.length} bytes exceed the ${max}-byte frame limit`);
  if (buf.length === 0) throw new FrameError('empty', 'empty message');

  let header: CborValue;
  let headerEnd: number;
  try {
    ({ value: header, end: headerEnd } = decodeCborPrefix(buf, 0));
  } catch (err) {
    throw new FrameError('invalid-header', `header is not valid DRISL: ${cborReason(err)}`, err);
  }
  if (!isMap(header)) throw new FrameError('invalid-header', 'header is not a map');
  if (headerEnd >= buf.length) throw new FrameError('missing-payload', 'header only, no payload');

  let payload: CborValue;
  let payloadEnd: number;
  try {
    ({ value: payload, end: payloadEnd } = decodeCborPrefix(buf, headerEnd));
  } catch (err) {
    throw new FrameError('invalid-payload', `payload is not valid DRISL: ${cborReason(err)}`, err);
  }
  if (payloadEnd !== buf.length) {
    throw new FrameError('trailing-bytes', `${buf.length - payloadEnd} bytes after the payload (a frame holds exactly two objects)`);
  }

  const op = header.op;
  if (typeof op === 'bigint') return { kind: 'unknown', op: Number(op), type: typeof header.t === 'string' ? header.t : null };
  if (typeof op !== 'number' || !Number.isSafeInteger(op)) {
    throw new FrameError('invalid-header', op === undefined ? 'header has no "op"' : 'header "op" is not an integer');
  }
  const t = header.t;
  if (t !== undefined && typeof t !== 'string') throw new FrameError('invalid-header', 'header "t" is not a string');

  if (op === 1) {
    if (t === undefined) throw new FrameError('missing-type', 'message frame (op 1) without a type "t"');
    if (!known.has(t)) return { kind: 'unknown', op, type: t };
    if (!isMap(payload)) throw new FrameError('invalid-payload', `payload of a ${t} message is not a map`);
    return { kind: 'message', type: t, body: payload };
  }
  if (op === -1) {
    if (!isMap(payload)) throw new FrameError('invalid-error-payload', 'error frame payload is not a map');
    const error = payload.error;
    const message = payload.message;
    if (typeof error !== 'string' || error.length === 0) {
      throw new FrameError('invalid-error-payload', 'error frame has no "error" name');
    }
    if (message !== undefined && message !== null && typeof message !== 'string') {
      throw new FrameError('invalid-error-payload', 'error frame "message" is not a string');
    }
    return { kind: 'error', error, message: typeof message === 'string' ? message : null };
  }
  return { kind: 'unknown', op, type: t ?? null };
}
