// `atcli plc` in-process (test IO), offline and against a stub directory on loopback where a
// command needs one. The real directory is exercised in test/e2e/plc.test.ts. Only Ctrl-C on
// `plc dump --tail` needs a process.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey, type PrivateKey } from '../../src/core/crypto/index.js';
import { didForGenesis, operationCid, signOperation, type AuditLogEntry, type Operation, type UnsignedPlcOperation } from '../../src/core/plc/index.js';
import { runIn, type InProcessResult, type TestIOOptions } from '../support/test-io.js';
import { BIN, cliEnv, expectNoStack, stderrJsonError, stdoutJson, tempDir, type CliResult } from './run-cli.js';

const dir = tempDir('atcli-plc-');
const r0 = generatePrivateKey('p256');
const r1 = generatePrivateKey('k256');
const signing = generatePrivateKey('k256');
const stranger = generatePrivateKey('k256');

const cli = (r: InProcessResult): CliResult => ({ ...r, signal: null });
const json = <T>(r: InProcessResult): T => stdoutJson<T>(cli(r));
const jsonError = (r: InProcessResult): ReturnType<typeof stderrJsonError> => stderrJsonError(cli(r));
/** The operation inside what plc sign / update writes ({did, operation}). */
const written = (r: InProcessResult): { did?: string; operation: Operation } => json(r);

let seq = 0;
function file(name: string, content: string): string {
  const path = join(dir, `${seq++}-${name}`);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

function genesisArgs(over: { rotation?: string[]; handle?: string; pds?: string; signing?: string } = {}): string[] {
  const rotation = over.rotation ?? [r0.publicKey.did(), r1.publicKey.did()];
  return [
    'plc',
    'genesis',
    '--signing-key',
    over.signing ?? signing.publicKey.did(),
    ...rotation.flatMap((k) => ['--rotation-key', k]),
    '--handle',
    over.handle ?? 'alice.example.com',
    '--pds',
    over.pds ?? 'https://pds.example.com',
  ];
}

/** Every form in which a private key could leak. */
function expectNoSecrets(results: InProcessResult[], keys: PrivateKey[]): void {
  for (const r of results) {
    for (const key of keys) {
      for (const form of [key.multikey(), key.hex(), key.hex().toUpperCase(), key.multikey().slice(1)]) {
        expect(r.stdout, 'stdout leaks a private key').not.toContain(form);
        expect(r.stderr, 'stderr leaks a private key').not.toContain(form);
      }
    }
  }
}

const run = (argv: string[], opts: TestIOOptions = {}): Promise<InProcessResult> => runIn(argv, opts);

describe('atcli plc genesis', () => {
  it('prints an unsigned genesis operation on stdout (prev null, no sig) and the summary on stderr', async () => {
    const r = await run(genesisArgs());
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toEqual({
      type: 'plc_operation',
      rotationKeys: [r0.publicKey.did(), r1.publicKey.did()],
      verificationMethods: { atproto: signing.publicKey.did() },
      alsoKnownAs: ['at://alice.example.com'],
      services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.example.com' } },
      prev: null,
    });
    expect(r.stderr).toContain('+ creates a new DID');
    expect(r.stderr).toContain('plc sign');
  });

  it.each([
    ['an invalid handle', { handle: 'not a handle' }, /handle/],
    ['a handle with a bad label', { handle: '-alice.example.com' }, /handle/],
    ['an http endpoint to a public host', { pds: 'http://pds.example.com' }, /https/],
    ['an endpoint with a path', { pds: 'https://pds.example.com/xrpc' }, /path/],
    ['a non-URL endpoint', { pds: 'ftp://pds.example.com' }, /https/],
    ['an endpoint on a private address', { pds: 'https://169.254.169.254' }, /host/],
    ['duplicate rotation keys', { rotation: [r0.publicKey.did(), r0.publicKey.did()] }, /duplicates/],
    ['six rotation keys', { rotation: Array.from({ length: 6 }, () => generatePrivateKey('k256').publicKey.did()) }, /at most 5/],
    ['a rotation key that is not a did:key', { rotation: ['did:key:zNotAKey'] }, /did:key/],
    ['a signing key that is not a did:key', { signing: 'zQ3shxyz' }, /signing key/],
  ])('refuses %s with exit 3 and prints nothing on stdout', async (_name, over, reason) => {
    const r = await run([...genesisArgs(over), '--json']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toBe('');
    expect(jsonError(r).message).toMatch(reason);
    expectNoStack(cli(r));
  });

  it('a missing required flag is a usage error (exit 2)', async () => {
    const r = await run(['plc', 'genesis', '--signing-key', signing.publicKey.did(), '--handle', 'a.example.com', '--pds', 'https://pds.example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--rotation-key');
  });

  it('refuses a private key given where a public key belongs, without echoing it', async () => {
    const r = await run(genesisArgs({ signing: r0.multikey() }));
    expect(r.code).toBe(2);
    expectNoSecrets([r], [r0]);
  });
});

describe('atcli plc sign / calc-did (offline, genesis)', () => {
  let genesisPath: string;
  beforeAll(async () => {
    genesisPath = file('genesis.json', (await run(genesisArgs())).stdout);
  });

  it('signs with a key file, the environment variable, hex + --key-type, and key-generate JSON; writes the DID it creates; calc-did agrees', async () => {
    const results: InProcessResult[] = [];
    const multikeyFile = file('r1.key', `${r1.multikey()}\n`);
    const viaFile = await run(['plc', 'sign', genesisPath, '--key-file', multikeyFile]);
    results.push(viaFile);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    const { did, operation: signed } = written(viaFile);
    expect(signed.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(did).toBe(didForGenesis(signed));
    expect(viaFile.stderr).toContain('rotation key #1');
    expect(viaFile.stderr).toContain(`it creates ${did}`);

    const viaEnv = await run(['plc', 'sign', genesisPath], { env: { ATCLI_PLC_SIGNING_KEY: r1.multikey() } });
    results.push(viaEnv);
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toBe(viaFile.stdout); // RFC 6979: deterministic

    const viaHex = await run(['plc', 'sign', genesisPath, '--key-file', file('r0.hex', r0.hex()), '--key-type', 'p256']);
    results.push(viaHex);
    expect(viaHex.code, viaHex.stderr).toBe(0);
    expect(viaHex.stderr).toContain('rotation key #0');

    const hexNoType = await run(['plc', 'sign', genesisPath, '--key-file', file('r0b.hex', r0.hex())]);
    results.push(hexNoType);
    expect(hexNoType.code).toBe(2);
    expect(hexNoType.stderr).toContain('--key-type');

    const viaJson = await run(['plc', 'sign', genesisPath, '--key-file', file('r1.json', JSON.stringify({ type: 'k256', privateKey: r1.multikey(), publicKey: r1.publicKey.did() }))]);
    results.push(viaJson);
    expect(viaJson.stdout).toBe(viaFile.stdout);

    const signedPath = file('signed.json', viaFile.stdout);
    const calc = await run(['plc', 'calc-did', signedPath]);
    results.push(calc);
    expect(calc.code).toBe(0);
    expect(calc.stdout).toBe(`${did}\n`);
    const calcJson = await run(['plc', 'calc-did', '-', '--json'], { stdin: viaFile.stdout });
    results.push(calcJson);
    expect(json(calcJson)).toEqual({ did, cid: operationCid(signed), signedBy: { keyIndex: 1, key: r1.publicKey.did() } });
    const calcBare = await run(['plc', 'calc-did', '-'], { stdin: JSON.stringify(signed) });
    expect(calcBare.stdout).toBe(`${did}\n`);

    const piped = await run(['plc', 'sign', '-', '--key-file', multikeyFile], { stdin: readFileSync(genesisPath) });
    results.push(piped);
    expect(piped.stdout).toBe(viaFile.stdout);
    expectNoSecrets(results, [r0, r1]);
  });

  it('refuses a key that is not one of the genesis rotation keys (exit 3), unless --skip-authority-check', async () => {
    const keyFile = file('stranger.key', stranger.multikey());
    const r = await run(['plc', 'sign', genesisPath, '--key-file', keyFile, '--json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    const err = jsonError(r);
    expect(err.code).toBe('UnauthorizedKey');
    expect(err.message).toContain(stranger.publicKey.did());
    expect(err.hint).toContain('--skip-authority-check');
    const skipped = await run(['plc', 'sign', genesisPath, '--key-file', keyFile, '--skip-authority-check']);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(/warning: .*not one of/);
    // …and calc-did will not vouch for it
    const calc = await run(['plc', 'calc-did', file('skipped.json', skipped.stdout)]);
    expect(calc.code).toBe(3);
    expect(calc.stderr).toContain('not signed by one of its own rotation keys');
    expectNoSecrets([r, skipped, calc], [stranger]);
  });

  it('-f no longer skips the authority check: it is refused with exit 2, naming the flag that does', async () => {
    const keyFile = file('stranger2.key', stranger.multikey());
    for (const flag of ['-f', '--force']) {
      const r = await run(['plc', 'sign', genesisPath, '--key-file', keyFile, flag, '--json']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(jsonError(r)).toMatchObject({ code: 'RemovedFlag', hint: expect.stringContaining('--skip-authority-check') });
    }
    expect((await run(['plc', 'sign', '--help'])).stdout).not.toMatch(/-f, --force/);
  });

  it('never reads a key from argv, and never echoes a bad key', async () => {
    const asArg = await run(['plc', 'sign', r1.multikey()]);
    expect(asArg.code).toBe(2);
    expect(asArg.stderr).toContain('--key-file');
    const keyAsOp = await run(['plc', 'sign', file('oops.json', r1.multikey()), '--key-file', file('k', r1.multikey())]);
    expect(keyAsOp.code).toBe(3);
    expect(keyAsOp.stderr).toContain('private key');
    expect(keyAsOp.stderr).toContain('--key-file');
    const publicKey = await run(['plc', 'sign', genesisPath, '--key-file', file('pub.key', r1.publicKey.did())]);
    expect(publicKey.code).toBe(3);
    expect(publicKey.stderr).toMatch(/public key/);
    const mangled = r1.multikey().slice(0, -3) + 'abc';
    const bad = await run(['plc', 'sign', genesisPath, '--key-file', file('bad.key', mangled)]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).not.toContain(mangled);
    const badJson = await run(['plc', 'sign', genesisPath, '--key-file', file('bad.json', `{"privateKey": "${r1.multikey()}"`)]);
    expect(badJson.code).toBe(3);
    const noKey = await run(['plc', 'sign', genesisPath]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('ATCLI_PLC_SIGNING_KEY');
    const bothStdin = await run(['plc', 'sign', '-', '--key-file', '-']);
    expect(bothStdin.code).toBe(2);
    expectNoSecrets([asArg, keyAsOp, publicKey, bad, badJson, noKey], [r1]);
  });

  it('asks for the key with a hidden prompt on a terminal', async () => {
    const r = await run(['plc', 'sign', genesisPath], { tty: { stdin: true, stderr: true }, answers: [r1.multikey()] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.io.asked).toEqual(['Private rotation key (input hidden)']);
    expect(written(r).operation.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expectNoSecrets([r], [r1]);
  });

  it('refuses to sign an invalid operation (exit 3)', async () => {
    const op = JSON.parse(readFileSync(genesisPath, 'utf8')) as UnsignedPlcOperation;
    const keyFile = file('r1b.key', r1.multikey());
    for (const bad of [
      { ...op, alsoKnownAs: ['at://bad handle'] },
      { ...op, rotationKeys: [op.rotationKeys[0], op.rotationKeys[0]] },
      { ...op, extra: 1 },
      { ...op, prev: undefined },
    ]) {
      const r = await run(['plc', 'sign', file('bad-op.json', JSON.stringify(bad)), '--key-file', keyFile]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout).toBe('');
    }
    const notJson = await run(['plc', 'sign', file('not.json', '{"type": '), '--key-file', keyFile]);
    expect(notJson.code).toBe(3);
    expect(notJson.stderr).toContain('not valid JSON');
    const badWrapper = await run(['plc', 'sign', file('wrapper.json', JSON.stringify({ did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', operation: op, extra: 1 })), '--key-file', keyFile]);
    expect(badWrapper.code).toBe(3);
    expect(badWrapper.stderr).toContain('hint: give an operation, or {"did", "operation"} as plc update writes it');
  });

  it('a hostile 90 KB operation: the refusal lists 20 problems and counts the rest, in text and JSON', async () => {
    const op = JSON.parse(readFileSync(genesisPath, 'utf8')) as UnsignedPlcOperation;
    const path = file('huge.json', JSON.stringify({ ...op, rotationKeys: Array.from({ length: 5000 }, (_, i) => `did:key:zBad${i}`) }));
    expect(readFileSync(path).length).toBeGreaterThan(80_000);
    const env = { ATCLI_PLC_SIGNING_KEY: r1.multikey() };
    const text = await run(['plc', 'sign', path], { env });
    expect(text.code).toBe(3);
    expect(text.stderr.split('\n').length).toBeLessThan(30);
    expect(text.stderr).toMatch(/refusing to sign this operation \(500\d problems\)/);
    const asJson = await run(['plc', 'sign', path, '--json'], { env });
    const details = (JSON.parse(asJson.stderr) as { error: { details: { problems: string[]; problemsOmitted: number } } }).error.details;
    expect(details.problems).toHaveLength(20);
    expect(details.problemsOmitted).toBeGreaterThan(4980);
    expect(asJson.stderr.length).toBeLessThan(10_000);
  });

  it('calc-did refuses unsigned, non-genesis and malformed input', async () => {
    const unsigned = await run(['plc', 'calc-did', genesisPath]);
    expect(unsigned.code).toBe(3);
    expect(unsigned.stderr).toContain('sig');
    const op = JSON.parse(readFileSync(genesisPath, 'utf8')) as UnsignedPlcOperation;
    const signed = signOperation(op, r0);
    const update = signOperation({ ...op, prev: operationCid(signed) }, r0);
    const notGenesis = await run(['plc', 'calc-did', file('update.json', JSON.stringify(update))]);
    expect(notGenesis.code).toBe(3);
    expect(notGenesis.stderr).toMatch(/genesis/);
    const padded = await run(['plc', 'calc-did', '-'], { stdin: JSON.stringify({ ...signed, sig: `${signed.sig}==` }) });
    expect(padded.code).toBe(3);
    expect(padded.stderr).toContain('padding');
    const missing = await run(['plc', 'calc-did', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// A stub directory on loopback: serves audit logs from memory and records every request.

interface Stub {
  url: string;
  logs: Map<string, AuditLogEntry[]>;
  requests: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}

async function stubDirectory(): Promise<Stub> {
  const logs = new Map<string, AuditLogEntry[]>();
  const requests: Array<{ method: string; url: string }> = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    const m = /^\/(did:plc:[a-z2-7]{24})(\/log\/audit|\/log\/last)?$/.exec(req.url ?? '');
    const log = m ? logs.get(m[1]!) : undefined;
    res.setHeader('content-type', 'application/json');
    if (req.method === 'POST') {
      res.statusCode = 500;
      res.end('{"message":"the stub never accepts operations"}');
      return;
    }
    if (!m || !log) {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: `DID not registered: ${m?.[1] ?? '?'}` }));
      return;
    }
    if (m[2] === '/log/audit') res.end(JSON.stringify(log));
    else if (m[2] === '/log/last') res.end(JSON.stringify(log[log.length - 1]!.operation));
    else {
      res.statusCode = 500;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    logs,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('atcli plc against a stub directory', () => {
  let stub: Stub;
  let genesis: UnsignedPlcOperation;
  let signedGenesis: Operation;
  let did: string;
  const createdAt = new Date(Date.now() - 3600_000).toISOString();
  const at = (): string[] => ['--plc', stub.url];

  beforeAll(async () => {
    stub = await stubDirectory();
    genesis = json<UnsignedPlcOperation>(await run(genesisArgs()));
    signedGenesis = signOperation(genesis, r1);
    did = didForGenesis(signedGenesis);
  });
  afterAll(async () => {
    await stub.close();
  });

  it('submit of a new genesis: --dry-run prints the request; without --yes and a terminal it is exit 2; nothing is POSTed', async () => {
    const path = file('sg.json', JSON.stringify(signedGenesis));
    const dry = await run([...at(), '--dry-run', 'plc', 'submit', path, '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(json(dry)).toMatchObject({ dryRun: true, did, url: `${stub.url}/${did}`, cid: operationCid(signedGenesis), submitted: false, operation: signedGenesis });
    const noYes = await run([...at(), 'plc', 'submit', path]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain(did);
    expect(noYes.stderr).toContain('--yes');
    const declined = await run([...at(), 'plc', 'submit', path], { tty: { stdin: true, stderr: true }, answers: [false] });
    expect(declined.code).toBe(2);
    expect(declined.io.asked).toEqual([`Submit this operation for ${did} to ${stub.url}?`]);
    expect(stub.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('an update: sign checks the key against the audit log; submit refuses a lock-out unless --allow-losing-keys', async () => {
    stub.logs.set(did, [{ did, operation: signedGenesis, cid: operationCid(signedGenesis), nullified: false, createdAt }]);
    const prev = operationCid(signedGenesis);
    const newKey = generatePrivateKey('k256');
    const update = { ...genesis, rotationKeys: [newKey.publicKey.did()], prev };
    const barePath = file('update.json', JSON.stringify(update));
    const r0File = file('r0.key', r0.multikey());

    const noDid = await run([...at(), 'plc', 'sign', barePath, '--key-file', r0File, '--json']);
    expect(noDid.code).toBe(2);
    expect(jsonError(noDid)).toMatchObject({ code: 'MissingDid', hint: expect.stringContaining('--did') });

    const unauthorised = await run([...at(), 'plc', 'sign', barePath, '--did', did, '--key-file', file('s.key', stranger.multikey())]);
    expect(unauthorised.code).toBe(3);
    expect(unauthorised.stderr).toContain('not authorised');

    const signed = await run([...at(), 'plc', 'sign', barePath, '--did', did, '--key-file', r0File]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr).toMatch(/warning: after this operation you would hold none of the rotation keys/);
    expect(written(signed).did).toBe(did);
    const signedPath = file('update.signed.json', signed.stdout);

    const otherDid = await run([...at(), 'plc', 'submit', signedPath, '--did', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', '--yes', '--json']);
    expect(otherDid.code).toBe(2);
    expect(jsonError(otherDid)).toMatchObject({ code: 'OperationDidMismatch', hint: 'the file names its DID; drop --did or use the file for that DID' });

    const refused = await run([...at(), 'plc', 'submit', signedPath, '--yes', '--json']);
    expect(refused.code).toBe(3);
    expect(jsonError(refused)).toMatchObject({ code: 'Lockout', hint: expect.stringContaining('--allow-losing-keys') });

    // Holding the new key too (given with --key-file) is fine.
    const holding = await run([...at(), '--dry-run', 'plc', 'submit', signedPath, '--key-file', file('new.key', newKey.multikey())]);
    expect(holding.code, holding.stderr).toBe(0);
    const allowed = await run([...at(), '--dry-run', 'plc', 'submit', signedPath, '--allow-losing-keys']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toMatch(/warning: .*hold none of the rotation keys .*as allowed/);
    for (const flag of ['-f', '--force']) {
      const old = await run([...at(), '--dry-run', 'plc', 'submit', signedPath, flag, '--json']);
      expect(old.code).toBe(2);
      expect(jsonError(old)).toMatchObject({ code: 'RemovedFlag', hint: expect.stringContaining('--allow-losing-keys') });
    }

    const bare = await run([...at(), 'plc', 'submit', file('bare.signed.json', JSON.stringify(written(signed).operation)), '--json']);
    expect(bare.code).toBe(2);
    expect(jsonError(bare).code).toBe('MissingDid');
    expect(stub.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expectNoSecrets([noDid, unauthorised, signed, refused, holding, allowed, bare], [r0, stranger, newKey]);
  });

  it('plc history: a table (aligned with a header on a terminal, tab-separated when piped), and what changed with --long', async () => {
    const piped = await run([...at(), 'plc', 'history', did]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.split('\n')[0]).toBe(['0', createdAt, operationCid(signedGenesis), 'plc_operation', '#1', '', '✓'].join('\t'));
    const tty = await run([...at(), 'plc', 'history', did, '--long'], { tty: { stdout: true } });
    const lines = tty.stdout.split('\n');
    expect(lines[0]).toMatch(/^#\s+createdAt\s+cid\s+type\s+key\s+nullified\s+ok$/);
    expect(lines[1]).toMatch(new RegExp(`^0\\s+${createdAt}\\s+${operationCid(signedGenesis)}\\s+plc_operation\\s+#1\\s+✓$`));
    expect(tty.stdout).toContain('  creates a new DID (genesis operation)');
    const coloured = await run([...at(), 'plc', 'history', did], { tty: { stdout: true }, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(coloured.stdout).toContain('\u001b[32m✓');
  });

  it('plc verify on an audit-log file, offline: passes, and fails naming the operation', async () => {
    const entries: AuditLogEntry[] = [{ did, operation: signedGenesis, cid: operationCid(signedGenesis), nullified: false, createdAt }];
    const second = signOperation({ ...genesis, alsoKnownAs: ['at://bob.example.com'], prev: entries[0]!.cid }, r0);
    entries.push({ did, operation: second, cid: operationCid(second), nullified: false, createdAt: new Date(Date.now() - 1000).toISOString() });
    const ok = await run(['plc', 'verify', file('audit.json', JSON.stringify(entries)), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toMatchObject({ did, valid: true, source: 'file', operations: 2, document: null });
    const human = await run(['plc', 'verify', '-'], { stdin: JSON.stringify(entries) });
    expect(human.stdout).toContain(`✓ ${did}: the log verifies (2 operations, 0 nullified)`);
    expect(human.stdout).toContain('(offline: the DID document was not compared with a directory)');

    const doctored = JSON.parse(JSON.stringify(entries)) as AuditLogEntry[];
    doctored[1]!.nullified = true;
    const bad = await run(['plc', 'verify', file('audit-bad.json', JSON.stringify(doctored))]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain(`operation #1 (${entries[1]!.cid})`);
    expect(bad.stdout).toContain('nullified');

    expect((await run(['plc', 'verify', file('not-log.json', '{"a":1}')])).code).toBe(3);
    expect((await run(['plc', 'verify', 'did:plc:TOOSHORT'])).code).toBe(2);
    expect((await run(['plc', 'verify', did, '--did', did])).code).toBe(2);
  });

  it('update needs something to change (exit 2), and names what would', async () => {
    const r = await run([...at(), 'plc', 'update', did]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing to change');
    expect(r.stderr).toContain(`atcli plc data ${did}`);
  });
});

describe('atcli plc dump', () => {
  let server: Server;
  let url: string;
  const requests: string[] = [];
  const rows = Array.from({ length: 5 }, (_, i) => ({
    did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa',
    operation: { type: 'plc_tombstone' },
    cid: `bafyrei${i}`,
    nullified: false,
    createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
  }));

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const u = new URL(req.url ?? '/', 'http://x');
      const count = Number(u.searchParams.get('count') ?? 1000);
      const after = u.searchParams.get('after');
      const page = rows.filter((r) => after === null || r.createdAt > after).slice(0, count);
      res.writeHead(200, { 'content-type': 'application/jsonlines' });
      res.end(page.map((r) => JSON.stringify(r)).join('\n'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('validates its flags before any request', async () => {
    requests.length = 0;
    for (const flags of [['--cursor', 'yesterday'], ['--limit', '0'], ['--count', '5000'], ['--interval', 'soon']]) {
      expect((await run(['--plc', url, 'plc', 'dump', ...flags])).code, flags.join(' ')).toBe(2);
    }
    expect(requests).toEqual([]);
  });

  it('pages through the export as NDJSON and prints the last cursor on stderr', async () => {
    requests.length = 0;
    const r = await run(['--plc', url, 'plc', 'dump', '--count', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(rows);
    expect(requests).toHaveLength(4); // 2 + 2 + 1 + an empty page
    expect(r.stderr).toContain(`--cursor ${rows[4]!.createdAt}`);
    const limited = await run(['--plc', url, 'plc', 'dump', '--limit', '2', '--cursor', rows[0]!.createdAt]);
    expect(limited.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { cid: string }).cid)).toEqual(['bafyrei1', 'bafyrei2']);
  });

  it('--tail keeps polling; Ctrl-C stops it with exit 130 and prints the cursor to resume from', async () => {
    const child = spawn(process.execPath, [BIN, '--plc', url, 'plc', 'dump', '--tail', '--interval', '0.1'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (let i = 0; i < 200 && stdout.split('\n').length <= rows.length; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // a few polls of the empty tail
    child.kill('SIGINT');
    const code = await done;
    expect(code).toBe(130);
    expect(stdout.trim().split('\n')).toHaveLength(rows.length);
    expect(stderr).toContain(`last cursor: ${rows[4]!.createdAt}`);
    expect(stderr).toContain(`atcli plc dump --cursor ${rows[4]!.createdAt}`);
  }, 30_000);
});
