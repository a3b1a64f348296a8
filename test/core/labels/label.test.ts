// Label signatures (https://atproto.com/specs/label "Signatures"): the signed bytes are the
// DRISL encoding of the schema fields only (checked against @ipld/dag-cbor), k256 and p256
// signatures verify, a forged signature or a changed field fails, fields a server adds are
// ignored, a missing `ver` counts as 1 and an unknown one is unchecked, a rotated key is picked
// up by one refresh, a missing label key makes the label invalid and a failed look-up leaves it
// unchecked; negations and expiry are surfaced.
import * as dagCbor from '@ipld/dag-cbor';
import { describe, expect, it } from 'vitest';
import { base64Encode } from '../../../src/core/codec/base.js';
import { generatePrivateKey, type PrivateKey, type PublicKey } from '../../../src/core/crypto/index.js';
import { notFound, runtime } from '../../../src/core/errors.js';
import { LabelVerifier, labelSigningBytes, parseLabel, type KeyResolver } from '../../../src/core/labels/label.js';

const NOW = Date.parse('2025-01-01T00:00:00.000Z');
const SRC = 'did:plc:labelerlabelerlabeler23';

interface RawLabel {
  ver?: number;
  src: string;
  uri: string;
  cid?: string;
  val: string;
  neg?: boolean;
  cts: string;
  exp?: string;
  sig?: Uint8Array;
  [extra: string]: unknown;
}

const base = (over: Partial<RawLabel> = {}): RawLabel => ({ ver: 1, src: SRC, uri: 'at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3kabcdefghij2', val: 'spam', cts: '2024-12-31T12:00:00.000Z', ...over });

/** Sign like an independent implementation: dag-cbor of the label without sig, signed (sha256 inside). */
function sign(label: RawLabel, key: PrivateKey): RawLabel {
  const { sig: _sig, ...unsigned } = label;
  return { ...label, sig: key.sign(dagCbor.encode(unsigned)) };
}

function verifier(keys: () => PublicKey | Error, calls: Array<{ did: string; fresh: boolean }> = []): LabelVerifier {
  const resolveKey: KeyResolver = async (did, o) => {
    calls.push({ did, fresh: o.fresh });
    const k = keys();
    if (k instanceof Error) throw k;
    return k;
  };
  return new LabelVerifier({ resolveKey, clock: () => NOW });
}

describe('labelSigningBytes', () => {
  it('is the dag-cbor encoding of the schema fields, without sig and without fields a server adds', () => {
    const label = base({ cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm', neg: false, exp: '2025-06-01T00:00:00.000Z' });
    const { label: parsed, problems } = parseLabel({ ...label, sig: new Uint8Array(64), $type: 'com.atproto.label.defs#label', id: 7 } as never);
    expect(problems).toEqual([]);
    expect(Buffer.from(labelSigningBytes(parsed))).toEqual(Buffer.from(dagCbor.encode(label)));
  });

  it('takes a missing ver as 1 and keeps an absent neg absent', () => {
    const { ver: _ver, ...noVer } = base();
    const { label } = parseLabel(noVer as never);
    expect(Buffer.from(labelSigningBytes(label))).toEqual(Buffer.from(dagCbor.encode(base())));
    expect(dagCbor.decode(labelSigningBytes(label))).not.toHaveProperty('neg');
  });
});

describe('LabelVerifier', () => {
  for (const type of ['k256', 'p256'] as const) {
    it(`accepts a ${type} signature by the issuer's label key`, async () => {
      const key = generatePrivateKey(type);
      const v = verifier(() => key.publicKey);
      const view = await v.check(sign(base(), key) as never, 42);
      expect(view).toMatchObject({ seq: 42, src: SRC, val: 'spam', neg: false, expired: false, active: true, status: 'valid', reasons: [], ver: 1 });
      expect(view.sig).toMatch(/^[A-Za-z0-9+/]{86}$/);
    });
  }

  it('rejects a forged signature and a label whose value was changed after signing', async () => {
    const key = generatePrivateKey('k256');
    const v = verifier(() => key.publicKey);
    const signed = sign(base(), key);
    const forged = { ...signed, sig: signed.sig!.map((b, i) => (i === 10 ? b ^ 1 : b)) };
    expect(await v.check(forged as never, 1)).toMatchObject({ status: 'invalid', reasons: [expect.stringMatching(/^bad signature: .*key did:key:/)] });
    expect(await v.check({ ...signed, val: 'porn' } as never, 2)).toMatchObject({ status: 'invalid', reasons: [expect.stringMatching(/^bad signature/)] });
    // Signed by someone else's key.
    expect(await v.check(sign(base(), generatePrivateKey('k256')) as never, 3)).toMatchObject({ status: 'invalid' });
    expect(v.counts).toEqual({ valid: 0, invalid: 3, unchecked: 0 });
  });

  it('a label without signature, or malformed, is invalid with the reasons', async () => {
    const v = verifier(() => generatePrivateKey('k256').publicKey);
    expect(await v.check(base() as never, 1)).toMatchObject({ status: 'invalid', reasons: ['the label has no signature ("sig")'] });
    const bad = await v.check({ ...base({ src: 'not-a-did', cts: 'yesterday', val: 'x'.repeat(129) }), sig: new Uint8Array(64) } as never, 2);
    expect(bad.status).toBe('invalid');
    expect(bad.reasons.join('\n')).toMatch(/"src" is not a valid DID/);
    expect(bad.reasons.join('\n')).toMatch(/"cts" is not a valid datetime/);
    expect(bad.reasons.join('\n')).toMatch(/"val" is 129 bytes \(at most 128\)/);
    expect((await v.check([1, 2] as never, 3)).reasons).toContain('the label is an array, not a map');
  });

  it('an unknown label version is unchecked', async () => {
    const key = generatePrivateKey('k256');
    const view = await verifier(() => key.publicKey).check(sign(base({ ver: 2 }), key) as never, 1);
    expect(view).toMatchObject({ status: 'unchecked', reasons: ['label version 2 is not known (only 1)'] });
  });

  it('surfaces negations and expiry', async () => {
    const key = generatePrivateKey('k256');
    const v = verifier(() => key.publicKey);
    expect(await v.check(sign(base({ neg: true }), key) as never, 1)).toMatchObject({ status: 'valid', neg: true, active: false, expired: false });
    expect(await v.check(sign(base({ exp: '2024-12-31T23:59:59.000Z' }), key) as never, 2)).toMatchObject({ status: 'valid', expired: true, active: false, exp: '2024-12-31T23:59:59.000Z' });
    expect(await v.check(sign(base({ exp: '2025-02-01T00:00:00.000Z' }), key) as never, 3)).toMatchObject({ expired: false, active: true });
  });

  it('re-resolves the key once after a bad signature (rotation), and not again within the refresh interval', async () => {
    const oldKey = generatePrivateKey('k256');
    const newKey = generatePrivateKey('k256');
    let current = oldKey;
    const calls: Array<{ did: string; fresh: boolean }> = [];
    const v = verifier(() => current.publicKey, calls);
    expect((await v.check(sign(base(), oldKey) as never, 1)).status).toBe('valid');
    current = newKey;
    expect((await v.check(sign(base({ val: 'rude' }), newKey) as never, 2)).status).toBe('valid');
    expect(calls).toEqual([
      { did: SRC, fresh: false },
      { did: SRC, fresh: true },
    ]);
    // A forgery right after: no second refresh within 10 s.
    expect((await v.check(sign(base(), generatePrivateKey('k256')) as never, 3)).status).toBe('invalid');
    expect(calls).toHaveLength(2);
  });

  it('a DID document without a label key makes the label invalid; a failed look-up leaves it unchecked', async () => {
    const key = generatePrivateKey('k256');
    const label = sign(base(), key);
    expect(await verifier(() => notFound('NoLabelKey', `the DID document of ${SRC} has no usable #atproto_label key`)).check(label as never, 1)).toMatchObject({
      status: 'invalid',
      reasons: [expect.stringMatching(/has no usable #atproto_label key/)],
    });
    expect(await verifier(() => runtime('NetworkError', 'connection refused')).check(label as never, 1)).toMatchObject({
      status: 'unchecked',
      reasons: [`cannot get the label key of ${SRC}: connection refused`],
    });
  });

  it('checks labels in atproto JSON ($bytes signatures), as queryLabels returns them', async () => {
    const key = generatePrivateKey('p256');
    const v = verifier(() => key.publicKey);
    const signed = sign(base({ neg: false }), key);
    const json = { ...signed, sig: { $bytes: base64Encode(signed.sig!) }, id: 12 };
    expect(await v.checkJson(json, null)).toMatchObject({ status: 'valid', seq: null });
    expect(await v.checkJson({ ...json, sig: { $bytes: '***' } }, null)).toMatchObject({ status: 'invalid', reasons: [expect.stringMatching(/not valid atproto JSON/)] });
  });
});
