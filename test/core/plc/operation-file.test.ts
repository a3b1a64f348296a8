// The {did, operation} file that carries an operation from update to sign to submit.
import { describe, expect, it } from 'vitest';
import { didForGenesis, parseOperation, signOperation, withoutSig } from '../../../src/core/plc/index.js';
import { operationFileDid, operationFileText, parseOperationFile } from '../../../src/core/plc/operation-file.js';
import { LogBuilder, T0, atprotoOp, makeKeys } from './helpers.js';

const keys = makeKeys();
const log = new LogBuilder();
const genesisCid = log.add(atprotoOp(keys, null), keys.r0, T0);
const update = atprotoOp(keys, genesisCid, 'alice.new.example');
const other = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa';

const roundTrip = (text: string) => parseOperationFile(JSON.parse(text) as unknown);

describe('operation files', () => {
  it('an unsigned update written with its DID reads back with it; the operation itself has no extra field', () => {
    const text = operationFileText(update, log.did);
    expect(JSON.parse(text)).toEqual({ did: log.did, operation: update });
    const file = roundTrip(text);
    expect(file).toEqual({ did: log.did, operation: update, wrapped: true });
    expect(operationFileDid(file)).toBe(log.did);
  });

  it('signing keeps the wrapper; the signed operation inside is exactly what the directory takes', () => {
    const signed = signOperation(roundTrip(operationFileText(update, log.did)).operation, keys.r0);
    const file = roundTrip(operationFileText(signed, log.did));
    expect(file.did).toBe(log.did);
    expect(parseOperation(file.operation)).toEqual(signed);
    expect(Object.keys(file.operation)).not.toContain('did');
  });

  it('a bare operation is read too: no DID unless given, and a signed genesis names its own', () => {
    const bare = roundTrip(operationFileText(update, null));
    expect(bare).toEqual({ did: null, operation: update, wrapped: false });
    expect(operationFileDid(bare)).toBeUndefined();
    expect(operationFileDid(bare, log.did)).toBe(log.did);
    const genesis = log.entries[0]!.operation as ReturnType<typeof parseOperation>;
    expect(operationFileDid(roundTrip(JSON.stringify(genesis)))).toBe(didForGenesis(genesis));
    expect(operationFileDid(roundTrip(operationFileText(withoutSig(genesis), null)))).toBeUndefined();
  });

  it('a DID given separately must match the file (usage error), and be a did:plc', () => {
    const file = roundTrip(operationFileText(update, log.did));
    expect(operationFileDid(file, log.did)).toBe(log.did);
    expect(() => operationFileDid(file, other)).toThrow(expect.objectContaining({ kind: 'usage', code: 'OperationDidMismatch' }));
    expect(() => operationFileDid(file, 'did:plc:NOPE')).toThrow(expect.objectContaining({ kind: 'usage', code: 'InvalidDid' }));
  });

  it('a wrapper that does not hold together is an invalid file', () => {
    const bad = (json: unknown) => () => parseOperationFile(json);
    expect(bad({ did: log.did, operation: update, note: 'x' })).toThrow(expect.objectContaining({ code: 'InvalidOperationFile', message: expect.stringContaining('"note"') }));
    expect(bad({ operation: update })).toThrow(/"did" must be/);
    expect(bad({ did: 'did:web:example.com', operation: update })).toThrow(/not a did:plc/);
    const genesis = log.entries[0]!.operation;
    expect(bad({ did: other, operation: genesis })).toThrow(/creates/);
    expect(bad({ did: log.did, operation: { ...update, extra: 1 } })).toThrow(expect.objectContaining({ code: 'InvalidPlcOperation' }));
  });

  it('the signature requirement passes through', () => {
    expect(() => parseOperationFile(JSON.parse(operationFileText(update, log.did)), { sig: 'required' })).toThrow(/not signed/);
  });
});
