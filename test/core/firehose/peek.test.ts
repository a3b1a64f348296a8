// peekFrame: what the transport reads without decoding a frame — op, type, seq, account, time,
// and whether the frame is exactly two objects — must agree with the full decode on every frame
// of the doctored stream, never throw on any cut-off prefix or corrupted byte, and say null when
// the header cannot be read.
import { describe, expect, it } from 'vitest';
import { encodeCbor } from '../../../src/core/codec/index.js';
import { decodeFrame } from '../../../src/core/firehose/frame.js';
import { peekFrame } from '../../../src/core/firehose/peek.js';
import { concat, frame } from './commit-builder.js';
import { doctoredStream } from './test-relay.js';
import { rng } from '../codec/helpers.js';

describe('peekFrame', () => {
  const stream = doctoredStream();
  const binary = stream.entries.map((e) => e.data).filter((d): d is Uint8Array => typeof d !== 'string');

  it('agrees with the full decode on every frame of the doctored stream', () => {
    expect(binary.length).toBeGreaterThan(10);
    for (const data of binary) {
      const peek = peekFrame(data);
      expect(peek).not.toBeNull();
      let full: ReturnType<typeof decodeFrame> | null = null;
      try {
        full = decodeFrame(data, { maxFrameBytes: 10_000_000 });
      } catch {
        // trailing bytes: the peek says the frame is not complete
        expect(peek!.complete).toBe(false);
        continue;
      }
      expect(peek!.complete).toBe(true);
      if (full.kind !== 'message') continue;
      expect(peek!.op).toBe(1);
      expect(peek!.type).toBe(full.type);
      expect(peek!.seq).toBe(full.body.seq);
      expect(peek!.did).toBe(full.body.repo ?? full.body.did);
      expect(peek!.time).toBe(full.body.time ?? null);
    }
  });

  it('reads error frames, refuses what has no readable header, and reports a third object', () => {
    expect(peekFrame(concat(encodeCbor({ op: -1 }), encodeCbor({ error: 'FutureCursor' })))).toMatchObject({ op: -1, type: null, seq: null, complete: true });
    expect(peekFrame(new Uint8Array([0xff, 0x00]))).toBeNull();
    expect(peekFrame(encodeCbor([1, 2]))).toBeNull();
    expect(peekFrame(encodeCbor({ t: '#commit' }))).toBeNull();
    const three = concat(frame({ op: 1, t: '#identity' }, { seq: 3, did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', time: 'x' }), encodeCbor({ extra: true }));
    expect(peekFrame(three)).toMatchObject({ seq: 3, complete: false });
    expect(peekFrame(frame({ op: 1, t: '#commit' }, { seq: 2 ** 53 }))).toMatchObject({ seq: null });
  });

  it('never throws on a cut-off or corrupted frame', () => {
    const r = rng(7);
    for (const data of binary.slice(0, 6)) {
      for (let n = 0; n < data.length; n += Math.max(1, Math.floor(data.length / 300))) expect(() => peekFrame(data.subarray(0, n))).not.toThrow();
      for (let i = 0; i < 200; i++) {
        const copy = data.slice();
        copy[Math.floor(r() * copy.length)] = Math.floor(r() * 256);
        expect(() => peekFrame(copy)).not.toThrow();
      }
    }
  });
});
