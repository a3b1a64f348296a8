// Frame decoding.
import { describe, expect, it } from 'vitest';
import { encodeCbor } from '../../../src/core/codec/index.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameError, decodeFrame, type FrameErrorReason } from '../../../src/core/firehose/index.js';
import { concat, frame } from './commit-builder.js';

const body = { seq: 1, did: 'did:plc:w4xbfzo7kqfes5zb7r6qv3rw', time: '2024-06-01T12:00:00.000Z' };

function reasonOf(fn: () => unknown): FrameErrorReason | string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FrameError) {
      expect(err.code).toBe('InvalidFrame');
      expect(err.exitCode).toBe(3);
      return err.reason;
    }
    return `not a FrameError: ${String(err)}`;
  }
  return 'no error';
}

describe('decodeFrame: valid frames', () => {
  it('decodes a message frame into its type and body', () => {
    const f = decodeFrame(frame({ op: 1, t: '#identity' }, body));
    expect(f).toEqual({ kind: 'message', type: '#identity', body });
  });

  it.each(['#commit', '#sync', '#identity', '#account', '#info'])('knows %s', (t) => {
    expect(decodeFrame(frame({ op: 1, t }, { x: 1 }))).toMatchObject({ kind: 'message', type: t });
  });

  it('accepts an ArrayBuffer and ignores unknown header fields', () => {
    const bytes = frame({ op: 1, t: '#info', extra: 'x' }, { name: 'OutdatedCursor' });
    const ab = new ArrayBuffer(bytes.length);
    new Uint8Array(ab).set(bytes);
    expect(decodeFrame(ab)).toMatchObject({ kind: 'message', type: '#info', body: { name: 'OutdatedCursor' } });
  });

  it('E7: an error frame (op -1) gives its name and message', () => {
    expect(decodeFrame(frame({ op: -1 }, { error: 'FutureCursor', message: 'Cursor in the future.' }))).toEqual({
      kind: 'error',
      error: 'FutureCursor',
      message: 'Cursor in the future.',
    });
    expect(decodeFrame(frame({ op: -1 }, { error: 'ConsumerTooSlow' }))).toEqual({ kind: 'error', error: 'ConsumerTooSlow', message: null });
  });

  it('E4: an unknown op (2) is skipped, not an error', () => {
    expect(decodeFrame(frame({ op: 2, t: '#commit' }, body))).toEqual({ kind: 'unknown', op: 2, type: '#commit' });
    expect(decodeFrame(frame({ op: 7 }, [1, 2]))).toEqual({ kind: 'unknown', op: 7, type: null });
    expect(decodeFrame(frame({ op: 2n ** 60n }, body))).toMatchObject({ kind: 'unknown', type: null });
  });

  it('E6: an unknown type (#labels, legacy #handle) is skipped, not an error', () => {
    expect(decodeFrame(frame({ op: 1, t: '#labels' }, { seq: 1, labels: [] }))).toEqual({ kind: 'unknown', op: 1, type: '#labels' });
    expect(decodeFrame(frame({ op: 1, t: '#handle' }, body))).toEqual({ kind: 'unknown', op: 1, type: '#handle' });
  });

  it('accepts a frame of exactly the cap', () => {
    const small = frame({ op: 1, t: '#info' }, { name: 'x' });
    expect(decodeFrame(small, { maxFrameBytes: small.length }).kind).toBe('message');
  });
});

describe('decodeFrame: invalid framing (the connection must be dropped)', () => {
  const good = frame({ op: 1, t: '#identity' }, body);

  it('E1: a text message', () => {
    expect(reasonOf(() => decodeFrame('{"op":1}'))).toBe('text-frame');
  });

  it('E2: header only, no payload', () => {
    expect(reasonOf(() => decodeFrame(encodeCbor({ op: 1, t: '#commit' })))).toBe('missing-payload');
  });

  it('E3: one trailing byte after the payload', () => {
    expect(reasonOf(() => decodeFrame(concat(good, new Uint8Array([0]))))).toBe('trailing-bytes');
  });

  it('a third object after the payload', () => {
    expect(reasonOf(() => decodeFrame(concat(good, encodeCbor({ more: true }))))).toBe('trailing-bytes');
  });

  it('E5: op 1 without t', () => {
    expect(reasonOf(() => decodeFrame(frame({ op: 1 }, body)))).toBe('missing-type');
  });

  it('E10: a 6 MB frame is refused before decoding (cap 5,000,000)', () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(5_000_000);
    const big = new Uint8Array(6_000_000);
    expect(reasonOf(() => decodeFrame(big))).toBe('too-large');
    expect(reasonOf(() => decodeFrame(good, { maxFrameBytes: good.length - 1 }))).toBe('too-large');
  });

  it('an empty message', () => {
    expect(reasonOf(() => decodeFrame(new Uint8Array(0)))).toBe('empty');
  });

  it('a header that is not a map, lacks op, or has a non-integer op or t', () => {
    expect(reasonOf(() => decodeFrame(frame([1, '#commit'], body)))).toBe('invalid-header');
    expect(reasonOf(() => decodeFrame(frame({ t: '#commit' }, body)))).toBe('invalid-header');
    expect(reasonOf(() => decodeFrame(frame({ op: '1', t: '#commit' }, body)))).toBe('invalid-header');
    expect(reasonOf(() => decodeFrame(frame({ op: 1, t: 7 }, body)))).toBe('invalid-header');
  });

  it('invalid or non-canonical CBOR in the header or the payload', () => {
    // {op: 1} with op written as 0x18 0x01 (non-minimal integer).
    const badHeader = new Uint8Array([0xa1, 0x62, 0x6f, 0x70, 0x18, 0x01]);
    expect(reasonOf(() => decodeFrame(concat(badHeader, encodeCbor(body))))).toBe('invalid-header');
    // A float payload value (f9 3c00 = 1.0).
    const h = encodeCbor({ op: 1, t: '#identity' });
    expect(reasonOf(() => decodeFrame(concat(h, new Uint8Array([0xa1, 0x61, 0x78, 0xf9, 0x3c, 0x00]))))).toBe('invalid-payload');
    // A truncated payload.
    expect(reasonOf(() => decodeFrame(good.subarray(0, good.length - 3)))).toBe('invalid-payload');
    // Indefinite-length map header.
    expect(reasonOf(() => decodeFrame(concat(new Uint8Array([0xbf]), encodeCbor(body))))).toBe('invalid-header');
  });

  it('a message payload that is not a map', () => {
    expect(reasonOf(() => decodeFrame(frame({ op: 1, t: '#commit' }, [1, 2, 3])))).toBe('invalid-payload');
  });

  it('an error frame without an error name', () => {
    expect(reasonOf(() => decodeFrame(frame({ op: -1 }, { message: 'no name' })))).toBe('invalid-error-payload');
    expect(reasonOf(() => decodeFrame(frame({ op: -1 }, 'oops')))).toBe('invalid-error-payload');
    expect(reasonOf(() => decodeFrame(frame({ op: -1 }, { error: 'X', message: 5 })))).toBe('invalid-error-payload');
  });
});
