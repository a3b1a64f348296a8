// `atcli plc` through the built binary, offline (and against a stub directory on loopback where a
// command needs one). The real directory is exercised in test/e2e/plc.test.ts.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generatePrivateKey, type PrivateKey } from '../../src/core/crypto/index.js';
import { didForGenesis, operationCid, signOperation, type AuditLogEntry, type Operation } from '../../src/core/plc/index.js';
import { BIN, cliEnv, expectNoStack, runCli, stderrJsonError, stdoutJson, tempDir, type CliResult } from './run-cli.js';

interface Genesis {
  type: string;
  rotationKeys: string[];
  verificationMethods: Record<string, string>;
  alsoKnownAs: string[];
  services: Record<string, { type: string; endpoint: string }>;
  prev: string | null;
}

// Many sequential CLI runs (each a Node start-up) per test: allow for a loaded machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const dir = tempDir('atcli-plc-');
const r0 = generatePrivateKey('p256');
const r1 = generatePrivateKey('k256');
const signing = generatePrivateKey('k256');
const stranger = generatePrivateKey('k256');

function file(name: string, content: string): string {
  const path = join(dir, name);
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
function secretForms(key: PrivateKey): string[] {
  return [key.multikey(), key.hex(), key.hex().toUpperCase(), key.multikey().slice(1)];
}

function expectNoSecrets(results: CliResult[], keys: PrivateKey[]): void {
  for (const r of results) {
    for (const key of keys) {
      for (const form of secretForms(key)) {
        expect(r.stdout, 'stdout leaks a private key').not.toContain(form);
        expect(r.stderr, 'stderr leaks a private key').not.toContain(form);
      }
    }
  }
}

describe('atcli plc genesis', () => {
  it('prints an unsigned genesis operation on stdout (prev null, no sig) and the summary on stderr', async () => {
    const r = await runCli(genesisArgs());
    expect(r.code, r.stderr).toBe(0);
    const op = stdoutJson<Genesis>(r);
    expect(op).toEqual({
      type: 'plc_operation',
      rotationKeys: [r0.publicKey.did(), r1.publicKey.did()],
      verificationMethods: { atproto: signing.publicKey.did() },
      alsoKnownAs: ['at://alice.example.com'],
      services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.example.com' } },
      prev: null,
    });
    expect(r.stderr).toContain('creates a new DID');
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
    const r = await runCli([...genesisArgs(over as never), '--json']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toBe('');
    expect(stderrJsonError(r).message).toMatch(reason);
    expectNoStack(r);
  });

  it('a missing required flag is a usage error (exit 2)', async () => {
    const r = await runCli(['plc', 'genesis', '--signing-key', signing.publicKey.did(), '--handle', 'a.example.com', '--pds', 'https://pds.example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--rotation-key');
  });

  it('refuses a private key given where a public key belongs, without echoing it', async () => {
    const r = await runCli(genesisArgs({ signing: r0.multikey() }));
    expect(r.code).toBe(2);
    expectNoSecrets([r], [r0]);
  });
});

describe('atcli plc sign / calc-did (offline, genesis)', () => {
  let genesisPath: string;
  beforeAll(async () => {
    const r = await runCli(genesisArgs());
    genesisPath = file('genesis.json', r.stdout);
  });

  it('signs with a key file, with the environment variable, with hex + --key-type, and with key-generate JSON; calc-did agrees', async () => {
    const results: CliResult[] = [];
    const multikeyFile = file('r1.key', `${r1.multikey()}\n`);
    const viaFile = await runCli(['plc', 'sign', genesisPath, '--key-file', multikeyFile]);
    results.push(viaFile);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    const signed = stdoutJson<Operation>(viaFile);
    expect(signed.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(viaFile.stderr).toContain('rotation key #1');
    const did = didForGenesis(signed);
    expect(viaFile.stderr).toContain(did);

    const viaEnv = await runCli(['plc', 'sign', genesisPath], { env: { ATCLI_PLC_SIGNING_KEY: r1.multikey() } });
    results.push(viaEnv);
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(stdoutJson<Operation>(viaEnv)).toEqual(signed); // RFC 6979: deterministic

    const viaHex = await runCli(['plc', 'sign', genesisPath, '--key-file', file('r0.hex', r0.hex()), '--key-type', 'p256']);
    results.push(viaHex);
    expect(viaHex.code, viaHex.stderr).toBe(0);
    expect(viaHex.stderr).toContain('rotation key #0');

    const hexNoType = await runCli(['plc', 'sign', genesisPath, '--key-file', file('r0b.hex', r0.hex())]);
    results.push(hexNoType);
    expect(hexNoType.code).toBe(2);
    expect(hexNoType.stderr).toContain('--key-type');

    const json = file('r1.json', JSON.stringify({ type: 'k256', privateKey: r1.multikey(), publicKey: r1.publicKey.did() }));
    const viaJson = await runCli(['plc', 'sign', genesisPath, '--key-file', json]);
    results.push(viaJson);
    expect(stdoutJson<Operation>(viaJson)).toEqual(signed);

    const signedPath = file('signed.json', viaFile.stdout);
    const calc = await runCli(['plc', 'calc-did', signedPath]);
    results.push(calc);
    expect(calc.code).toBe(0);
    expect(calc.stdout).toBe(`${did}\n`);
    const calcJson = await runCli(['plc', 'calc-did', '-', '--json'], { input: viaFile.stdout });
    results.push(calcJson);
    expect(stdoutJson(calcJson)).toEqual({ did, cid: operationCid(signed), signedBy: { keyIndex: 1, key: r1.publicKey.did() } });

    const piped = await runCli(['plc', 'sign', '-', '--key-file', multikeyFile], { input: await (await import('node:fs/promises')).readFile(genesisPath) });
    results.push(piped);
    expect(stdoutJson<Operation>(piped)).toEqual(signed);

    expectNoSecrets(results, [r0, r1]);
  });

  it('refuses a key that is not one of the genesis rotation keys (exit 3), unless --force', async () => {
    const keyFile = file('stranger.key', stranger.multikey());
    const r = await runCli(['plc', 'sign', genesisPath, '--key-file', keyFile, '--json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    const err = stderrJsonError(r);
    expect(err.code).toBe('UnauthorizedKey');
    expect(err.message).toContain(stranger.publicKey.did());
    const forced = await runCli(['plc', 'sign', genesisPath, '--key-file', keyFile, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/warning: .*not one of/);
    // …and calc-did will not vouch for it
    const calc = await runCli(['plc', 'calc-did', file('forced.json', forced.stdout)]);
    expect(calc.code).toBe(3);
    expect(calc.stderr).toContain('not signed by one of its own rotation keys');
    expectNoSecrets([r, forced, calc], [stranger]);
  });

  it('never reads a key from argv, and never echoes a bad key', async () => {
    const asArg = await runCli(['plc', 'sign', r1.multikey()]);
    expect(asArg.code).toBe(2);
    expect(asArg.stderr).toContain('--key-file');
    const keyAsOp = await runCli(['plc', 'sign', file('oops.json', r1.multikey()), '--key-file', file('k', r1.multikey())]);
    expect(keyAsOp.code).toBe(3);
    expect(keyAsOp.stderr).toContain('private key');
    const publicKey = await runCli(['plc', 'sign', genesisPath, '--key-file', file('pub.key', r1.publicKey.did())]);
    expect(publicKey.code).toBe(3);
    expect(publicKey.stderr).toMatch(/public key/);
    const mangled = r1.multikey().slice(0, -3) + 'abc';
    const bad = await runCli(['plc', 'sign', genesisPath, '--key-file', file('bad.key', mangled)]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).not.toContain(mangled);
    const badJson = await runCli(['plc', 'sign', genesisPath, '--key-file', file('bad.json', `{"privateKey": "${r1.multikey()}"`)]);
    expect(badJson.code).toBe(3);
    const noKey = await runCli(['plc', 'sign', genesisPath]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('ATCLI_PLC_SIGNING_KEY');
    expectNoSecrets([asArg, keyAsOp, publicKey, bad, badJson, noKey], [r1]);
  });

  it('refuses to sign an invalid operation (exit 3)', async () => {
    const op = JSON.parse((await runCli(genesisArgs())).stdout) as Genesis;
    const keyFile = file('r1b.key', r1.multikey());
    for (const bad of [
      { ...op, alsoKnownAs: ['at://bad handle'] },
      { ...op, rotationKeys: [op.rotationKeys[0], op.rotationKeys[0]] },
      { ...op, extra: 1 },
      { ...op, prev: undefined },
    ]) {
      const r = await runCli(['plc', 'sign', file('bad-op.json', JSON.stringify(bad)), '--key-file', keyFile]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout).toBe('');
    }
    const notJson = await runCli(['plc', 'sign', file('not.json', '{"type": '), '--key-file', keyFile]);
    expect(notJson.code).toBe(3);
    expect(notJson.stderr).toContain('not valid JSON');
  });

  it('calc-did refuses unsigned, non-genesis and malformed input', async () => {
    const unsigned = await runCli(['plc', 'calc-did', genesisPath]);
    expect(unsigned.code).toBe(3);
    expect(unsigned.stderr).toContain('sig');
    const signed = signOperation(JSON.parse((await runCli(genesisArgs())).stdout) as Genesis as never, r0);
    const update = signOperation({ ...(signed as object), prev: operationCid(signed) } as never, r0);
    const notGenesis = await runCli(['plc', 'calc-did', file('update.json', JSON.stringify(update))]);
    expect(notGenesis.code).toBe(3);
    expect(notGenesis.stderr).toMatch(/genesis/);
    const padded = await runCli(['plc', 'calc-did', '-'], { input: JSON.stringify({ ...signed, sig: `${signed.sig}==` }) });
    expect(padded.code).toBe(3);
    expect(padded.stderr).toContain('padding');
    const missing = await runCli(['plc', 'calc-did', join(dir, 'nope.json')]);
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

describe('atcli plc sign / submit against a stub directory', () => {
  let stub: Stub;
  let genesis: Genesis;
  let signedGenesis: Operation;
  let did: string;
  const createdAt = new Date(Date.now() - 3600_000).toISOString();

  beforeAll(async () => {
    stub = await stubDirectory();
    genesis = JSON.parse((await runCli(genesisArgs())).stdout) as Genesis;
    signedGenesis = signOperation(genesis as never, r1);
    did = didForGenesis(signedGenesis);
  });
  afterAll(async () => {
    await stub.close();
  });

  it('submit of a new genesis: --dry-run prints the request; without --yes and a terminal it is exit 2; nothing is POSTed', async () => {
    const path = file('sg.json', JSON.stringify(signedGenesis));
    const dry = await runCli(['--plc', stub.url, '--dry-run', 'plc', 'submit', path, '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(stdoutJson(dry)).toMatchObject({ dryRun: true, did, url: `${stub.url}/${did}`, cid: operationCid(signedGenesis), submitted: false, operation: signedGenesis });
    const noYes = await runCli(['--plc', stub.url, 'plc', 'submit', path]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain(did);
    expect(noYes.stderr).toContain('--yes');
    expect(stub.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('an update: sign checks the key against the audit log; submit refuses a lock-out unless --force', async () => {
    stub.logs.set(did, [{ did, operation: signedGenesis, cid: operationCid(signedGenesis), nullified: false, createdAt }]);
    const prev = operationCid(signedGenesis);
    const newKey = generatePrivateKey('k256');
    const update = { ...genesis, rotationKeys: [newKey.publicKey.did()], prev };
    const opPath = file('update.json', JSON.stringify(update));
    const r0File = file('r0.key', r0.multikey());

    const noDid = await runCli(['--plc', stub.url, 'plc', 'sign', opPath, '--key-file', r0File]);
    expect(noDid.code).toBe(2);
    expect(noDid.stderr).toContain('--did');

    const unauthorised = await runCli(['--plc', stub.url, 'plc', 'sign', opPath, '--did', did, '--key-file', file('s.key', stranger.multikey())]);
    expect(unauthorised.code).toBe(3);
    expect(unauthorised.stderr).toContain('not authorised');

    const signed = await runCli(['--plc', stub.url, 'plc', 'sign', opPath, '--did', did, '--key-file', r0File]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr).toMatch(/warning: after this operation you would hold none of the rotation keys/);
    const signedPath = file('update.signed.json', signed.stdout);

    const refused = await runCli(['--plc', stub.url, 'plc', 'submit', signedPath, '--did', did, '--yes', '--json']);
    expect(refused.code).toBe(3);
    expect(stderrJsonError(refused).code).toBe('Lockout');

    // Holding the new key too (given with --key-file) is fine.
    const holding = await runCli(['--plc', stub.url, '--dry-run', 'plc', 'submit', signedPath, '--did', did, '--key-file', file('new.key', newKey.multikey())]);
    expect(holding.code, holding.stderr).toBe(0);
    const forced = await runCli(['--plc', stub.url, '--dry-run', 'plc', 'submit', signedPath, '--did', did, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: .*--force/);

    const missingDid = await runCli(['--plc', stub.url, 'plc', 'submit', signedPath]);
    expect(missingDid.code).toBe(2);
    expect(stub.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expectNoSecrets([noDid, unauthorised, signed, refused, holding, forced, missingDid], [r0, stranger, newKey]);
  });

  it('plc verify on an audit-log file, offline: passes, and fails naming the operation', async () => {
    const entries: AuditLogEntry[] = [{ did, operation: signedGenesis, cid: operationCid(signedGenesis), nullified: false, createdAt }];
    const second = signOperation({ ...genesis, alsoKnownAs: ['at://bob.example.com'], prev: entries[0]!.cid } as never, r0);
    entries.push({ did, operation: second, cid: operationCid(second), nullified: false, createdAt: new Date(Date.now() - 1000).toISOString() });
    const ok = await runCli(['plc', 'verify', file('audit.json', JSON.stringify(entries)), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(stdoutJson(ok)).toMatchObject({ did, valid: true, source: 'file', operations: 2, document: null });

    const doctored = JSON.parse(JSON.stringify(entries)) as AuditLogEntry[];
    doctored[1]!.nullified = true;
    const bad = await runCli(['plc', 'verify', file('audit-bad.json', JSON.stringify(doctored))]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain(`operation #1 (${entries[1]!.cid})`);
    expect(bad.stdout).toContain('nullified');

    const notLog = await runCli(['plc', 'verify', file('not-log.json', '{"a":1}')]);
    expect(notLog.code).toBe(3);
    const badDid = await runCli(['plc', 'verify', 'did:plc:TOOSHORT']);
    expect(badDid.code).toBe(2);
  });
});

describe('atcli plc: help and usage', () => {
  it('every plc command has examples in its help', async () => {
    for (const cmd of ['history', 'data', 'verify', 'genesis', 'update', 'sign', 'submit', 'calc-did', 'dump']) {
      const r = await runCli(['plc', cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain('Examples:');
      expect(r.stdout, cmd).toContain(`atcli plc ${cmd}`);
    }
  });

  it('dump validates its flags before any request', async () => {
    expect((await runCli(['--plc', 'http://127.0.0.1:1', 'plc', 'dump', '--cursor', 'yesterday'])).code).toBe(2);
    expect((await runCli(['--plc', 'http://127.0.0.1:1', 'plc', 'dump', '--limit', '0'])).code).toBe(2);
    expect((await runCli(['--plc', 'http://127.0.0.1:1', 'plc', 'dump', '--count', '5000'])).code).toBe(2);
  });

  it('update needs something to change', async () => {
    const r = await runCli(['--plc', 'http://127.0.0.1:1', 'plc', 'update', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing to change');
  });
});

describe('atcli plc dump against a stub export', () => {
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

  it('pages through the export as NDJSON and prints the last cursor on stderr', async () => {
    requests.length = 0;
    const r = await runCli(['--plc', url, 'plc', 'dump', '--count', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(rows);
    expect(requests).toHaveLength(4); // 2 + 2 + 1 + an empty page
    expect(r.stderr).toContain(`--cursor ${rows[4]!.createdAt}`);
    const limited = await runCli(['--plc', url, 'plc', 'dump', '--limit', '2', '--cursor', rows[0]!.createdAt]);
    expect(limited.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { cid: string }).cid)).toEqual(['bafyrei1', 'bafyrei2']);
  });

  it('--tail keeps polling; Ctrl-C stops it with exit 130 and prints the cursor to resume from', async () => {
    const child = spawn(process.execPath, [BIN, '--plc', url, 'plc', 'dump', '--tail', '--interval', '0.1'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (let i = 0; i < 100 && stdout.split('\n').length <= rows.length; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // a few polls of the empty tail
    child.kill('SIGINT');
    const code = await done;
    expect(code).toBe(130);
    expect(stdout.trim().split('\n')).toHaveLength(rows.length);
    expect(stderr).toContain(`last cursor: ${rows[4]!.createdAt}`);
    expect(stderr).toContain(`atcli plc dump --cursor ${rows[4]!.createdAt}`);
  });
});
