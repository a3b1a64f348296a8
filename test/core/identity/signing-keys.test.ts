// The verdict on a commit signature, judged against a DID's keys now and over time. The key
// sources here are plain objects over hand-built, really signed audit logs; the network-backed
// source is exercised against the real PLC directory in test/e2e/key-history.test.ts.
import { describe, expect, it } from 'vitest';
import { generatePrivateKey, type PrivateKey } from '../../../src/core/crypto/index.js';
import { notFound, runtime, AtcliError } from '../../../src/core/errors.js';
import { givenKeySource, judgeSignature, resolverKeySource, type SigningKeySource } from '../../../src/core/identity/signing-keys.js';
import { signingKeyHistory } from '../../../src/core/plc/key-history.js';
import { HOUR_MS, LogBuilder, T0, atprotoOp, iso, makeKeys, type Keys } from '../plc/helpers.js';
import { baseConfig } from '../net/helpers.js';

const message = new TextEncoder().encode('the unsigned commit');
const signedBy = (key: PrivateKey) => ({ message, sig: key.sign(message) });

/** A did:plc whose signing key went from `keys.signing` to `later` an hour after genesis. */
function rotatedLog(keys: Keys, later: PrivateKey): LogBuilder {
  const log = new LogBuilder();
  const genesis = log.add(atprotoOp(keys, null), keys.r0, T0);
  log.add({ ...atprotoOp(keys, genesis), verificationMethods: { atproto: later.publicKey.did() } }, keys.r0, T0 + HOUR_MS);
  return log;
}

interface Calls {
  current: Array<boolean>;
  history: number;
}

/** A source over fixed answers, counting the look-ups. */
function source(answers: { current?: string | null | (() => never); fresh?: string | null; log?: LogBuilder | null | (() => never) }, calls: Calls = { current: [], history: 0 }): SigningKeySource {
  return {
    async currentKey(did, o = {}) {
      calls.current.push(o.fresh === true);
      const a = o.fresh === true && answers.fresh !== undefined ? answers.fresh : answers.current;
      if (typeof a === 'function') a();
      return (a as string | null | undefined) ?? null;
    },
    async keyHistory(did) {
      calls.history++;
      const log = answers.log;
      if (typeof log === 'function') return log();
      return log ? signingKeyHistory(did, log.entries) : null;
    },
    forget: () => undefined,
  };
}

const down = (): never => {
  throw runtime('NetworkError', 'connect ECONNREFUSED 127.0.0.1:1');
};

describe('judgeSignature: did:plc with history', () => {
  const keys = makeKeys();
  const later = generatePrivateKey('p256');
  const log = rotatedLog(keys, later);
  const now = later.publicKey.did();
  const before = keys.signing.publicKey.did();

  it('the current key: valid, and the history is not fetched', async () => {
    const calls: Calls = { current: [], history: 0 };
    const v = await judgeSignature(log.did, signedBy(later), source({ current: now, log }, calls));
    expect(v).toMatchObject({ status: 'valid', key: now, currentKey: now, keysChecked: 'current', windows: [], reason: null });
    expect(calls).toEqual({ current: [false], history: 0 });
  });

  it('a key in force earlier: historical, with its window', async () => {
    const v = await judgeSignature(log.did, signedBy(keys.signing), source({ current: now, log }));
    expect(v.status).toBe('historical');
    expect(v.key).toBe(before);
    expect(v.currentKey).toBe(now);
    expect(v.windows).toEqual([{ from: iso(T0), until: iso(T0 + HOUR_MS), nullified: false, operation: log.entries[0]!.cid }]);
    expect(v.detail).toContain(`from ${iso(T0)} until ${iso(T0 + HOUR_MS)}`);
    expect(v.detail).toContain(`the current key is ${now}`);
    expect(v.notes).toEqual([]);
  });

  it('currentKeyOnly turns historical into invalid, still naming the key and its window', async () => {
    const v = await judgeSignature(log.did, signedBy(keys.signing), source({ current: now, log }), { currentKeyOnly: true });
    expect(v).toMatchObject({ status: 'invalid', key: before, currentKey: now });
    expect(v.windows).toHaveLength(1);
    expect(v.detail).toMatch(/only the current key is accepted/);
  });

  it('a key never in force: invalid, naming how many keys were tried', async () => {
    const v = await judgeSignature(log.did, signedBy(keys.attacker), source({ current: now, log }));
    expect(v).toMatchObject({ status: 'invalid', key: null, currentKey: now, keysChecked: 'history' });
    expect(v.detail).toContain('1 earlier key');
  });

  it('a rotation key of the DID is not a signing key', async () => {
    const v = await judgeSignature(log.did, signedBy(keys.r0), source({ current: now, log }));
    expect(v.status).toBe('invalid');
  });

  it('a stale cached key: the document is fetched again and the new key verifies', async () => {
    const calls: Calls = { current: [], history: 0 };
    const v = await judgeSignature(log.did, signedBy(later), source({ current: before, fresh: now, log }, calls));
    expect(v).toMatchObject({ status: 'valid', key: now });
    expect(calls).toEqual({ current: [false, true], history: 0 });
  });

  it('a stale cached key, a signature by neither: the fresh document and the history are both consulted', async () => {
    const calls: Calls = { current: [], history: 0 };
    const v = await judgeSignature(log.did, signedBy(keys.attacker), source({ current: before, fresh: now, log }, calls));
    expect(v).toMatchObject({ status: 'invalid', currentKey: now });
    expect(calls).toEqual({ current: [false, true], history: 1 });
  });

  it('a key set by an operation a recovery later nullified: historical, flagged', async () => {
    const k = makeKeys();
    const l = new LogBuilder();
    const genesis = l.add(atprotoOp(k, null), k.r0, T0);
    l.add({ ...atprotoOp(k, genesis), verificationMethods: { atproto: k.attacker.publicKey.did() } }, k.r2, T0 + HOUR_MS, true);
    l.add(atprotoOp(k, genesis, 'alice.recovered.example'), k.r0, T0 + 2 * HOUR_MS);
    const v = await judgeSignature(l.did, signedBy(k.attacker), source({ current: k.signing.publicKey.did(), log: l }));
    expect(v.status).toBe('historical');
    expect(v.windows).toEqual([expect.objectContaining({ nullified: true, until: iso(T0 + 2 * HOUR_MS) })]);
    expect(v.notes.join()).toContain('nullified');
    expect(v.detail).toContain('later nullified');
  });

  it('a deactivated DID (tombstone): an earlier key is historical; no key at all is unchecked', async () => {
    const k = makeKeys();
    const l = new LogBuilder();
    const genesis = l.add(atprotoOp(k, null), k.r0, T0);
    l.add({ type: 'plc_tombstone', prev: genesis }, k.r0, T0 + HOUR_MS);
    const v = await judgeSignature(l.did, signedBy(k.signing), source({ current: down, log: l }));
    expect(v).toMatchObject({ status: 'historical', key: k.signing.publicKey.did(), currentKey: null });
    expect(v.notes.join()).toContain('could not be fetched');

    const bare = new LogBuilder();
    const g = bare.add({ ...atprotoOp(k, null), verificationMethods: {} }, k.r0, T0);
    expect(g).toBeTruthy();
    const none = await judgeSignature(bare.did, signedBy(k.signing), source({ current: null, log: bare }));
    expect(none.status).toBe('unchecked');
    expect(none.reason).toMatch(/no atproto signing key/);
  });

  it('the DID document cannot be fetched but the audit log can: its head is the current key', async () => {
    const v = await judgeSignature(log.did, signedBy(later), source({ current: down, log }));
    expect(v).toMatchObject({ status: 'valid', key: now, keysChecked: 'history' });
    expect(v.notes.join()).toContain('ECONNREFUSED');
  });

  it('only operations the replay accepts count: a key from a rejected operation is invalid', async () => {
    const k = makeKeys();
    const l = new LogBuilder();
    const genesis = l.add(atprotoOp(k, null), k.r0, T0);
    l.add({ ...atprotoOp(k, genesis), verificationMethods: { atproto: k.attacker.publicKey.did() } }, k.attacker, T0 + HOUR_MS);
    const v = await judgeSignature(l.did, signedBy(k.attacker), source({ current: k.signing.publicKey.did(), log: l }));
    expect(v.status).toBe('invalid');
    expect(v.notes.join()).toContain('does not verify in full');
  });
});

describe('judgeSignature: could not check', () => {
  const keys = makeKeys();
  const did = new LogBuilder();
  did.add(atprotoOp(keys, null), keys.r0, T0);

  it('nothing reachable: unchecked with the reason', async () => {
    const v = await judgeSignature(did.did, signedBy(keys.signing), source({ current: down, log: down }));
    expect(v).toMatchObject({ status: 'unchecked', key: null, currentKey: null });
    expect(v.reason).toContain(`could not get the signing keys of ${did.did}`);
    expect(v.reason).toContain('ECONNREFUSED');
  });

  it('an unknown DID: unchecked', async () => {
    const gone = (): never => {
      throw notFound('DidNotFound', `${did.did} not found`);
    };
    const v = await judgeSignature(did.did, signedBy(keys.signing), source({ current: gone, log: gone }));
    expect(v.status).toBe('unchecked');
    expect(v.reason).toContain('not found');
  });

  it('the current key does not match and the history cannot be fetched: unchecked, not invalid', async () => {
    const v = await judgeSignature(did.did, signedBy(keys.attacker), source({ current: keys.signing.publicKey.did(), log: down }));
    expect(v.status).toBe('unchecked');
    expect(v.currentKey).toBe(keys.signing.publicKey.did());
    expect(v.reason).toMatch(/key history .* could not be fetched/);
  });

  it('an interruption is thrown, not turned into a verdict', async () => {
    const stop = (): never => {
      throw new AtcliError('interrupted', 'Interrupted', 'interrupted');
    };
    await expect(judgeSignature(did.did, signedBy(keys.signing), source({ current: stop }))).rejects.toMatchObject({ kind: 'interrupted' });
  });

  it('an unreachable PLC directory through the network-backed source', async () => {
    const src = resolverKeySource({ http: baseConfig({ allowPrivateNetwork: true }), plcUrl: 'http://127.0.0.1:1', dev: true });
    const v = await judgeSignature(did.did, signedBy(keys.signing), src);
    expect(v.status).toBe('unchecked');
    expect(v.reason).toContain(did.did);
  });
});

describe('judgeSignature: keys without history', () => {
  const key = generatePrivateKey('k256');
  const other = generatePrivateKey('k256');
  const web = 'did:web:example.com';

  it('did:web: the document key is valid; any other key is invalid, saying did:web keeps no history', async () => {
    expect((await judgeSignature(web, signedBy(key), source({ current: key.publicKey.did(), log: null }))).status).toBe('valid');
    const v = await judgeSignature(web, signedBy(other), source({ current: key.publicKey.did(), log: null }));
    expect(v.status).toBe('invalid');
    expect(v.detail).toContain('did:web keeps no key history');
    expect(v.currentKey).toBe(key.publicKey.did());
  });

  it('did:web without a key in its document, or unreachable: unchecked', async () => {
    expect((await judgeSignature(web, signedBy(key), source({ current: null, log: null }))).reason).toMatch(/names no atproto signing key/);
    expect((await judgeSignature(web, signedBy(key), source({ current: down, log: null }))).status).toBe('unchecked');
  });

  it('a given key is the only key accepted, and nothing is looked up', async () => {
    expect(await judgeSignature('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', signedBy(key), givenKeySource(key.publicKey))).toMatchObject({ status: 'valid', keysChecked: 'given', key: key.publicKey.did() });
    const v = await judgeSignature('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', signedBy(other), givenKeySource(key.publicKey));
    expect(v.status).toBe('invalid');
    expect(v.detail).toContain('the only key accepted');
  });

  it('a signature no key could accept is invalid before any look-up', async () => {
    const calls: Calls = { current: [], history: 0 };
    const sig = new Uint8Array(65).fill(1);
    const v = await judgeSignature(web, { message, sig }, source({ current: down, log: down }, calls));
    expect(v).toMatchObject({ status: 'invalid', keysChecked: 'none' });
    expect(v.detail).toContain('65 bytes');
    expect(calls).toEqual({ current: [], history: 0 });
  });
});
