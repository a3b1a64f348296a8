// The three verdicts of repository verification (valid, invalid, could not check) and the
// historical signature, on examples/alice.car (exported from the reference PDS) and built repos.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { generatePrivateKey, parseDidKey } from '../../../src/core/crypto/index.js';
import { runtime } from '../../../src/core/errors.js';
import { resolverKeySource, type SigningKeySource } from '../../../src/core/identity/signing-keys.js';
import { signingKeyHistory } from '../../../src/core/plc/key-history.js';
import { verifyRepoCar, type RepoVerifyReport } from '../../../src/core/repo/verify.js';
import { HOUR_MS, LogBuilder, T0, atprotoOp, makeKeys } from '../plc/helpers.js';
import { baseConfig } from '../net/helpers.js';
import { buildRepo, carOf, chunks, type Block } from './repo-builder.js';

const aliceCar = new Uint8Array(readFileSync(new URL('../../../examples/alice.car', import.meta.url)));
const alice = JSON.parse(readFileSync(new URL('../../../examples/alice.json', import.meta.url), 'utf8')) as { did: string; signingKey: string };
const STRUCTURAL = ['car', 'hashes', 'commit', 'mst', 'complete', 'records'];

const unreachablePlc = () => resolverKeySource({ http: baseConfig({ allowPrivateNetwork: true }), plcUrl: 'http://127.0.0.1:1', dev: true });

function statusOf(report: RepoVerifyReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
}

describe('could not check is not invalid', () => {
  it('examples/alice.car with no key and no reachable PLC directory: unchecked, every structural check ok', async () => {
    const report = await verifyRepoCar(chunks(aliceCar), { signingKeys: unreachablePlc() });
    expect(report.status).toBe('unchecked');
    expect(report.valid).toBe(false);
    expect(report.errors).toEqual([]);
    const status = statusOf(report);
    for (const name of STRUCTURAL) expect(status[name], name).toBe('ok');
    expect(status['signature']).toBe('unchecked');
    expect(report.checks.find((c) => c.name === 'signature')?.ok).toBe(false);
    expect(report.signature?.status).toBe('unchecked');
    expect(report.reason).toContain(`signature: could not get the signing keys of ${alice.did}`);
    expect(report.records).toBeGreaterThan(0);
  });

  it('the same CAR with its key: valid', async () => {
    const report = await verifyRepoCar(chunks(aliceCar), { key: parseDidKey(alice.signingKey), expectedDid: alice.did });
    expect(report).toMatchObject({ status: 'valid', valid: true, reason: null });
    expect(report.signature).toMatchObject({ status: 'valid', keysChecked: 'given', key: alice.signingKey });
  });

  it('the first-contract resolver callback failing, and no key source at all: unchecked too', async () => {
    const failing = await verifyRepoCar(chunks(aliceCar), {
      resolveKey: async () => {
        throw runtime('NetworkError', 'host not found');
      },
    });
    expect(failing.status).toBe('unchecked');
    expect(failing.reason).toContain('host not found');
    const none = await verifyRepoCar(chunks(aliceCar));
    expect(none.status).toBe('unchecked');
    expect(none.reason).toContain('no signing key');
  });

  it('a download that breaks off could not be checked: its error (exit 1) comes through, nothing is judged on half the data', async () => {
    async function* broken(): AsyncIterable<Uint8Array> {
      yield aliceCar.subarray(0, 5000);
      throw runtime('NetworkError', 'connection reset');
    }
    await expect(verifyRepoCar(broken(), { key: parseDidKey(alice.signingKey) })).rejects.toMatchObject({ kind: 'runtime', code: 'NetworkError' });
  });

  it('corrupted data with an unobtainable key is invalid: a failed check outweighs one that could not run', async () => {
    const bytes = aliceCar.slice();
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 1;
    const report = await verifyRepoCar(chunks(bytes), { signingKeys: unreachablePlc() });
    expect(report.status).toBe('invalid');
    expect(statusOf(report)['hashes']).toBe('failed');
    expect(statusOf(report)['signature']).toBe('unchecked');
    expect(report.reason).toBeNull();
  });

  it('an empty CAR is invalid', async () => {
    const report = await verifyRepoCar(chunks(new Uint8Array(0)), { key: parseDidKey(alice.signingKey) });
    expect(report.status).toBe('invalid');
    expect(report.errors.join()).toMatch(/empty CAR/);
  });
});

describe('the expected DID is checked as an argument', () => {
  it('a malformed DID is a usage error, before any byte is read', async () => {
    let read = false;
    async function* source(): AsyncIterable<Uint8Array> {
      read = true;
      yield aliceCar;
    }
    await expect(verifyRepoCar(source(), { expectedDid: 'not-a-did' })).rejects.toMatchObject({ kind: 'usage', code: 'InvalidDid' });
    expect(read).toBe(false);
  });

  it('a well-formed DID that differs is an invalid repository', async () => {
    const report = await verifyRepoCar(chunks(aliceCar), { key: parseDidKey(alice.signingKey), expectedDid: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(report.status).toBe('invalid');
    expect(statusOf(report)['did']).toBe('failed');
  });
});

describe('a commit signed by an earlier key', () => {
  const keys = makeKeys();
  const later = generatePrivateKey('k256');
  const log = new LogBuilder();
  const genesis = log.add(atprotoOp(keys, null), keys.r0, T0);
  log.add({ ...atprotoOp(keys, genesis), verificationMethods: { atproto: later.publicKey.did() } }, keys.r0, T0 + HOUR_MS);
  const history = signingKeyHistory(log.did, log.entries);
  const plc: SigningKeySource = {
    currentKey: async () => later.publicKey.did(),
    keyHistory: async () => history,
    forget: () => undefined,
  };
  const old = buildRepo({ did: log.did, key: keys.signing });

  it('is historical: valid with a warning naming the key window', async () => {
    const report = await verifyRepoCar(chunks(old.car), { signingKeys: plc, expectedDid: log.did });
    expect(report).toMatchObject({ status: 'valid', valid: true, reason: null, signingKey: keys.signing.publicKey.did() });
    expect(report.signature).toMatchObject({ status: 'historical', key: keys.signing.publicKey.did(), currentKey: later.publicKey.did() });
    expect(report.signature?.windows).toHaveLength(1);
    const sig = report.checks.find((c) => c.name === 'signature');
    expect(sig).toMatchObject({ status: 'warning', level: 'warning', ok: false });
    expect(report.warnings.join()).toContain('a snapshot from before the key changed');
    expect(report.errors).toEqual([]);
  });

  it('is invalid with currentKeyOnly', async () => {
    const report = await verifyRepoCar(chunks(old.car), { signingKeys: plc, currentKeyOnly: true });
    expect(report.status).toBe('invalid');
    expect(report.signature?.status).toBe('invalid');
    expect(report.errors.join()).toContain('only the current key is accepted');
  });

  it('a commit by a key never in force is invalid', async () => {
    const forged = buildRepo({ did: log.did, key: keys.attacker });
    const report = await verifyRepoCar(chunks(forged.car), { signingKeys: plc });
    expect(report.status).toBe('invalid');
    expect(report.signature?.status).toBe('invalid');
  });

  it('a given key is the only key: the earlier key is invalid then', async () => {
    const report = await verifyRepoCar(chunks(old.car), { key: later.publicKey });
    expect(report.status).toBe('invalid');
  });

  it('read-only passes skip the signature: no verdict on it', async () => {
    const report = await verifyRepoCar(chunks(carOf(old.commit.cid, old.blocks as Block[])), { skipSignature: true });
    expect(report.status).toBe('valid');
    expect(report.signature).toBeNull();
  });
});
