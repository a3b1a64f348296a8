import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentFromOperation, verifyAuditLog } from '../../../src/core/plc/index.js';
import { auditLogFromFile, plcLogReport, verifyAtDirectory } from '../../../src/core/plc/verify.js';
import { HOUR_MS, LogBuilder, T0, atprotoOp, linearLog, logDirectory, makeKeys } from './helpers.js';

function headDocument(log: LogBuilder): Record<string, unknown> {
  const head = verifyAuditLog(log.did, log.entries).head!;
  return documentFromOperation(log.did, head.data!) as unknown as Record<string, unknown>;
}

describe('plcLogReport', () => {
  it('offline: the log alone, no document comparison', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const r = plcLogReport(log.did, log.entries);
    expect(r).toMatchObject({ did: log.did, valid: true, source: 'file', operations: 3, document: null, nullified: [], head: { index: 2, cid: cids[2] } });
  });

  it('online: the document the log derives matches the one served', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    expect(plcLogReport(log.did, log.entries, headDocument(log))).toMatchObject({ valid: true, source: 'directory', document: { checked: true, matches: true, differences: [] } });
  });

  it('online: a served document that differs, a missing document, and a tombstoned DID still served are problems', () => {
    const keys = makeKeys();
    const { log, cids } = linearLog(keys);
    const doc = { ...headDocument(log), alsoKnownAs: ['at://mallory.example.com'] };
    const differs = plcLogReport(log.did, log.entries, doc);
    expect(differs.valid).toBe(false);
    expect(differs.document?.matches).toBe(false);
    expect(differs.problems).toEqual([expect.stringMatching(/^DID document: alsoKnownAs: the directory says/)]);
    const missing = plcLogReport(log.did, log.entries, null);
    expect(missing.problems).toEqual([`DID document: the directory serves no DID document, but the log's head operation #2 (${cids[2]}) is active`]);
    log.add({ type: 'plc_tombstone', prev: cids[2]! }, keys.r0, T0 + 50 * HOUR_MS);
    expect(plcLogReport(log.did, log.entries, null).valid).toBe(true);
    expect(plcLogReport(log.did, log.entries, doc).problems[0]).toMatch(/ends in a tombstone .* still serves a DID document/);
  });

  it('maps each nullified operation to the one that nullified it', () => {
    const keys = makeKeys();
    const log = new LogBuilder();
    const c0 = log.add(atprotoOp(keys, null), keys.r0, T0);
    const c1 = log.add(atprotoOp(keys, c0, 'one.example.com'), keys.r2, T0 + HOUR_MS);
    const c2 = log.add(atprotoOp(keys, c1, 'two.example.com'), keys.r2, T0 + 2 * HOUR_MS);
    log.entries[1]!.nullified = true;
    log.entries[2]!.nullified = true;
    const c3 = log.add(atprotoOp(keys, c0, 'back.example.com'), keys.r1, T0 + 3 * HOUR_MS);
    const r = plcLogReport(log.did, log.entries);
    expect(r.valid).toBe(true);
    expect(r.nullified).toEqual([
      { index: 1, cid: c1, createdAt: log.entries[1]!.createdAt, nullifiedBy: { index: 3, cid: c3 } },
      { index: 2, cid: c2, createdAt: log.entries[2]!.createdAt, nullifiedBy: { index: 3, cid: c3 } },
    ]);
  });

  it('names invalid operations, and caps the lists from a hostile log with a count of the rest', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    const doctored = log.copy();
    for (let i = 0; i < 30; i++) doctored.push({ ...doctored[2]!, cid: `bafyreibogus${i}` });
    const r = plcLogReport(log.did, doctored);
    expect(r.valid).toBe(false);
    expect(r.invalidOperations).toHaveLength(20);
    expect(r.invalidOperations.length + r.invalidOperationsOmitted).toBe(30);
    expect(r.invalidOperations[0]!.index).toBe(3);
    expect(r.problems).toHaveLength(20);
    expect(r.problemsOmitted).toBeGreaterThanOrEqual(10);
  });
});

describe('verifyAtDirectory', () => {
  let dir: Awaited<ReturnType<typeof logDirectory>>;
  beforeAll(async () => {
    dir = await logDirectory();
  });
  afterAll(async () => {
    await dir.close();
  });

  it('fetches the audit log and the document and compares them', async () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    dir.logs.set(log.did, log.entries);
    expect(await verifyAtDirectory(dir.client, log.did)).toMatchObject({ valid: true, source: 'directory', document: { matches: true } });
    log.add({ type: 'plc_tombstone', prev: log.entries[2]!.cid }, keys.r0, T0 + 50 * HOUR_MS);
    expect(await verifyAtDirectory(dir.client, log.did)).toMatchObject({ valid: true, head: { tombstoned: true }, document: { matches: true } });
  });
});

describe('auditLogFromFile', () => {
  it('takes the DID given, else the first entry’s', () => {
    const keys = makeKeys();
    const { log } = linearLog(keys);
    expect(auditLogFromFile(log.entries).did).toBe(log.did);
    expect(auditLogFromFile(log.entries, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa').did).toBe('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa');
  });

  it('refuses what is not an audit log, or names no DID', () => {
    expect(() => auditLogFromFile({ a: 1 })).toThrow(expect.objectContaining({ code: 'InvalidAuditLog', kind: 'invalid' }));
    expect(() => auditLogFromFile([])).toThrow(expect.objectContaining({ code: 'MissingDid', kind: 'usage' }));
    expect(() => auditLogFromFile([{ did: 'did:plc:UPPER' }])).toThrow(expect.objectContaining({ code: 'InvalidDid', kind: 'usage' }));
  });
});
