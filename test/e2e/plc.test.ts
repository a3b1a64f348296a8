// `atcli plc` against the real local PLC directory of the test network (test/network): a new
// identity built from scratch, updates, a recovery that nullifies an operation, local refusals
// that never reach the directory, and `plc verify` on every identity and on doctored logs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestNetwork } from '../network/client.js';
import { updateHandle } from '../network/client.js';
import { stderrJsonError, stdoutJson, tempDir, type CliResult } from '../cli/run-cli.js';
import { runIn, type InProcessResult, type TestIOOptions } from '../support/test-io.js';
import { devFlags, network, networkInfo, newAccount, refuse } from './helpers.js';
import { generatePrivateKey, parsePrivateKey, type PrivateKey } from '../../src/core/crypto/index.js';
import {
  buildTombstone,
  didForGenesis,
  operationCid,
  operationData,
  signOperation,
  type AuditLogEntry,
  type Operation,
  type OperationData,
  type PlcData,
  type UnsignedPlcOperation,
} from '../../src/core/plc/index.js';
import { b64url, fromB64url, highS } from '../core/plc/helpers.js';

// Many sequential CLI runs per test: allow for a loaded machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const dir = tempDir('atcli-plc-e2e-');
const asCli = (r: InProcessResult): CliResult => ({ ...r, signal: null });
const json = <T = Record<string, unknown>>(r: InProcessResult): T => stdoutJson<T>(asCli(r));
const jsonError = (r: InProcessResult): ReturnType<typeof stderrJsonError> => stderrJsonError(asCli(r));
/** Every identity this file creates, verified again at the end. */
const createdDids = new Set<string>();
let seq = 0;

function file(name: string, content: string): string {
  const path = join(dir, `${seq++}-${name}`);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

function keyFile(key: PrivateKey): string {
  return file('key', `${key.multikey()}\n`);
}

/** Every form in which a private key could leak. */
function expectNoSecrets(results: InProcessResult[], keys: PrivateKey[]): void {
  for (const r of results) {
    for (const key of keys) {
      for (const form of [key.multikey(), key.hex(), key.hex().toUpperCase()]) {
        expect(r.stdout).not.toContain(form);
        expect(r.stderr).not.toContain(form);
      }
    }
  }
}

interface Generated {
  type: 'k256' | 'p256';
  privateKey: string;
  publicKey: string;
}

interface VerifyResult {
  did: string;
  valid: boolean;
  operations: number;
  nullified: Array<{ index: number; cid: string; nullifiedBy: { index: number; cid: string } | null }>;
  document: { checked: boolean; matches: boolean; differences: string[] } | null;
  invalidOperations: Array<{ index: number; cid: string; problems: string[] }>;
  problems: string[];
}

interface HistoryResult {
  did: string;
  valid: boolean;
  operations: Array<{ index: number; cid: string; nullified: boolean; nullifiedBy: number | null; signedBy: { keyIndex: number } | null; valid: boolean }>;
}

describe.skipIf(!networkInfo)('atcli plc against the local PLC directory', () => {
  let net: TestNetwork;
  const cli = (args: string[], opts: TestIOOptions = {}): Promise<InProcessResult> => runIn([...devFlags(net), ...args], opts);

  /** The directory's audit log, byte for byte (status + body), to prove nothing was sent. */
  async function auditSnapshot(did: string): Promise<string> {
    const res = await fetch(`${net.plcUrl}/${did}/log/audit`);
    return `${res.status} ${await res.text()}`;
  }

  async function auditLog(did: string): Promise<AuditLogEntry[]> {
    const res = await fetch(`${net.plcUrl}/${did}/log/audit`);
    expect(res.status).toBe(200);
    return (await res.json()) as AuditLogEntry[];
  }

  /** Submit a signed operation with the CLI; returns the result. */
  async function submit(op: Operation, did: string | undefined, extra: string[] = []): Promise<InProcessResult> {
    return cli(['plc', 'submit', file('signed.json', JSON.stringify(op)), ...(did ? ['--did', did] : []), '--yes', '--json', ...extra]);
  }

  beforeAll(async () => {
    net = await network();
  });

  // ------------------------------------------------------------------------------------------
  describe('a new identity: genesis → sign → calc-did → submit → resolve; update; recovery', () => {
    let r0: PrivateKey; // p256, highest priority
    let r1: PrivateKey; // k256
    let signingKey: PrivateKey;
    const r2 = generatePrivateKey('k256');
    const newSigning = generatePrivateKey('p256');
    const handle = `fresh-${Math.random().toString(36).slice(2, 8)}.test`;
    let did: string;
    const keyFiles: Record<string, string> = {};
    const outputs: InProcessResult[] = [];

    it('(a) builds, signs and submits a genesis operation from scratch; atcli resolve finds it', async () => {
      const gens: Generated[] = [];
      for (const type of ['p256', 'k256', 'k256'] as const) {
        const g = await runIn(['key', 'generate', '--type', type, '--json']);
        expect(g.code, g.stderr).toBe(0);
        gens.push(json<Generated>(g));
      }
      [r0, r1, signingKey] = gens.map((g) => parsePrivateKey(g.privateKey)) as [PrivateKey, PrivateKey, PrivateKey];
      // the key-generate JSON itself is a valid --key-file
      keyFiles.r0 = file('r0.json', JSON.stringify(gens[0]));
      keyFiles.r1 = file('r1.json', JSON.stringify(gens[1]));
      keyFiles.r2 = keyFile(r2);

      // offline commands refuse the network flags
      const genesis = await runIn(['plc', 'genesis', '--signing-key', gens[2]!.publicKey, '--rotation-key', gens[0]!.publicKey, '--rotation-key', gens[1]!.publicKey, '--handle', handle, '--pds', net.pds.a.url]);
      expect(genesis.code, genesis.stderr).toBe(0);
      const genesisPath = file('genesis.json', genesis.stdout);

      const signed = await cli(['plc', 'sign', genesisPath, '--key-file', keyFiles.r1]);
      outputs.push(signed);
      expect(signed.code, signed.stderr).toBe(0);
      const signedPath = file('signed-genesis.json', signed.stdout);

      const calc = await runIn(['plc', 'calc-did', signedPath]);
      expect(calc.code, calc.stderr).toBe(0);
      did = calc.stdout.trim();
      expect(did).toMatch(/^did:plc:[a-z2-7]{24}$/);
      expect(json<{ did: string; operation: Operation }>(signed)).toEqual({ did, operation: expect.objectContaining({ prev: null }) });
      expect(did).toBe(didForGenesis(json<{ operation: Operation }>(signed).operation));
      createdDids.add(did);
      expect(await auditSnapshot(did)).toMatch(/^404 /);

      const sub = await cli(['plc', 'submit', signedPath, '--yes', '--json']);
      outputs.push(sub);
      expect(sub.code, sub.stderr).toBe(0);
      expect(json(sub)).toMatchObject({ did, submitted: true, confirmed: true, genesis: true, signedBy: { keyIndex: 1 } });

      const resolved = await cli([...refuse(handle), 'resolve', did, '--json']);
      expect(resolved.code, resolved.stderr).toBe(0);
      expect(json(resolved)).toMatchObject({ did, pds: net.pds.a.url, signingKey: signingKey.publicKey.did(), claimedHandle: handle });

      const again = await cli(['plc', 'submit', signedPath, '--yes', '--json']);
      expect(again.code).toBe(3);
      expect(jsonError(again).code).toBe('DidExists');
      expectNoSecrets(outputs, [r0, r1, signingKey]);
    });

    it('(b) the README pipeline, no --did anywhere: plc update > op.json && plc sign op.json > signed.json && plc submit signed.json; plc data shows it', async () => {
      const newHandle = `moved-${Math.random().toString(36).slice(2, 8)}.test`;
      const update = await cli([
        'plc', 'update', did,
        '--handle', newHandle,
        '--pds', net.pds.b.url,
        '--signing-key', newSigning.publicKey.did(),
        '--add-rotation-key', r2.publicKey.did(),
        '--remove-rotation-key', r1.publicKey.did(),
      ]);
      expect(update.code, update.stderr).toBe(0);
      // the diff against the current state goes to stderr, the operation to stdout
      expect(update.stderr).toContain(`+ alsoKnownAs entry added at #0: at://${newHandle}`);
      expect(update.stderr).toContain(`- rotation key removed (was #1): ${r1.publicKey.did()}`);
      expect(update.stderr).toContain(`+ rotation key added at #1 (lowest priority): ${r2.publicKey.did()}`);
      expect(update.stderr).toMatch(/~ service "atproto_pds" changed: endpoint .* → /);
      expect(update.stderr).toMatch(/~ verification method "atproto" changed/);
      // the file names its DID, so neither sign nor submit needs --did
      const written = json<{ did: string; operation: UnsignedPlcOperation }>(update);
      expect(written.did).toBe(did);
      expect(written.operation.prev).toBe((await auditLog(did))[0]!.cid);
      expect(update.stderr).toContain('next: atcli plc sign op.json --key-file <rotation key> > signed.json && atcli plc submit signed.json');
      const opPath = file('op.json', update.stdout);

      // a --did that is not the file's is a usage error, before any key is read
      const otherDid = await cli(['plc', 'sign', opPath, '--did', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', '--key-file', keyFiles.r0!, '--json']);
      expect(otherDid.code).toBe(2);
      expect(jsonError(otherDid)).toMatchObject({ code: 'OperationDidMismatch', hint: 'the file names its DID; drop --did or use the file for that DID' });

      const signed = await cli(['plc', 'sign', opPath, '--key-file', keyFiles.r0!]);
      outputs.push(signed);
      expect(signed.code, signed.stderr).toBe(0);
      expect(json<{ did: string }>(signed).did).toBe(did);
      const before = await auditSnapshot(did);
      // on a terminal, submit asks before it sends
      const sub = await cli(['plc', 'submit', file('signed.json', signed.stdout)], { tty: { stdin: true, stderr: true }, answers: [true] });
      outputs.push(sub);
      expect(sub.code, sub.stderr).toBe(0);
      expect(sub.io.asked).toEqual([`Submit this operation for ${did} to ${net.plcUrl}?`]);
      expect(sub.stdout).toMatch(/^✓ submitted bafy\w+ for did:plc:/);
      expect(await auditSnapshot(did)).not.toBe(before);

      const data = await cli(['plc', 'data', did, '--json']);
      expect(data.code, data.stderr).toBe(0);
      expect(json<PlcData>(data)).toEqual({
        did,
        rotationKeys: [r0.publicKey.did(), r2.publicKey.did()],
        verificationMethods: { atproto: newSigning.publicKey.did() },
        alsoKnownAs: [`at://${newHandle}`],
        services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: net.pds.b.url } },
      });
      const human = await cli(['plc', 'data', did]);
      expect(human.stdout).toMatch(new RegExp(`^handle\\s+${newHandle.replace(/\./g, '\\.')}$`, 'm'));
      expectNoSecrets(outputs, [r0, r1, r2]);
    });

    it('(c) recovery: a higher-priority key nullifies the latest operation within 72 h; plc verify reports it', async () => {
      const cids: string[] = [];
      for (const h of ['rec-a', 'rec-b']) {
        const u = await cli(['plc', 'update', did, '--handle', `${h}-${Math.random().toString(36).slice(2, 8)}.test`]);
        expect(u.code, u.stderr).toBe(0);
        const s = await cli(['plc', 'sign', file('u.json', u.stdout), '--did', did, '--key-file', keyFiles.r2!]); // r2 = key #1
        expect(s.code, s.stderr).toBe(0);
        const sub = await cli(['plc', 'submit', file('u.signed.json', s.stdout), '--did', did, '--yes', '--json']);
        expect(sub.code, sub.stderr).toBe(0);
        cids.push(json<{ cid: string }>(sub).cid);
      }
      const [opA, opB] = cids as [string, string];

      // A fork on opA by r2 itself (the same priority as opB's signer) is no recovery: refused
      // by sign, and (signed with --skip-authority-check) by submit, before anything is sent.
      // (--did may still be given; it must match the file's.)
      const fork = await cli(['plc', 'update', did, '--prev', opA, '--handle', `rescued-${Math.random().toString(36).slice(2, 8)}.test`]);
      expect(fork.code, fork.stderr).toBe(0);
      expect(fork.stderr).toContain('RECOVERY');
      expect(fork.stderr).toContain(opB);
      const forkPath = file('fork.json', fork.stdout);
      const weak = await cli(['plc', 'sign', forkPath, '--did', did, '--key-file', keyFiles.r2!]);
      expect(weak.code).toBe(3);
      expect(weak.stderr).toContain('does not outrank');
      const weakForced = await cli(['plc', 'sign', forkPath, '--did', did, '--key-file', keyFiles.r2!, '--skip-authority-check']);
      expect(weakForced.code, weakForced.stderr).toBe(0);
      const before = await auditSnapshot(did);
      const weakSub = await cli(['plc', 'submit', file('weak.json', weakForced.stdout), '--did', did, '--yes', '--json']);
      expect(weakSub.code).toBe(3);
      expect(jsonError(weakSub).code).toBe('StalePrev');
      expect(await auditSnapshot(did)).toBe(before);

      // r0 (key #0) outranks r2 (key #1, which signed opB): the recovery goes through.
      const strong = await cli(['plc', 'sign', forkPath, '--did', did, '--key-file', keyFiles.r0!]);
      expect(strong.code, strong.stderr).toBe(0);
      const rec = await cli(['plc', 'submit', file('rec.json', strong.stdout), '--did', did, '--yes', '--json']);
      expect(rec.code, rec.stderr).toBe(0);
      const recResult = json<{ cid: string; nullified: string[] }>(rec);
      expect(recResult.nullified).toEqual([opB]);
      expect(rec.stderr).toContain(`nullifies operation #3 (${opB})`);

      const log = await auditLog(did);
      expect(log.map((e) => e.nullified)).toEqual([false, false, false, true, false]);

      const verify = await cli(['plc', 'verify', did, '--json']);
      expect(verify.code, verify.stderr).toBe(0);
      const v = json<VerifyResult>(verify);
      expect(v).toMatchObject({ did, valid: true, operations: 5, document: { checked: true, matches: true } });
      expect(v.nullified).toEqual([{ index: 3, cid: opB, createdAt: log[3]!.createdAt, nullifiedBy: { index: 4, cid: recResult.cid } }]);
      const human = await cli(['plc', 'verify', did]);
      expect(human.stdout).toContain(`operation #3 (${opB}) is nullified by operation #4 (${recResult.cid})`);

      const history = await cli(['plc', 'history', did, '--json']);
      expect(history.code, history.stderr).toBe(0);
      const h = json<HistoryResult>(history);
      expect(h.valid).toBe(true);
      expect(h.operations.map((o) => [o.nullified, o.nullifiedBy, o.signedBy?.keyIndex, o.valid])).toEqual([
        [false, null, 1, true],
        [false, null, 0, true],
        [false, null, 1, true],
        [true, 4, 1, true],
        [false, null, 0, true],
      ]);
      const table = await cli(['plc', 'history', did]);
      expect(table.stdout.split('\n')[3]).toMatch(/nullified by #4\t✓$/);
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('(d) refused locally with exit 3; the directory never sees the operation', () => {
    const k0 = generatePrivateKey('p256');
    const k1 = generatePrivateKey('k256');
    const sk = generatePrivateKey('k256');
    const stranger = generatePrivateKey('k256');
    let did: string;
    let genesisCid: string;
    let head: Operation;
    let headData: OperationData;

    function op(over: Partial<UnsignedPlcOperation> = {}): UnsignedPlcOperation {
      return { type: 'plc_operation', ...headData, prev: operationCid(head), ...over };
    }

    async function expectRefused(signed: unknown, code: string, reason: RegExp, extra: string[] = []): Promise<InProcessResult> {
      const before = await auditSnapshot(did);
      const r = await cli(['plc', 'submit', file('refused.json', JSON.stringify(signed)), '--did', did, '--yes', '--json', ...extra]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout).toBe('');
      const err = jsonError(r);
      expect(err.code).toBe(code);
      expect(`${err.message} ${JSON.stringify((err as { details?: unknown }).details ?? '')}`).toMatch(reason);
      expect(await auditSnapshot(did)).toBe(before);
      return r;
    }

    beforeAll(async () => {
      const genesis: UnsignedPlcOperation = {
        type: 'plc_operation',
        rotationKeys: [k0.publicKey.did(), k1.publicKey.did()],
        verificationMethods: { atproto: sk.publicKey.did() },
        alsoKnownAs: [`at://refuse-${Math.random().toString(36).slice(2, 8)}.test`],
        services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: net.pds.a.url } },
        prev: null,
      };
      const g = signOperation(genesis, k1);
      did = didForGenesis(g);
      createdDids.add(did);
      genesisCid = operationCid(g);
      expect((await submit(g, undefined)).code).toBe(0);
      // an update signed by k0 (key #0): nothing outranks it, so forking before it is never allowed
      const u = signOperation({ ...genesis, alsoKnownAs: [`at://refuse2-${Math.random().toString(36).slice(2, 8)}.test`], prev: genesisCid }, k0);
      const sub = await submit(u, did);
      expect(sub.code, sub.stderr).toBe(0);
      head = u;
      headData = operationData(u)!;
    });

    it('a signature by a key that is not a rotation key of prev', async () => {
      await expectRefused(signOperation(op({ alsoKnownAs: ['at://mallory.test'] }), stranger), 'InvalidSignature', /not validly signed by a rotation key/);
    });

    it('a stale prev (not the head, and no permitted recovery)', async () => {
      for (const key of [k0, k1]) {
        await expectRefused(signOperation(op({ prev: genesisCid, alsoKnownAs: ['at://stale.test'] }), key), 'StalePrev', /not the current head/);
      }
    });

    it('a high-S signature', async () => {
      const good = signOperation(op({ alsoKnownAs: ['at://highs.test'] }), k1);
      const malleable = { ...good, sig: b64url(highS(fromB64url(good.sig), 'k256')) };
      await expectRefused(malleable, 'InvalidSignature', /high-S/);
    });

    it('a padded or non-canonical signature', async () => {
      const good = signOperation(op({ alsoKnownAs: ['at://padded.test'] }), k1);
      await expectRefused({ ...good, sig: `${good.sig}==` }, 'InvalidPlcOperation', /padding/);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(good.sig[good.sig.length - 1]!);
      const sameBytes = `${good.sig.slice(0, -1)}${alphabet[last + 1]}`; // only the 4 padding bits change
      expect(Buffer.from(sameBytes, 'base64url')).toEqual(Buffer.from(good.sig, 'base64url'));
      await expectRefused({ ...good, sig: sameBytes }, 'InvalidPlcOperation', /canonical/);
    });

    it('an over-size operation (more than 4000 bytes of DAG-CBOR)', async () => {
      const services: UnsignedPlcOperation['services'] = { ...headData.services };
      for (let i = 0; i < 9; i++) services[`svc${i}`] = { type: 'ExampleService', endpoint: `https://example.com/${'x'.repeat(480)}` };
      await expectRefused(signOperation(op({ services }), k0), 'InvalidPlcOperation', /4000/);
    });

    it('duplicate or too many rotation keys', async () => {
      await expectRefused(signOperation(op({ rotationKeys: [k0.publicKey.did(), k0.publicKey.did()] }), k0), 'InvalidPlcOperation', /duplicates/);
      const six = [k0.publicKey.did(), ...Array.from({ length: 5 }, () => generatePrivateKey('k256').publicKey.did())];
      await expectRefused(signOperation(op({ rotationKeys: six }), k0), 'InvalidPlcOperation', /at most 5/);
    });

    it('an invalid handle or service endpoint', async () => {
      await expectRefused(signOperation(op({ alsoKnownAs: ['at://not_a_handle'] }), k0), 'InvalidPlcOperation', /handle/);
      await expectRefused(signOperation(op({ services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.example.com/xrpc' } } }), k0), 'InvalidPlcOperation', /path/);
      await expectRefused(signOperation(op({ services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'http://pds.example.com' } } }), k0), 'InvalidPlcOperation', /https/);
    });

    it('a genesis with duplicate rotation keys never registers its DID', async () => {
      const bad = signOperation({ ...op({ prev: null }), rotationKeys: [k0.publicKey.did(), k0.publicKey.did()] }, k0);
      const badDid = didForGenesis(bad);
      const r = await submit(bad, undefined);
      expect(r.code).toBe(3);
      expect(await auditSnapshot(badDid)).toMatch(/^404 /);
    });

    it('removing every rotation key the submitter holds: refused, unless another held key is given or --allow-losing-keys', async () => {
      const z = generatePrivateKey('k256');
      const lockout = signOperation(op({ rotationKeys: [z.publicKey.did()] }), k0);
      const refused = await expectRefused(lockout, 'Lockout', /hold none of the rotation keys/);
      // holding the new key (given with --key-file) is no lock-out; --dry-run sends nothing
      const before = await auditSnapshot(did);
      const holding = await cli(['--dry-run', 'plc', 'submit', file('lockout.json', JSON.stringify(lockout)), '--did', did, '--key-file', keyFile(z), '--json']);
      expect(holding.code, holding.stderr).toBe(0);
      expect(json(holding)).toMatchObject({ dryRun: true, submitted: false, cid: operationCid(lockout) });
      expect(await auditSnapshot(did)).toBe(before);
      // -f no longer means "anyway"; --allow-losing-keys submits it
      expect((await submit(lockout, did, ['-f'])).code).toBe(2);
      const forced = await submit(lockout, did, ['--allow-losing-keys']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stderr).toMatch(/warning: .*hold none of the rotation keys.*as allowed/);
      const log = await auditLog(did);
      expect(log[log.length - 1]!.cid).toBe(operationCid(lockout));
      expectNoSecrets([refused, holding, forced], [k0, k1, z]);
    });
  });

  // ------------------------------------------------------------------------------------------
  it('a tombstone: refused without --allow-tombstone; afterwards data is exit 4 (deactivated), update exit 3, verify passes', async () => {
    const k0 = generatePrivateKey('k256');
    const genesis = signOperation(
      {
        type: 'plc_operation',
        rotationKeys: [k0.publicKey.did()],
        verificationMethods: { atproto: k0.publicKey.did() },
        alsoKnownAs: [`at://tomb-${Math.random().toString(36).slice(2, 8)}.test`],
        services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: net.pds.a.url } },
        prev: null,
      },
      k0,
    );
    const did = didForGenesis(genesis);
    createdDids.add(did);
    expect((await submit(genesis, undefined)).code).toBe(0);
    const tombstone = signOperation(buildTombstone(operationCid(genesis)), k0);
    const before = await auditSnapshot(did);
    const refused = await submit(tombstone, did);
    expect(refused.code).toBe(3);
    expect(jsonError(refused).code).toBe('Tombstone');
    expect(await auditSnapshot(did)).toBe(before);
    expect(jsonError(await submit(tombstone, did, ['--allow-losing-keys'])).code).toBe('Tombstone');
    const forced = await submit(tombstone, did, ['--allow-tombstone']);
    expect(forced.code, forced.stderr).toBe(0);

    const data = await cli(['plc', 'data', did, '--json']);
    expect(data.code).toBe(4);
    expect(jsonError(data).message).toMatch(/deactivated/);
    const update = await cli(['plc', 'update', did, '--handle', 'back.test', '--json']);
    expect(update.code).toBe(3);
    expect(jsonError(update).code).toBe('PlcDeactivated');
    const verify = await cli(['plc', 'verify', did, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(json(verify)).toMatchObject({ valid: true, head: { tombstoned: true, index: 1 }, document: { checked: true, matches: true } });
  });

  // ------------------------------------------------------------------------------------------
  describe('(e) plc verify', () => {
    it('passes on every identity of the test network, including accounts created on the PDSes', async () => {
      const alice = await newAccount(net, 'plcver-a', 'a');
      const bob = await newAccount(net, 'plcver-b', 'b');
      // a second operation, signed by the PDS's rotation key
      const renamed = `plcver-r-${Math.random().toString(36).slice(2, 6)}.test`;
      await updateHandle(alice.pdsUrl, alice.accessJwt, renamed);
      const dids = new Set([alice.did, bob.did, ...createdDids]);
      expect(createdDids.size).toBeGreaterThanOrEqual(3);
      for (const pds of [net.pds.a, net.pds.b]) if (pds.did.startsWith('did:plc:')) dids.add(pds.did);
      // everything the directory exports (the dev directory's in-memory store exports nothing)
      const dump = await cli(['plc', 'dump', '--limit', '5000']);
      expect(dump.code, dump.stderr).toBe(0);
      for (const line of dump.stdout.split('\n').filter((l) => l !== '')) dids.add((JSON.parse(line) as { did: string }).did);
      for (const did of dids) {
        const r = await cli(['plc', 'verify', did, '--json']);
        expect(r.code, `${did}: ${r.stdout} ${r.stderr}`).toBe(0);
        expect(json<VerifyResult>(r)).toMatchObject({ did, valid: true, document: { checked: true, matches: true } });
      }
      const aliceLog = await auditLog(alice.did);
      expect(aliceLog.length).toBe(2);
      // by handle too
      await net.setTxt(`_atproto.${renamed}`, [[`did=${alice.did}`]]);
      const byHandle = await cli([...refuse(renamed), 'plc', 'data', renamed, '--json']);
      expect(byHandle.code, byHandle.stderr).toBe(0);
      expect(json<PlcData>(byHandle)).toMatchObject({ did: alice.did, alsoKnownAs: [`at://${renamed}`] });
    });

    describe('fails naming the operation on doctored audit-log files', () => {
      let entries: AuditLogEntry[];
      let did: string;
      const k0 = generatePrivateKey('p256');
      const k1 = generatePrivateKey('k256');
      const mallory = generatePrivateKey('k256');

      beforeAll(async () => {
        const genesis: UnsignedPlcOperation = {
          type: 'plc_operation',
          rotationKeys: [k0.publicKey.did(), k1.publicKey.did()],
          verificationMethods: { atproto: k1.publicKey.did() },
          alsoKnownAs: [`at://doctor-${Math.random().toString(36).slice(2, 8)}.test`],
          services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: net.pds.a.url } },
          prev: null,
        };
        let prev = signOperation(genesis, k1);
        did = didForGenesis(prev);
        createdDids.add(did);
        expect((await submit(prev, undefined)).code).toBe(0);
        for (const h of ['one', 'two', 'three']) {
          const next = signOperation({ ...genesis, alsoKnownAs: [`at://doctor-${h}-${Math.random().toString(36).slice(2, 6)}.test`], prev: operationCid(prev) }, k1);
          const r = await submit(next, did);
          expect(r.code, r.stderr).toBe(0);
          prev = next;
        }
        entries = await auditLog(did);
        expect(entries).toHaveLength(4);
        const ok = await cli(['plc', 'verify', file('audit.json', JSON.stringify(entries)), '--json']);
        expect(ok.code, ok.stdout).toBe(0);
        expect(json<VerifyResult>(ok)).toMatchObject({ valid: true, operations: 4, document: null });
      });

      function copy(): AuditLogEntry[] {
        return JSON.parse(JSON.stringify(entries)) as AuditLogEntry[];
      }

      async function expectNamed(doctored: AuditLogEntry[], index: number, reason: RegExp): Promise<void> {
        const path = file('doctored.json', JSON.stringify(doctored, null, 2));
        const r = await cli(['plc', 'verify', path, '--json']);
        expect(r.code, r.stdout).toBe(3);
        const v = json<VerifyResult>(r);
        expect(v.valid).toBe(false);
        const named = v.invalidOperations.find((o) => o.index === index);
        expect(named, JSON.stringify(v.problems)).toBeDefined();
        expect(named!.problems.join('\n')).toMatch(reason);
        expect(v.problems.some((p) => p.startsWith(`operation #${index} (`))).toBe(true);
        const human = await cli(['plc', 'verify', path]);
        expect(human.code).toBe(3);
        expect(human.stdout).toContain(`operation #${index} (`);
      }

      it('a broken prev link', async () => {
        const d = copy();
        const op = d[2]!.operation as Operation & { prev: string };
        op.prev = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
        const resigned = signOperation(op, k1); // keep the signature valid: only the link is wrong
        d[2]!.operation = resigned;
        d[2]!.cid = operationCid(resigned);
        await expectNamed(d, 2, /does not name an earlier operation/);
      });

      it('a re-signed operation (by a key that is not a rotation key)', async () => {
        const d = copy();
        const resigned = signOperation(d[1]!.operation as Operation, mallory);
        d[1]!.operation = resigned;
        d[1]!.cid = operationCid(resigned);
        await expectNamed(d, 1, /not signed by a rotation key of operation #0/);
      });

      it('an operation changed after signing (the CID and signature no longer match)', async () => {
        const d = copy();
        (d[3]!.operation as { alsoKnownAs: string[] }).alsoKnownAs = ['at://forged.test'];
        await expectNamed(d, 3, /cid .* does not match|not signed/);
      });

      it('a forged nullification', async () => {
        const d = copy();
        d[2]!.nullified = true;
        await expectNamed(d, 2, /says nullified: true, but the replay finds it active/);
      });

      it('out-of-order timestamps', async () => {
        const d = copy();
        d[2]!.createdAt = new Date(Date.parse(d[1]!.createdAt) - 60_000).toISOString();
        await expectNamed(d, 2, /is not after/);
      });
    });
  });

  it('plc dump streams the export as NDJSON', async () => {
    const r = await cli(['plc', 'dump', '--limit', '10']);
    expect(r.code, r.stderr).toBe(0);
    for (const line of r.stdout.split('\n').filter((l) => l !== '')) expect(JSON.parse(line)).toHaveProperty('did');
    expect(r.stderr).toMatch(/last cursor/);
  });

  it('unknown DIDs are exit 4', async () => {
    for (const cmd of ['history', 'data', 'verify']) {
      const r = await cli(['plc', cmd, 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', '--json']);
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(4);
      expect(jsonError(r).code).toBe('DidNotFound');
    }
  });
});
