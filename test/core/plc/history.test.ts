import { describe, expect, it } from 'vitest';
import { historyOfAuditLog } from '../../../src/core/plc/history.js';
import { HOUR_MS, LogBuilder, T0, atprotoOp, linearLog, makeKeys } from './helpers.js';

describe('historyOfAuditLog', () => {
  it('lists every operation with its signer and what it changed in the state of its prev', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const h = historyOfAuditLog(log.did, log.entries);
    expect(h).toMatchObject({ did: log.did, valid: true, head: { index: 2, cid: cids[2], tombstoned: false, type: 'plc_operation' }, problems: [], problemsOmitted: 0 });
    expect(h.operations.map((o) => [o.index, o.prev, o.signedBy?.keyIndex, o.valid])).toEqual([
      [0, null, 1, true],
      [1, cids[0], 2, true],
      [2, cids[1], 0, true],
    ]);
    expect(h.operations[0]!.changes[0]).toBe('creates a new DID (genesis operation)');
    expect(h.operations[1]!.changes).toEqual(['alsoKnownAs entry removed (was #0): at://alice.example.com', 'alsoKnownAs entry added at #0: at://alice2.example.com']);
  });

  it('names the operation that nullified another, and the tombstone', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const c0 = log.add(atprotoOp(keys, null), keys.r0, T0);
    log.add(atprotoOp(keys, c0, 'bad.example.com'), keys.r2, T0 + HOUR_MS, true);
    const c2 = log.add(atprotoOp(keys, c0, 'good.example.com'), keys.r1, T0 + 2 * HOUR_MS);
    log.add({ type: 'plc_tombstone', prev: c2 }, keys.r1, T0 + 3 * HOUR_MS);
    const h = historyOfAuditLog(log.did, log.entries);
    expect(h.valid).toBe(true);
    expect(h.operations.map((o) => [o.nullified, o.nullifiedBy])).toEqual([
      [false, null],
      [true, 2],
      [false, null],
      [false, null],
    ]);
    expect(h.operations[2]!.nullifies).toEqual([log.entries[1]!.cid]);
    expect(h.operations[3]!.changes).toEqual([expect.stringMatching(/^deactivates the DID/)]);
    expect(h.head).toMatchObject({ index: 3, tombstoned: true, type: 'plc_tombstone' });
  });

  it('an operation that cannot be read has no changes, and its problems are listed', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    const doctored = log.copy();
    (doctored[1]!.operation as { alsoKnownAs: unknown }).alsoKnownAs = 'not a list';
    const h = historyOfAuditLog(log.did, doctored);
    expect(h.valid).toBe(false);
    expect(h.operations[1]!.changes).toEqual([]);
    expect(h.operations[1]!.problems.length).toBeGreaterThan(0);
    expect(h.operations[2]!.changes).toEqual([]); // its prev could not be read either
  });

  it('caps the changes of an operation built from hostile data, and counts the rest', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const c0 = log.add(atprotoOp(keys, null), keys.r0, T0);
    log.add({ ...atprotoOp(keys, c0), alsoKnownAs: Array.from({ length: 500 }, (_, i) => `at://h${i}.example.com`) }, keys.r0, T0 + HOUR_MS);
    const op = historyOfAuditLog(log.did, log.entries).operations[1]!;
    expect(op.changes).toHaveLength(20);
    expect(op.changes.length + op.changesOmitted).toBe(501); // the old handle removed, 500 added
  });
});
