// Hostile servers and inputs, against the BUILT CLI (run `node scripts/build.mjs` first): every
// case runs atcli as a subprocess and bounds its wall time and its peak memory, measured from
// outside the process. Servers are real HTTP servers on loopback inside the test process.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCar } from '../../src/core/codec/index.js';
import { recordFileComponents } from '../../src/core/repo/file-names.js';
import { BIN, tempDir } from '../cli/run-cli.js';
import { buildRepo, post, tid } from '../core/repo/repo-builder.js';
import {
  didDocument,
  jsonError,
  junkNodeSection,
  runMeasured,
  sendJson,
  startHostile,
  testDid,
  untilClosed,
  writeWithBackPressure,
  type HostileServer,
  type Measured,
} from './servers.js';

const RSS_LIMIT_MB = 300;
const TIME_LIMIT_MS = 30_000;
const GB = 1024 ** 3;

function expectBounded(r: Measured, what: string, timeLimitMs = TIME_LIMIT_MS): void {
  const facts = `${what}: exit ${r.code} (${r.signal ?? 'no signal'}), ${r.ms} ms, peak RSS ${r.peakRssMb} MB\nstderr: ${r.stderr.slice(0, 2000)}`;
  // HOSTILE_REPORT=1 prints the measurements of every case.
  if (process.env['HOSTILE_REPORT'] === '1') console.log(facts.split('\n')[0]);
  expect(r.signal, facts).toBeNull();
  expect(r.ms, facts).toBeLessThan(timeLimitMs);
  expect(r.peakRssMb, facts).toBeLessThan(RSS_LIMIT_MB);
}

// One repository, served by the hostile PDS in several ways; its DID document is served by a PLC
// directory stub that also serves hostile documents and audit logs.
const repo = buildRepo();
const behaviours = new Map<string, (res: import('node:http').ServerResponse) => Promise<void> | void>();
const documents = new Map<string, (res: import('node:http').ServerResponse) => Promise<void> | void>();
const auditLogs = new Map<string, unknown>();
let pds: HostileServer;
let plc: HostileServer;
let work: string;

function dev(...args: string[]): string[] {
  return ['--dev', '--plc', plc.url, '--json', ...args];
}

function account(name: string, behaviour: (res: import('node:http').ServerResponse) => Promise<void> | void): string {
  const did = testDid(name);
  behaviours.set(did, behaviour);
  documents.set(did, (res) => sendJson(res, 200, didDocument(did, { pds: pds.url, publicKeyMultibase: repo.key.publicKey.multikey() })));
  return did;
}

beforeAll(async () => {
  if (!existsSync(BIN) || !existsSync(join(BIN, '..', '..', 'dist'))) throw new Error('build the CLI first: node scripts/build.mjs');
  work = tempDir('atcli-hostile-');
  pds = await startHostile(async (req, res) => {
    const did = new URL(req.url ?? '/', 'http://x').searchParams.get('did') ?? '';
    const behaviour = behaviours.get(did);
    if (behaviour === undefined) return sendJson(res, 404, { error: 'RepoNotFound', message: 'no such repo' });
    await behaviour(res);
  });
  // The commit's own DID resolves too, so the signature check finds the repository's key.
  documents.set(repo.did, (res) => sendJson(res, 200, didDocument(repo.did, { pds: pds.url, publicKeyMultibase: repo.key.publicKey.multikey() })));
  plc = await startHostile(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const m = /^\/(did:plc:[a-z2-7]{24})(\/log\/audit)?$/.exec(path);
    if (m === null) return sendJson(res, 404, { message: 'not found' });
    if (m[2] !== undefined) {
      const log = auditLogs.get(m[1] as string);
      return log === undefined ? sendJson(res, 404, { message: 'DID not registered' }) : sendJson(res, 200, log);
    }
    const doc = documents.get(m[1] as string);
    if (doc === undefined) return sendJson(res, 404, { message: 'DID not registered' });
    await doc(res);
  });
}, 60_000);

afterAll(async () => {
  await pds?.close();
  await plc?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('hostile PDS: repo verify <did>', () => {
  it('a valid account verifies (the baseline the hostile cases differ from)', async () => {
    const did = account('honest', (res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car', 'content-length': repo.car.length });
      res.end(repo.car);
    });
    const r = await runMeasured(dev('repo', 'verify', did, '--did', repo.did));
    expectBounded(r, 'honest');
    expect(r.code, r.stderr).toBe(0);
  });

  it('a valid repository followed by 1.5 GB of distinct, hash-valid, unreferenced blocks: memory stays bounded, reading stops at the limit', async () => {
    let sent = 0;
    const did = account('junk', async (res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' });
      if (!(await writeWithBackPressure(res, repo.car))) return;
      sent = repo.car.length;
      for (let i = 0; sent < 1.5 * GB; i++) {
        const section = junkNodeSection(i, 96 * 1024);
        sent += section.length;
        if (!(await writeWithBackPressure(res, section))) return;
      }
      res.end();
    });
    const r = await runMeasured(dev('repo', 'verify', did, '--did', repo.did), { killAfterMs: 120_000 });
    expectBounded(r, 'valid repo + 1.5 GB junk', 60_000);
    // "Could not check" (exit 1), whether reported as an error or as an unchecked verdict.
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/bytes of blocks that the repository does not use/);
    expect(sent).toBeLessThan(1.5 * GB);
  }, 150_000);

  it('a PDS trickling one byte at a time is stopped by the minimum rate, long before it would finish', async () => {
    const did = account('trickle', async (res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' });
      for (let i = 0; i < repo.car.length && !res.destroyed; i++) {
        res.write(repo.car.subarray(i, i + 1));
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      res.end();
    });
    const r = await runMeasured(dev('--timeout', '3', 'repo', 'verify', did, '--did', repo.did), { killAfterMs: 60_000 });
    expectBounded(r, 'trickle');
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/less than the minimum of 1024 bytes\/s/);
  }, 90_000);

  it('a huge Content-Length with a body that stops short is a timeout, not a hang', async () => {
    const did = account('hugelength', async (res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car', 'content-length': String(10 ** 15) });
      res.write(repo.car);
      await untilClosed(res);
    });
    const r = await runMeasured(dev('--timeout', '3', 'repo', 'verify', did, '--did', repo.did), { killAfterMs: 60_000 });
    expectBounded(r, 'huge content-length');
    expect(r.code).toBe(1);
  }, 90_000);

  it('an endless body of junk without a valid repository is invalid at once', async () => {
    const did = account('endless', async (res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.car' });
      const chunk = new Uint8Array(64 * 1024).fill(0xff);
      while (await writeWithBackPressure(res, chunk));
    });
    const r = await runMeasured(dev('repo', 'verify', did, '--did', repo.did));
    expectBounded(r, 'endless junk body');
    expect(r.code).toBe(3);
  });
});

describe('hostile identity sources', () => {
  it('a 50 MB DID document from the PLC directory is cut off at its limit', async () => {
    const did = testDid('hugeplcdoc');
    documents.set(did, async (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      await writeWithBackPressure(res, Buffer.from(`{"id":"${did}","x":"`));
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      for (let sent = 0; sent < 50 * 1024 * 1024; sent += chunk.length) if (!(await writeWithBackPressure(res, chunk))) return;
      res.end('"}');
    });
    const r = await runMeasured(dev('resolve', did));
    expectBounded(r, 'huge PLC document');
    expect(r.code).toBe(1);
    expect(jsonError(r)?.code).toBe('ResponseTooLarge');
  });

  it('a 50 MB DID document from a did:web server is refused by its declared length', async () => {
    const web = await startHostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) });
      res.write('{"id":"did:web:localhost');
    });
    try {
      const r = await runMeasured(dev('resolve', `did:web:localhost%3A${web.port}`));
      expectBounded(r, 'huge did:web document');
      expect(r.code).toBe(1);
      expect(jsonError(r)?.code).toBe('ResponseTooLarge');
    } finally {
      await web.close();
    }
  });

  it('a DID document whose key is 60,000 characters long resolves at once (the key is refused unread)', async () => {
    const did = testDid('longkeydoc');
    const longKey = `z${'Q3s'.repeat(20_000)}`;
    documents.set(did, (res) => sendJson(res, 200, didDocument(did, { publicKeyMultibase: longKey })));
    const r = await runMeasured(dev('resolve', did));
    expectBounded(r, 'long key in a DID document', 10_000);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { signingKey?: unknown }).signingKey ?? null).toBeNull();
  });

  it('an audit log with a million-character rotation key and thousands of bad operations: bounded time, memory and output', async () => {
    const did = testDid('hugeaudit');
    const hugeKey = `did:key:z${'Q3s'.repeat(330_000)}`;
    const entries: unknown[] = [];
    for (let i = 0; i < 3000; i++) {
      entries.push({
        did,
        operation: { type: 'plc_operation', rotationKeys: [i === 0 ? hugeKey : 'did:key:zQ3shqgDohqtTesmBTqY26eZJGq79s95B2Jkji3TGNVjKaHGZ'], verificationMethods: {}, alsoKnownAs: [], services: {}, prev: null, sig: 'A'.repeat(86) },
        cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
        nullified: false,
        createdAt: '2024-01-01T00:00:00.000Z',
      });
    }
    auditLogs.set(did, entries);
    expect(JSON.stringify(entries).length).toBeGreaterThan(1_000_000);
    const r = await runMeasured(dev('plc', 'verify', did));
    expectBounded(r, 'huge audit log');
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: string[] };
    expect(out.valid).toBe(false);
    expect(out.problems.length).toBeLessThanOrEqual(25);
    const text = await runMeasured(['--dev', '--plc', plc.url, 'plc', 'verify', did]);
    expectBounded(text, 'huge audit log, text');
    expect(text.stdout.split('\n').length).toBeLessThan(100);
  }, 150_000);
});

describe('hostile inputs on the command line and on disk', () => {
  it('key inspect z + 120,000 characters answers at once', async () => {
    const r = await runMeasured(['--json', 'key', 'inspect', `z${'Q3s'.repeat(40_000)}`]);
    expectBounded(r, 'long key argument', 10_000);
    expect(r.code).toBe(3);
    expect(jsonError(r)?.message).toMatch(/no key is longer/);
  });

  it('plc sign of an 80 KB operation with 20,000 problems lists 20 and counts the rest', async () => {
    const op = { type: 'plc_operation', rotationKeys: ['did:key:zQ3shqgDohqtTesmBTqY26eZJGq79s95B2Jkji3TGNVjKaHGZ'], verificationMethods: {}, alsoKnownAs: Array<string>(20_000).fill('x'), services: {}, prev: null };
    const file = join(work, 'big-op.json');
    writeFileSync(file, JSON.stringify(op));
    expect(statSync(file).size).toBeGreaterThan(80_000);
    const text = await runMeasured(['plc', 'sign', file]);
    expectBounded(text, 'plc sign, text');
    expect(text.code).toBe(3);
    expect(text.stderr.split('\n').length).toBeLessThan(40);
    const json = await runMeasured(['--json', 'plc', 'sign', file]);
    const err = jsonError(json);
    expect((err?.details?.problems as unknown[]).length).toBe(20);
    expect(err?.details?.problemsOmitted).toBeGreaterThan(19_000);
  });

  describe('firehose replay: one verdict (3) for every kind of damage, with the byte offset', () => {
    const header = (kind: number, length: number): Buffer => {
      const b = Buffer.alloc(21);
      b.writeUInt8(kind, 0);
      b.writeBigUInt64BE(1n, 1);
      b.writeBigUInt64BE(1_700_000_000_000n, 9);
      b.writeUInt32BE(length, 17);
      return b;
    };
    const cases: Array<[string, Buffer, RegExp]> = [
      ['a 64 MB length claim in a short file', Buffer.concat([Buffer.from('ATCLIFH1'), header(1, 64 * 1024 * 1024), Buffer.alloc(100)]), /byte 8\b/],
      ['a length beyond the frame limit', Buffer.concat([Buffer.from('ATCLIFH1'), header(1, 0xffffffff), Buffer.alloc(100)]), /byte 8\b/],
      ['a cut-off entry header', Buffer.concat([Buffer.from('ATCLIFH1'), header(1, 10).subarray(0, 9)]), /byte 8\b/],
      ['a wrong magic', Buffer.concat([Buffer.from('ATCLIFH9'), header(1, 3), Buffer.from([1, 2, 3])]), /byte 0\b/],
      ['an undecodable frame', Buffer.concat([Buffer.from('ATCLIFH1'), header(1, 3), Buffer.from([0xff, 0xff, 0xff])]), /./],
    ];
    it.each(cases)('%s', async (_name, bytes, where) => {
      const file = join(work, `damaged-${Math.random().toString(36).slice(2)}.bin`);
      writeFileSync(file, bytes);
      const r = await runMeasured(['firehose', 'replay', file]);
      expectBounded(r, 'damaged recording');
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(where);
      expect(r.peakRssMb).toBeLessThan(150);
    });
  });

  it('firehose tail --record leaves no file when the relay cannot be reached', async () => {
    const closed = await startHostile(() => undefined);
    const port = closed.port;
    await closed.close();
    const file = join(work, 'never.bin');
    const r = await runMeasured(['--dev', '--relay', `ws://127.0.0.1:${port}`, 'firehose', 'tail', '--record', file], { killAfterMs: 60_000 });
    expectBounded(r, 'unreachable relay', 60_000);
    expect(r.code).not.toBe(0);
    expect(existsSync(file)).toBe(false);
  }, 90_000);

  it('repo unpack: 300-character collections and record keys, a file as the output, a symlink inside the old output', async () => {
    const collection = `com.example.${Array.from({ length: 5 }, (_, i) => `part${i}${'q'.repeat(52)}`).join('.')}`;
    const rkey = `Key:${'Z'.repeat(300)}`;
    const odd = buildRepo({ records: [[`app.bsky.feed.post/${tid(1)}`, post('one')], [`${collection}/self`, { $type: collection }], [`com.example.thing/${rkey}`, { $type: 'com.example.thing' }]] });
    const car = join(work, 'odd.car');
    writeFileSync(car, encodeCar([odd.commit.cid], odd.blocks));
    const out = join(work, 'odd-out');
    const r = await runMeasured(['--json', 'repo', 'unpack', car, '-o', out]);
    expectBounded(r, 'unpack long names');
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, ...recordFileComponents('com.example.thing', rkey)))).toBe(true);

    const file = join(work, 'plain-file');
    writeFileSync(file, 'x');
    const onFile = await runMeasured(['--json', 'repo', 'unpack', car, '-o', file]);
    expect(onFile.code).toBe(2);
    expect(jsonError(onFile)?.code).toBe('NotADirectory');
    const underFile = await runMeasured(['--json', 'repo', 'unpack', car, '-o', join(file, 'sub')]);
    expect(underFile.code).toBe(2);

    const victim = join(work, 'victim');
    mkdirSync(victim);
    rmSync(join(out, 'app.bsky.feed.post'), { recursive: true });
    symlinkSync(victim, join(out, 'app.bsky.feed.post'));
    await runMeasured(['--json', 'repo', 'unpack', car, '-o', out, '--force']);
    expect(readdirSync(victim)).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});

describe('one URL policy and timeouts a timer can hold', () => {
  it.each(['http://2130706433', 'http://0x7f.0.0.1', 'http://127.1', 'http://user:pw@127.0.0.1'])(
    'xrpc query refuses %s as written, without connecting',
    async (base) => {
      const target = await startHostile((_req, res) => sendJson(res, 200, { ok: true }));
      try {
        const r = await runMeasured(['--json', 'xrpc', 'query', `${base}:${target.port}`, 'com.example.ping']);
        expectBounded(r, base);
        expect(r.code, r.stderr).toBe(2);
        expect(target.requests).toEqual([]);
      } finally {
        await target.close();
      }
    },
  );

  it('--plc refuses the same forms', async () => {
    const r = await runMeasured(['--dev', '--plc', 'http://2130706433:2582', '--json', 'resolve', testDid('anyone')]);
    expect(r.code).toBe(2);
  });

  it('a timeout of 2^31 ms or more is a usage error, not a timer that fires at once', async () => {
    const did = testDid('slowdoc');
    documents.set(did, async (res) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      sendJson(res, 200, didDocument(did, {}));
    });
    const r = await runMeasured(dev('--timeout', '2147484', 'resolve', did));
    expectBounded(r, 'huge timeout');
    expect(r.code).toBe(2);
    expect(jsonError(r)?.code).toBe('InvalidDuration');
  });
});
