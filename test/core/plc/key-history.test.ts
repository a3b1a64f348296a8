import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { keyWindowAt, signingKeyHistory, windowsOfKey } from '../../../src/core/plc/key-history.js';
import { HOUR_MS, LogBuilder, T0, atprotoOp, iso, makeKeys } from './helpers.js';

describe('signing-key history from an audit log', () => {
  it('gives each accepted operation a window until the next one', () => {
    const keys = makeKeys();
    const first = keys.signing.publicKey.did();
    const log = new LogBuilder();
    const genesis = log.add(atprotoOp(keys, null), keys.r0, T0);
    const second = generatePrivateKey('p256');
    log.add({ ...atprotoOp(keys, genesis), verificationMethods: { atproto: second.publicKey.did() } }, keys.r1, T0 + HOUR_MS);
    const history = signingKeyHistory(log.did, log.entries);
    expect(history.logValid).toBe(true);
    expect(history.current).toBe(second.publicKey.did());
    expect(history.windows.map((w) => [w.key, w.from, w.until])).toEqual([
      [first, iso(T0), iso(T0 + HOUR_MS)],
      [second.publicKey.did(), iso(T0 + HOUR_MS), null],
    ]);
    expect(keyWindowAt(history, iso(T0 + 1000))?.key).toBe(first);
    expect(keyWindowAt(history, new Date(T0 + 2 * HOUR_MS))?.key).toBe(second.publicKey.did());
    expect(keyWindowAt(history, iso(T0 - 1000))).toBeUndefined();
    expect(keyWindowAt(history, 'not a date')).toBeUndefined();
    expect(windowsOfKey(history, first)).toHaveLength(1);
    expect(windowsOfKey(history, keys.attacker.publicKey.did())).toHaveLength(0);
  });

  it('keeps a nullified operation as a flagged window ending at the recovery', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const genesis = log.add(atprotoOp(keys, null), keys.r0, T0);
    // An unwanted operation signed by the lowest-priority key, then a recovery by the highest.
    log.add({ ...atprotoOp(keys, genesis), verificationMethods: { atproto: keys.attacker.publicKey.did() } }, keys.r2, T0 + HOUR_MS, true);
    log.add(atprotoOp(keys, genesis, 'alice.recovered.example'), keys.r0, T0 + 2 * HOUR_MS);
    const history = signingKeyHistory(log.did, log.entries);
    expect(history.logValid).toBe(true);
    const [a, b, c] = history.windows;
    expect(b?.key).toBe(keys.attacker.publicKey.did());
    expect(b?.nullified).toBe(true);
    expect(b?.until).toBe(iso(T0 + 2 * HOUR_MS));
    expect(a?.nullified).toBe(false);
    expect(c?.until).toBeNull();
    expect(history.current).toBe(keys.signing.publicKey.did());
  });

  it('a tombstone leaves no key in force', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const genesis = log.add(atprotoOp(keys, null), keys.r0, T0);
    log.add({ type: 'plc_tombstone', prev: genesis }, keys.r0, T0 + HOUR_MS);
    const history = signingKeyHistory(log.did, log.entries);
    expect(history.current).toBeNull();
    expect(keyWindowAt(history, iso(T0 + 2 * HOUR_MS))?.key).toBeNull();
  });

  it('ignores operations the replay rejects', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const genesis = log.add(atprotoOp(keys, null), keys.r0, T0);
    // Signed by a key that is not a rotation key: rejected, so its signing key was never in force.
    log.add({ ...atprotoOp(keys, genesis), verificationMethods: { atproto: keys.attacker.publicKey.did() } }, keys.attacker, T0 + HOUR_MS);
    const history = signingKeyHistory(log.did, log.entries);
    expect(history.logValid).toBe(false);
    expect(history.windows).toHaveLength(1);
    expect(windowsOfKey(history, keys.attacker.publicKey.did())).toHaveLength(0);
  });
});
