/**
 * Private keys never appear in an error message, hint, details, problem, warning or diff of the
 * PLC core, even when the private key is pasted where a public key belongs.
 */
import { describe, expect, it } from 'vitest';
import { generatePrivateKey, type PrivateKey } from '../../../src/core/crypto/index.js';
import {
  buildGenesis,
  buildUpdate,
  checkOperationForBuild,
  diffOperationData,
  documentFromOperation,
  formatBuildIssue,
  operationCid,
  parseOperation,
  signOperation,
  verifyAuditLog,
  verifyOperationSignature,
  type AuditLogEntry,
  type PlcOperation,
} from '../../../src/core/plc/index.js';
import { REDACTED, didKeyKind, looksLikePrivateKey, redactSecrets } from '../../../src/core/plc/keys.js';
import { HOUR_MS, LogBuilder, T0, atprotoOp, iso, makeKeys, rotationDids } from './helpers.js';

const PREV = 'bafyreigcxay6ucqlwowfpu35alyxqtv3c4vsj7gmdtmnidsnqs6nblyarq';

/** Every textual form of the secret that could leak. */
function secretForms(key: PrivateKey): string[] {
  const hex = key.hex();
  const bytes = Buffer.from(hex, 'hex');
  return [
    hex,
    hex.toUpperCase(),
    key.multikey(),
    key.multikey().slice(1), // without the multibase prefix
    bytes.toString('base64'),
    bytes.toString('base64url'),
  ];
}

function collect(out: string[], fn: () => unknown): void {
  try {
    const result = fn();
    out.push(JSON.stringify(result) ?? '');
  } catch (err) {
    const e = err as { message?: unknown; hint?: unknown; details?: unknown; stack?: unknown };
    out.push(String(e.message), String(e.hint), JSON.stringify(e.details) ?? '', String(e.stack), String(err));
  }
}

describe('no private key in any message', () => {
  it.each(['k256', 'p256'] as const)('%s key: sign, then drive every failure path', (type) => {
    const keys = makeKeys();
    const secret = generatePrivateKey(type);
    const forms = secretForms(secret);
    const pasted = [secret.multikey(), `did:key:${secret.multikey()}`, secret.hex()];
    const texts: string[] = [];

    // A good log signed with the secret key, then doctored in every way.
    const log = new LogBuilder();
    const genesis = { ...atprotoOp(keys, null), rotationKeys: [secret.publicKey.did(), ...rotationDids(keys)] };
    const c0 = log.add(genesis, secret, T0);
    const c1 = log.add({ ...genesis, prev: c0, alsoKnownAs: ['at://b.example.com'] }, secret, T0 + HOUR_MS);
    const signed = log.entries[1]!.operation as PlcOperation;
    texts.push(JSON.stringify(verifyAuditLog(log.did, log.entries)));

    const doctored: Array<(e: AuditLogEntry[]) => void> = [
      (e) => (e[1]!.cid = c0),
      (e) => (e[1]!.nullified = true),
      (e) => (e[1]!.createdAt = iso(T0 - HOUR_MS)),
      (e) => ((e[1]!.operation as PlcOperation).sig += '=='),
      (e) => ((e[1]!.operation as PlcOperation).prev = c1),
      (e) => ((e[1]!.operation as PlcOperation).rotationKeys = pasted),
      (e) => ((e[0]!.operation as PlcOperation).rotationKeys.push(...pasted)),
      (e) => ((e[1]!.operation as Record<string, unknown>)[secret.multikey()] = 1),
      (e) => (e[1]!.did = secret.multikey()),
    ];
    for (const doctor of doctored) {
      const entries = JSON.parse(JSON.stringify(log.entries)) as AuditLogEntry[];
      doctor(entries);
      collect(texts, () => verifyAuditLog(log.did, entries));
    }

    // Verification against wrong or pasted keys.
    collect(texts, () => verifyOperationSignature(signed, [keys.r0.publicKey.did()]));
    collect(texts, () => verifyOperationSignature(signed, pasted));
    collect(texts, () => verifyOperationSignature({ ...signed, sig: `${signed.sig}=` }, [secret.publicKey.did()]));

    // Parsing, signing, building and validating with the secret pasted into key fields.
    collect(texts, () => parseOperation({ ...signed, rotationKeys: 5 }));
    collect(texts, () => signOperation({ ...genesis, extra: 1 } as never, secret));
    for (const p of pasted) {
      collect(texts, () => checkOperationForBuild({ ...genesis, rotationKeys: [p] }).map(formatBuildIssue));
      collect(texts, () => checkOperationForBuild({ ...genesis, verificationMethods: { atproto: p } }).map(formatBuildIssue));
      collect(texts, () => checkOperationForBuild({ ...genesis, rotationKeys: [p, p] }).map(formatBuildIssue));
      collect(texts, () => buildGenesis({ rotationKeys: [p], signingKey: p, handle: 'a.example.com', pds: 'https://p.example.com' }));
      collect(texts, () => buildUpdate(genesis, { prev: PREV, addRotationKeys: [p] }));
      collect(texts, () => buildUpdate(genesis, { prev: PREV, removeRotationKeys: [p] }));
      collect(texts, () => buildUpdate(genesis, { prev: PREV, signingKey: p }));
      collect(texts, () => documentFromOperation(log.did, { ...genesis, verificationMethods: { atproto: p } }));
      collect(texts, () => diffOperationData(genesis, { ...genesis, rotationKeys: [p], verificationMethods: { atproto: p } }));
    }
    collect(texts, () => operationCid({ ...signed, sig: undefined } as never));

    expect(texts.length).toBeGreaterThan(40);
    const all = texts.join('\n');
    for (const form of forms) expect(all.includes(form), `leaked ${form.slice(0, 6)}…`).toBe(false);
    // and the key object itself redacts
    expect(String(secret)).not.toContain(secret.hex());
    expect(JSON.stringify(secret)).not.toContain(secret.hex());
  });
});

describe('private-key detection', () => {
  it.each(['k256', 'p256'] as const)('recognises %s private keys in every pasted form, not public ones', (type) => {
    const key = generatePrivateKey(type);
    for (const form of [key.hex(), `0x${key.hex()}`, key.multikey(), key.multikey().slice(1), `did:key:${key.multikey()}`]) {
      expect(looksLikePrivateKey(form)).toBe(true);
      const redacted = redactSecrets(`before ${form} after`);
      expect(redacted).toContain(REDACTED);
      expect(redacted).not.toContain(key.hex());
      expect(redacted).not.toContain(key.multikey().slice(1));
    }
    expect(didKeyKind(`did:key:${key.multikey()}`)).toBe('private');
    for (const pub of [key.publicKey.did(), key.publicKey.multikey(), 'bafyreigcxay6ucqlwowfpu35alyxqtv3c4vsj7gmdtmnidsnqs6nblyarq']) {
      expect(looksLikePrivateKey(pub)).toBe(false);
      expect(redactSecrets(pub)).toBe(pub);
    }
  });

  it('a private key in a verification method is refused by the build check and the document', () => {
    const keys = makeKeys();
    const op = { ...atprotoOp(keys, null), verificationMethods: { atproto: keys.signing.publicKey.did(), oops: `did:key:${keys.r0.multikey()}` } };
    const issues = checkOperationForBuild(op);
    expect(issues).toEqual([expect.objectContaining({ level: 'error', field: 'verificationMethods.oops', message: expect.stringMatching(/PRIVATE/) })]);
    expect(() => documentFromOperation('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', op)).toThrow(/not a public did:key/);
  });
});
