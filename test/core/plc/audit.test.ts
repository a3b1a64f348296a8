import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAtcliError } from '../../../src/core/errors.js';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import {
  operationCid,
  parseOperation,
  signOperation,
  verifyAuditLog,
  type AuditLogEntry,
  type AuditLogVerification,
  type PlcOperation,
} from '../../../src/core/plc/index.js';
import {
  BSKY_SIGNING_KEY,
  DHOLMS_DID,
  DHOLMS_GENESIS,
  DHOLMS_GENESIS_CID,
  DHOLMS_UPDATE,
  JAY_CIDS,
  JAY_CREATED_AT,
  JAY_DID,
  JAY_OPS,
} from './fixtures/vectors.js';
import {
  HOUR_MS,
  LogBuilder,
  T0,
  atprotoOp,
  b64url,
  fromB64url,
  highS,
  iso,
  linearLog,
  makeKeys,
  toDer,
} from './helpers.js';

function fixture(name: string): AuditLogEntry[] {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as AuditLogEntry[];
}

/** The (only) operations that have problems, and the problems. */
function badOps(r: AuditLogVerification): Array<[number, string[]]> {
  return r.operations.filter((o) => o.problems.length > 0).map((o) => [o.index, o.problems]);
}

/** Every top-level problem names an operation by index and CID. */
function expectProblemsNameOps(r: AuditLogVerification): void {
  expect(r.problems.length).toBeGreaterThan(0);
  for (const p of r.problems) expect(p).toMatch(/^operation #\d+ \(b[a-z2-7]+\): /);
}

describe('go-didplc testdata logs', () => {
  it('log_nullification_at_exactly_72h: valid, op 2 nullified by a higher-priority key', () => {
    const log = fixture('gdp_log_nullification_at_exactly_72h.json');
    const r = verifyAuditLog(log[0]!.did, log);
    expect(r.problems).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.operations.map((o) => o.nullified)).toEqual([false, false, true, false]);
    expect(r.operations[3]).toMatchObject({ signedBy: { keyIndex: 0 }, nullifies: [log[2]!.cid] });
    expect(r.operations[2]!.signedBy!.keyIndex).toBe(1);
    expect(r.head).toMatchObject({ cid: log[3]!.cid, index: 3, tombstoned: false });
    expect(r.head!.data!.alsoKnownAs).toEqual(['at://op3']);
  });

  it('G7 on the real log: moved to exactly 72 h after the nullified op it is accepted, at 72 h + 1 s refused', () => {
    // createdAt is not signed, so the window can be probed on the real operations.
    const exact = fixture('gdp_log_nullification_at_exactly_72h.json');
    exact[3]!.createdAt = '2025-07-30T00:00:00.000Z'; // op 2 was created 2025-07-27T00:00:00.000Z
    expect(verifyAuditLog(exact[0]!.did, exact).valid).toBe(true);
    const late = fixture('gdp_log_nullification_at_exactly_72h.json');
    late[3]!.createdAt = '2025-07-30T00:00:01.000Z';
    const r = verifyAuditLog(late[0]!.did, late);
    expect(r.valid).toBe(false);
    expect(badOps(r).map(([i]) => i)).toEqual([2, 3]); // #3 refused; #2 then stays active, so its flag is wrong
    expect(r.operations[3]!.problems[0]).toMatch(/72h 0m 1s after.*recovery window is 72h/);
    expect(r.operations[2]!.problems[0]).toMatch(/says nullified: true, but the replay finds it active/);
    expectProblemsNameOps(r);
  });

  it('log_nullification_nontrivial: its malformed createdAt is reported', () => {
    const log = fixture('gdp_log_nullification_nontrivial.json');
    const r = verifyAuditLog(log[0]!.did, log);
    expect(r.valid).toBe(false);
    expect(r.operations[1]!.problems[0]).toMatch(/createdAt "2025-07-1T00:00:01.000Z" is not a valid datetime/);
  });

  it('log_nullification_nontrivial (createdAt corrected): two forks, nullification flags match', () => {
    const log = fixture('gdp_log_nullification_nontrivial.json');
    log[1]!.createdAt = '2025-07-01T00:00:01.000Z';
    const r = verifyAuditLog(log[0]!.did, log);
    expect(r.problems).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.operations.map((o) => o.nullified)).toEqual(log.map((e) => e.nullified));
    // op5 forks at op3 and nullifies op4; op7 forks at op1 and nullifies op2, op3, op5, op6.
    expect(r.operations[5]!.nullifies).toEqual([log[4]!.cid]);
    expect(r.operations[7]!.nullifies).toEqual([log[2]!.cid, log[3]!.cid, log[5]!.cid, log[6]!.cid]);
    expect(r.head!.cid).toBe(log[7]!.cid);
  });
});

describe('real logs with a legacy genesis', () => {
  function jayLog(): AuditLogEntry[] {
    const cids = [...JAY_CIDS, operationCid(parseOperation(JAY_OPS[3]))];
    return JAY_OPS.map((op, i) => ({ did: JAY_DID, operation: op, cid: cids[i]!, nullified: false, createdAt: JAY_CREATED_AT[i]! }));
  }

  it('G13: jay.bsky.team verifies; genesis signed by the signing key (#1 of [recovery, signing])', () => {
    const r = verifyAuditLog(JAY_DID, jayLog());
    expect(r.problems).toEqual([]);
    expect(r.operations[0]).toMatchObject({ type: 'create', signedBy: { keyIndex: 1, key: BSKY_SIGNING_KEY } });
    expect(r.head!.data).toMatchObject({
      did: JAY_DID,
      alsoKnownAs: ['at://jay.bsky.team'],
      services: { atproto_pds: { endpoint: 'https://morel.us-east.host.bsky.network' } },
    });
  });

  it('dholms: legacy genesis + update', () => {
    const entries: AuditLogEntry[] = [
      { did: DHOLMS_DID, operation: DHOLMS_GENESIS, cid: DHOLMS_GENESIS_CID, nullified: false, createdAt: '2022-11-17T00:35:16.391Z' },
      {
        did: DHOLMS_DID,
        operation: DHOLMS_UPDATE,
        cid: operationCid(parseOperation(DHOLMS_UPDATE)),
        nullified: false,
        createdAt: '2023-03-06T18:47:09.501Z',
      },
    ];
    const r = verifyAuditLog(DHOLMS_DID, entries);
    expect(r.problems).toEqual([]);
    expect(r.head!.data!.alsoKnownAs).toEqual(['at://dholms.xyz']);
  });

  it('the genesis DID must match', () => {
    const r = verifyAuditLog('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', jayLog().map((e) => ({ ...e, did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' })));
    expect(r.valid).toBe(false);
    expect(badOps(r)).toEqual([[0, [`the genesis operation hashes to ${JAY_DID}, not did:plc:aaaaaaaaaaaaaaaaaaaaaaaa`]]]);
  });
});

describe('hand-built logs (fresh keys)', () => {
  it('genesis → update → update verifies; signers and head reported', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const r = verifyAuditLog(log.did, log.entries);
    expect(r.problems).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.operations.map((o) => o.signedBy!.keyIndex)).toEqual([1, 2, 0]);
    expect(r.operations.map((o) => o.cid)).toEqual(cids);
    expect(r.head).toMatchObject({ cid: cids[2], index: 2, type: 'plc_operation', tombstoned: false });
    expect(r.head!.data!.alsoKnownAs).toEqual(['at://alice3.example.com']);
    expect(r.warnings).toEqual([]);
  });

  it('a broken prev link is named', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const stray = operationCid(signOperation(atprotoOp(keys, null, 'other.example.com'), keys.r0));
    const entries = log.copy();
    const op = signOperation({ ...atprotoOp(keys, stray, 'alice3.example.com') }, keys.r0);
    entries[2] = { ...entries[2]!, operation: op, cid: operationCid(op) };
    const r = verifyAuditLog(log.did, entries);
    expect(r.valid).toBe(false);
    expect(badOps(r)).toEqual([[2, [`prev ${stray} does not name an earlier operation of ${log.did}`]]]);
    expectProblemsNameOps(r);
    expect(r.head!.cid).toBe(cids[1]);
  });

  it('a re-signed operation (by a key that is not a rotation key of prev) is named', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    const entries = log.copy();
    const resigned = signOperation(entries[1]!.operation as PlcOperation, keys.attacker);
    entries[1] = { ...entries[1]!, operation: resigned, cid: operationCid(resigned) };
    const r = verifyAuditLog(log.did, entries);
    expect(r.valid).toBe(false);
    const bad = badOps(r);
    expect(bad[0]![0]).toBe(1);
    expect(bad[0]![1][0]).toMatch(/not signed by a rotation key of operation #0 \(b[a-z2-7]+\)/);
    // the next op names the original CID, which is not in the log any more
    expect(bad[1]![0]).toBe(2);
  });

  it('a tampered operation (content changed, signature kept) is named', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    const entries = log.copy();
    (entries[2]!.operation as PlcOperation).alsoKnownAs = ['at://mallory.example.com'];
    const r = verifyAuditLog(log.did, entries);
    expect(r.valid).toBe(false);
    expect(badOps(r).map(([i]) => i)).toEqual([2]);
    expect(r.operations[2]!.problems.join(' ')).toMatch(/cid .* does not match/);
    expect(r.operations[2]!.problems.join(' ')).toMatch(/not signed by a rotation key of operation #1/);
  });

  it('G12: a wrong cid is named, and the rest of the log still checks out', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const entries = log.copy();
    entries[1]!.cid = cids[0]!;
    const r = verifyAuditLog(log.did, entries);
    expect(r.valid).toBe(false);
    expect(badOps(r)).toEqual([[1, [`the entry's cid ${cids[0]} does not match the operation, whose CID is ${cids[1]}`]]]);
    expect(r.head!.cid).toBe(cids[2]);
  });

  it('G12: a wrong nullified flag is named (both directions)', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    const entries = log.copy();
    entries[1]!.nullified = true;
    const r = verifyAuditLog(log.did, entries);
    expect(badOps(r)).toEqual([[1, ['the entry says nullified: true, but the replay finds it active']]]);

    const g = log.copy();
    g[0]!.nullified = true;
    expect(badOps(verifyAuditLog(log.did, g))[0]![1][0]).toMatch(/genesis operation can never be nullified/);

    // a real nullification reported as active
    const n = new LogBuilder();
    const c0 = n.add(atprotoOp(keys, null), keys.r0, T0);
    n.add(atprotoOp(keys, c0, 'b.example.com'), keys.r2, T0 + HOUR_MS, true);
    n.add(atprotoOp(keys, c0, 'c.example.com'), keys.r1, T0 + 2 * HOUR_MS);
    expect(verifyAuditLog(n.did, n.entries).valid).toBe(true);
    const lying = JSON.parse(JSON.stringify(n.entries)) as AuditLogEntry[];
    lying[1]!.nullified = false;
    expect(badOps(verifyAuditLog(n.did, lying))).toEqual([[1, ['the entry says nullified: false, but the replay finds it nullified']]]);
  });

  it('out-of-order timestamps are named (and equal ones)', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    const entries = log.copy();
    entries[2]!.createdAt = iso(T0 + 12 * HOUR_MS); // before op 1 (T0 + 24h)
    const r = verifyAuditLog(log.did, entries);
    expect(badOps(r).map(([i]) => i)).toEqual([2]);
    expect(r.operations[2]!.problems[0]).toMatch(/is not after that of operation #1/);
    const same = log.copy();
    same[2]!.createdAt = same[1]!.createdAt;
    expect(badOps(verifyAuditLog(log.did, same)).map(([i]) => i)).toEqual([2]);
  });

  describe('nullification', () => {
    function forkLog(firstSigner: 'r1' | 'r2', forkSigner: 'r0' | 'r1' | 'r2', forkAfterMs: number) {
      const keys = makeKeys();
      const log = new LogBuilder();
      const c0 = log.add(atprotoOp(keys, null), keys.r0, T0);
      const c1 = log.add(atprotoOp(keys, c0, 'evil.example.com'), keys[firstSigner], T0 + HOUR_MS, true);
      const c2 = log.add(atprotoOp(keys, c0, 'recovered.example.com'), keys[forkSigner], T0 + HOUR_MS + forkAfterMs);
      return { keys, log, cids: [c0, c1, c2] };
    }

    it('a higher-priority key nullifies within the window', () => {
      const { log, cids } = forkLog('r1', 'r0', HOUR_MS);
      const r = verifyAuditLog(log.did, log.entries);
      expect(r.problems).toEqual([]);
      expect(r.operations[2]!.nullifies).toEqual([cids[1]]);
      expect(r.head!.data!.alsoKnownAs).toEqual(['at://recovered.example.com']);
    });

    it('G6: a forged nullification with the same key index is refused', () => {
      const { log } = forkLog('r1', 'r1', HOUR_MS);
      const r = verifyAuditLog(log.did, log.entries);
      expect(r.valid).toBe(false);
      expect(r.operations[2]!.problems[0]).toMatch(
        /forks at operation #0 .* would nullify operation #1 .* signed by its rotation key #1; .*\(index < 1\).* signed by key #1/,
      );
      // and #1 then stays active, so its "nullified: true" is also wrong
      expect(badOps(r).map(([i]) => i)).toEqual([1, 2]);
      expectProblemsNameOps(r);
    });

    it('G6: a forged nullification with a lower-priority key is refused', () => {
      const { log } = forkLog('r1', 'r2', HOUR_MS);
      const r = verifyAuditLog(log.did, log.entries);
      expect(r.operations[2]!.problems[0]).toMatch(/index < 1.*signed by key #2/);
    });

    it('G7: exactly 72 h is accepted, 72 h + 1 s is refused, 72 h + 1 ms too', () => {
      const exact = forkLog('r2', 'r1', 72 * HOUR_MS);
      expect(verifyAuditLog(exact.log.did, exact.log.entries).problems).toEqual([]);
      const late = forkLog('r2', 'r1', 72 * HOUR_MS + 1000);
      const r = verifyAuditLog(late.log.did, late.log.entries);
      expect(r.valid).toBe(false);
      expect(r.operations[2]!.problems[0]).toMatch(/nullifies operation #1 .* 72h 0m 1s after it was created/);
      const ms = forkLog('r2', 'r1', 72 * HOUR_MS + 1);
      expect(verifyAuditLog(ms.log.did, ms.log.entries).valid).toBe(false);
    });

    it('a second recovery from the same fork point needs a still higher key', () => {
      const keys = makeKeys();
      const log = new LogBuilder();
      const c0 = log.add(atprotoOp(keys, null), keys.r0, T0);
      log.add(atprotoOp(keys, c0, 'a.example.com'), keys.r2, T0 + HOUR_MS, true);
      log.add(atprotoOp(keys, c0, 'b.example.com'), keys.r1, T0 + 2 * HOUR_MS, true);
      log.add(atprotoOp(keys, c0, 'c.example.com'), keys.r0, T0 + 3 * HOUR_MS);
      expect(verifyAuditLog(log.did, log.entries).problems).toEqual([]);
      // ...and r1 cannot fork again after r1 already did
      const bad = new LogBuilder();
      const d0 = bad.add(atprotoOp(keys, null), keys.r0, T0);
      bad.add(atprotoOp(keys, d0, 'a.example.com'), keys.r2, T0 + HOUR_MS, true);
      bad.add(atprotoOp(keys, d0, 'b.example.com'), keys.r1, T0 + 2 * HOUR_MS);
      bad.add(atprotoOp(keys, d0, 'c.example.com'), keys.r1, T0 + 3 * HOUR_MS);
      expect(badOps(verifyAuditLog(bad.did, bad.entries)).map(([i]) => i)).toEqual([3]);
    });

    it('extending a nullified operation is refused', () => {
      const { keys, log, cids } = forkLog('r1', 'r0', HOUR_MS);
      log.add(atprotoOp(keys, cids[1]!, 'zombie.example.com'), keys.r0, T0 + 5 * HOUR_MS);
      const r = verifyAuditLog(log.did, log.entries);
      expect(badOps(r)).toEqual([[3, [expect.stringMatching(/prev names operation #1 .* has been nullified/)]]]);
    });

    it('a nullifying op must still be after the current head', () => {
      const keys = makeKeys();
      const log = new LogBuilder();
      const c0 = log.add(atprotoOp(keys, null), keys.r0, T0);
      const c1 = log.add(atprotoOp(keys, c0, 'a.example.com'), keys.r2, T0 + HOUR_MS, true);
      log.add(atprotoOp(keys, c1, 'b.example.com'), keys.r2, T0 + 3 * HOUR_MS, true);
      log.add(atprotoOp(keys, c0, 'c.example.com'), keys.r0, T0 + 2 * HOUR_MS);
      const r = verifyAuditLog(log.did, log.entries);
      expect(r.operations[3]!.problems[0]).toMatch(/not after that of the current head operation #2/);
    });
  });

  describe('tombstones', () => {
    it('a tombstone ends the log: head tombstoned, no data', () => {
      const keys = makeKeys();
      const { log, cids } = linearLog(keys);
      const t = log.add({ type: 'plc_tombstone', prev: cids[2]! }, keys.r1, T0 + 72 * HOUR_MS);
      const r = verifyAuditLog(log.did, log.entries);
      expect(r.problems).toEqual([]);
      expect(r.head).toMatchObject({ cid: t, type: 'plc_tombstone', tombstoned: true, data: null });
    });

    it('G8: an operation extending a tombstone is refused', () => {
      const keys = makeKeys();
      const { log, cids } = linearLog(keys);
      const t = log.add({ type: 'plc_tombstone', prev: cids[2]! }, keys.r1, T0 + 72 * HOUR_MS);
      log.add(atprotoOp(keys, t, 'back.example.com'), keys.r0, T0 + 73 * HOUR_MS);
      const r = verifyAuditLog(log.did, log.entries);
      expect(badOps(r)).toEqual([[4, [expect.stringMatching(/prev names operation #3 .*a tombstone; nothing may extend/)]]]);
      expect(r.head!.tombstoned).toBe(true);
    });

    it('a tombstone can be nullified inside the window by a higher-priority key', () => {
      const keys = makeKeys();
      const log = new LogBuilder();
      const c0 = log.add(atprotoOp(keys, null), keys.r0, T0);
      log.add({ type: 'plc_tombstone', prev: c0 }, keys.r2, T0 + HOUR_MS, true);
      log.add(atprotoOp(keys, c0, 'alive.example.com'), keys.r0, T0 + 2 * HOUR_MS);
      const r = verifyAuditLog(log.did, log.entries);
      expect(r.problems).toEqual([]);
      expect(r.head!.tombstoned).toBe(false);
    });
  });

  describe('signature encodings inside a log (G1–G3)', () => {
    function withSig(mutate: (sig: string) => string): AuditLogVerification {
      const keys = makeKeys();
      const { log } = linearLog(keys);
      const entries = log.copy();
      const op = entries[1]!.operation as PlcOperation;
      op.sig = mutate(op.sig);
      return verifyAuditLog(log.did, entries);
    }

    it('G1: padding', () => {
      const r = withSig((s) => `${s}==`);
      expect(r.operations[1]!.problems[0]).toMatch(/sig: signature has '=' padding/);
      expectProblemsNameOps(r);
    });

    it('G2: non-zero trailing bits', () => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const r = withSig((s) => {
        const v = alphabet.indexOf(s[s.length - 1]!);
        return s.slice(0, -1) + alphabet[(v & ~0xf) | ((v + 1) & 0xf)]!;
      });
      expect(r.operations[1]!.problems[0]).toMatch(/padding bits/);
    });

    it('G3: DER', () => {
      const r = withSig((s) => b64url(toDer(fromB64url(s))));
      expect(r.operations[1]!.problems[0]).toMatch(/DER/);
    });

    it('G3: high-S (op 1 is signed by r2, a k256 key)', () => {
      const r = withSig((s) => b64url(highS(fromB64url(s), 'k256')));
      expect(r.operations[1]!.problems.join('\n')).toMatch(/rotation key #2 \(k256\): high-S signature/);
    });

    it('a newline inside the signature', () => {
      const r = withSig((s) => `${s.slice(0, 10)}\n${s.slice(10)}`);
      expect(r.operations[1]!.problems[0]).toMatch(/line feed/);
    });
  });

  it('G9: an ed25519 rotation key in an operation is an error', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const op = atprotoOp(keys, null);
    op.rotationKeys.push('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK');
    log.add(op, keys.r0, T0);
    const r = verifyAuditLog(log.did, log.entries);
    expect(r.operations[0]!.problems[0]).toMatch(/rotationKeys\[3\]: .*ed25519/);
  });

  it('G4/G10 inside a log: shape errors name the operation and field', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    const entries = log.copy();
    (entries[1]!.operation as Record<string, unknown>)['extra'] = true;
    const r = verifyAuditLog(log.did, entries);
    expect(r.operations[1]!.problems[0]).toMatch(/extra: unexpected field "extra"/);
    expect(r.operations[2]!.problems[0]).toMatch(/names operation #1, which is itself invalid/);
  });

  it('historical deviations the directory accepted are warnings, not errors (§8)', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const op = atprotoOp(keys, null);
    op.rotationKeys = [...op.rotationKeys, op.rotationKeys[0]!, ...Array.from({ length: 3 }, () => generatePrivateKey('k256').publicKey.did())];
    const c0 = log.add(op, keys.r0, T0);
    log.add({ ...atprotoOp(keys, c0), rotationKeys: [] }, keys.r0, T0 + HOUR_MS);
    const r = verifyAuditLog(log.did, log.entries);
    expect(r.problems).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.warnings.join('\n')).toMatch(/operation #0 .*rotationKeys: has 7 rotation keys/);
    expect(r.warnings.join('\n')).toMatch(/operation #0 .*rotationKeys\[3\]: duplicates rotationKeys\[0\]/);
    expect(r.warnings.join('\n')).toMatch(/operation #1 .*nothing can ever follow it/);
  });

  it('entries of another DID, a second genesis, a log not starting with genesis', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    const other = log.copy();
    other[1]!.did = 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb';
    expect(badOps(verifyAuditLog(log.did, other))[0]).toEqual([1, [`the entry belongs to "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb", not ${log.did}`]]);

    const twice = log.copy();
    const g2 = signOperation(atprotoOp(keys, null, 'again.example.com'), keys.r0);
    twice.push({ did: log.did, operation: g2, cid: operationCid(g2), nullified: false, createdAt: iso(T0 + 100 * HOUR_MS) });
    expect(badOps(verifyAuditLog(log.did, twice))).toEqual([[3, [expect.stringMatching(/second genesis/)]]]);

    const headless = log.copy().slice(1);
    expect(badOps(verifyAuditLog(log.did, headless))[0]![1][0]).toMatch(/does not start with a genesis/);
  });

  it('G5: a malformed DID argument is refused; an empty log is invalid', () => {
    for (const bad of ['did:plc:aaaaaaaaaaaaaaaaaaaaaaaaa', 'did:plc:AAAAAAAAAAAAAAAAAAAAAAAA', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaa1']) {
      try {
        verifyAuditLog(bad, []);
        throw new Error('expected a throw');
      } catch (err) {
        expect(isAtcliError(err) && err.code).toBe('InvalidDid');
      }
    }
    const r = verifyAuditLog('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', []);
    expect(r).toMatchObject({ valid: false, problems: ['the audit log is empty'] });
    expect(r.head).toBeUndefined();
  });

  it('junk entries are reported, not thrown', () => {
    const r = verifyAuditLog('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', [null, 5, { did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }]);
    expect(r.valid).toBe(false);
    expect(r.operations).toHaveLength(3);
    expect(r.operations.every((o) => !o.valid)).toBe(true);
  });
});
