// `atcli repo …` in-process on CAR files (offline, or with the network unreachable): verdicts and
// their exit codes, the renderings on a terminal and in a pipe, and the argument checks.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRepo, carOf, post, tid, type Block } from '../core/repo/repo-builder.js';
import { runIn } from '../support/test-io.js';
import { stderrJsonError, stdoutJson, tempDir } from './run-cli.js';

const dir = tempDir('atcli-repo-cli-');
const repo = buildRepo();
const carPath = join(dir, 'repo.car');
writeFileSync(carPath, repo.car);
const key = repo.key.publicKey.did();
const example = JSON.parse(readFileSync(new URL('../../examples/alice.json', import.meta.url), 'utf8')) as { did: string; signingKey: string };
const EXAMPLE_CAR = 'examples/alice.car';
const DEAD_PLC = ['--dev', '--plc', 'http://127.0.0.1:1', '--timeout', '5'];

interface Check {
  name: string;
  status: string;
  ok: boolean;
  detail: string;
}

function write(name: string, bytes: Uint8Array | string): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** The repository with one record block's bytes changed (its hash no longer matches). */
const tampered = (() => {
  const target = [...repo.records.values()][3] as Block;
  const bad = repo.blocks.map((b) => (b === target ? { cid: b.cid, bytes: new Uint8Array([...b.bytes.subarray(0, 10), b.bytes[10]! ^ 1, ...b.bytes.subarray(11)]) } : b));
  return { cid: target.cid.toString(), file: write('tampered.car', carOf(repo.commit.cid, bad)) };
})();

/** The repository without one of its inner tree nodes. */
const missingNode = write('missing-node.car', carOf(repo.commit.cid, repo.blocks.filter((b) => b !== repo.nodes.find((n) => n.cid.key !== repo.data.key))));

describe('repo verify', () => {
  it('a valid repository exits 0 with a checklist', async () => {
    const r = await runIn(['repo', 'verify', carPath, '--key', key]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^✓ car /m);
    expect(r.stdout).toMatch(/^✓ signature .*valid k256 signature/m);
    expect(r.stdout).toMatch(/^✓ mst /m);
    expect(r.stdout).toContain(`repository of ${repo.did} is valid`);
  });

  it('on a terminal with colour the marks are coloured; the summary stays on stdout', async () => {
    const r = await runIn(['repo', 'verify', carPath, '--key', key], { tty: { stdout: true, stderr: true }, env: { NO_COLOR: undefined } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\u001b[32m✓\u001b[39m car');
    const plain = await runIn(['repo', 'verify', carPath, '--key', key, '--no-color'], { tty: { stdout: true } });
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.stdout).toMatch(/^✓ car {8}CAR v1/m);
  });

  it('--json: the report with its verdict', async () => {
    const r = await runIn(['repo', 'verify', carPath, '--key', key, '--did', repo.did, '--json']);
    expect(r.code).toBe(0);
    const out = stdoutJson<{ status: string; valid: boolean; reason: null; did: string; records: number; signature: { status: string; key: string }; checks: Check[]; errors: string[] }>(r);
    expect(out).toMatchObject({ status: 'valid', valid: true, reason: null, did: repo.did, records: repo.records.size });
    expect(out.signature).toMatchObject({ status: 'valid', key });
    expect(out.checks.every((c) => c.ok && c.status === 'ok')).toBe(true);
    expect(out.errors).toEqual([]);
  });

  it('a tampered record exits 3 and names the block', async () => {
    const r = await runIn(['repo', 'verify', tampered.file, '--key', key]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`^✗ hashes .*${tampered.cid}`, 'm'));
    expect(r.stdout).toContain('is INVALID: 2 checks failed');
    expect(r.stdout).toMatch(/^✗ records .*fails its hash check/m);
  });

  it('the wrong DID and the wrong key exit 3', async () => {
    expect((await runIn(['repo', 'verify', carPath, '--key', key, '--did', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'])).code).toBe(3);
    const other = buildRepo().key.publicKey.did();
    const r = await runIn(['repo', 'verify', carPath, '--key', other, '--json']);
    expect(r.code).toBe(3);
    expect(stdoutJson<{ status: string; checks: Check[] }>(r)).toMatchObject({ status: 'invalid' });
    expect(stdoutJson<{ checks: Check[] }>(r).checks.find((c) => c.name === 'signature')).toMatchObject({ ok: false, status: 'failed' });
  });

  it('without --key and with the directory unreachable: could NOT be verified (exit 1), every structural check still ok', async () => {
    const r = await runIn(['repo', 'verify', EXAMPLE_CAR, ...DEAD_PLC, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const out = stdoutJson<{ status: string; valid: boolean; reason: string; signature: { status: string }; checks: Check[] }>(r);
    expect(out).toMatchObject({ status: 'unchecked', valid: false });
    expect(out.reason).toContain(example.did);
    expect(out.signature.status).toBe('unchecked');
    const others = out.checks.filter((c) => c.name !== 'signature');
    expect(others.map((c) => c.name)).toEqual(['car', 'hashes', 'commit', 'mst', 'complete', 'records']);
    expect(others.every((c) => c.status === 'ok')).toBe(true);

    const human = await runIn(['repo', 'verify', EXAMPLE_CAR, ...DEAD_PLC]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^\? signature .*could not get the signing key/m);
    expect(human.stdout).toContain(`repository of ${example.did} could NOT be verified: `);
    expect(human.stdout).not.toContain('INVALID');
    expect(human.stderr).toContain('hint: check the network or --plc, or give the key with --key');
  });

  it('the README command: examples/alice.car with the key and DID of examples/alice.json is valid', async () => {
    const r = await runIn(['repo', 'verify', EXAMPLE_CAR, '--key', example.signingKey, '--did', example.did, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson(r)).toMatchObject({ status: 'valid', did: example.did });
  });

  it('garbage, truncated, empty and header-only files, and /dev/null, are invalid CARs (exit 3)', async () => {
    const files = [
      write('garbage.car', Buffer.from('this is not a CAR file at all')),
      write('truncated.car', repo.car.subarray(0, 200)),
      write('empty.car', new Uint8Array(0)),
      write('no-suffix', new Uint8Array(0)),
      write('huge-header.car', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f])),
      '/dev/null',
    ];
    for (const file of files) {
      const r = await runIn(['repo', 'verify', file, '--key', key]);
      expect(r.code, file).toBe(3);
      expect(r.stdout).toMatch(/^✗ car /m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await runIn(['repo', 'verify', '/dev/null', ...DEAD_PLC])).code).toBe(3);
  });

  it('a CAR from stdin ("-")', async () => {
    const r = await runIn(['repo', 'verify', '-', '--key', key, '--json'], { stdin: Buffer.from(repo.car) });
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson(r)).toMatchObject({ status: 'valid', did: repo.did });
    const tty = await runIn(['repo', 'verify', '-', '--key', key], { tty: { stdin: true } });
    expect(tty.code).toBe(2);
    expect(tty.stderr).toContain('stdin is a terminal');
  });

  it('usage errors (exit 2): a missing path, a directory, a malformed --did or --key, a private key as --key', async () => {
    const missing = await runIn(['repo', 'verify', join(dir, 'nope.car')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such CAR file');
    const folder = join(dir, 'folder.car');
    mkdirSync(folder);
    const isDir = await runIn(['repo', 'verify', folder, '--json']);
    expect(isDir.code).toBe(2);
    expect(stderrJsonError(isDir).code).toBe('NotAFile');
    const badDid = await runIn(['repo', 'verify', '--did', 'not-a-did', join(dir, 'x.car'), '--json']);
    expect(badDid.code).toBe(2);
    expect(stderrJsonError(badDid).message).toContain('--did');
    const badKey = await runIn(['repo', 'verify', carPath, '--key', 'did:key:zNOPE', '--json']);
    expect(badKey.code).toBe(2);
    expect(stderrJsonError(badKey).code).toBe('InvalidKey');
    const secret = repo.key.multikey();
    const privateKey = await runIn(['repo', 'verify', carPath, '--key', secret]);
    expect(privateKey.code).toBe(2);
    expect(privateKey.stderr).toContain('private key');
    expect(privateKey.stderr).not.toContain(secret);
  });
});

describe('repo inspect, ls, mst', () => {
  it('inspect: summary fields, and the collections as a table', async () => {
    const r = await runIn(['repo', 'inspect', carPath, '--json']);
    expect(r.code).toBe(0);
    const out = stdoutJson(r);
    expect(out).toMatchObject({ did: repo.did, version: 3, commit: repo.commit.cid.toString(), data: repo.data.toString(), prev: null, records: repo.records.size });
    expect((out.collections as Record<string, number>)['app.bsky.actor.profile']).toBe(1);
    const piped = await runIn(['repo', 'inspect', carPath]);
    expect(piped.stdout).toMatch(/^did\s+did:plc:/m);
    expect(piped.stdout).toMatch(/^1\tapp\.bsky\.actor\.profile$/m);
    const terminal = await runIn(['repo', 'inspect', carPath], { tty: { stdout: true } });
    expect(terminal.stdout).toMatch(/^records\s+collection$/m);
    expect(terminal.stdout).toMatch(/^1 +app\.bsky\.actor\.profile$/m);
  });

  it('ls: every path in order, NDJSON with --json, -c filters, TSV when piped and aligned on a terminal', async () => {
    const r = await runIn(['repo', 'ls', carPath, '--json']);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { collection: string; rkey: string; cid: string });
    expect(rows.map((x) => `${x.collection}/${x.rkey}`)).toEqual([...repo.records.keys()].sort());
    const likes = await runIn(['repo', 'ls', carPath, '-c', 'app.bsky.feed.like']);
    const lines = likes.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => /^app\.bsky\.feed\.like\/\S+\tbafy\S+$/.test(l))).toBe(true);
    const terminal = await runIn(['repo', 'ls', carPath, '-c', 'app.bsky.feed.like'], { tty: { stdout: true } });
    expect(terminal.stdout.split('\n')[0]).toMatch(/^path +cid$/);
    expect(terminal.stdout).not.toContain('\t');
  });

  it('mst: prints the tree', async () => {
    const r = await runIn(['repo', 'mst', carPath]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(repo.data.toString());
    expect(r.stdout).toMatch(/layer \d+, \d+ entr(y|ies)/);
  });

  it('corrupted data is exit 3 in every reader: inspect, ls, mst, diff; a tree with a node missing too (unless mst --partial)', async () => {
    for (const argv of [
      ['repo', 'inspect', tampered.file],
      ['repo', 'mst', tampered.file],
      ['repo', 'ls', tampered.file],
      ['repo', 'diff', carPath, tampered.file],
      ['repo', 'inspect', missingNode],
      ['repo', 'mst', missingNode],
    ]) {
      const r = await runIn([...argv, '--json']);
      expect(r.code, argv.join(' ')).toBe(3);
      const error = stderrJsonError(r);
      expect(error.code).toBe('InvalidRepo');
      expect(error.hint).toContain('atcli repo verify');
    }
    const human = await runIn(['repo', 'ls', missingNode]);
    expect(human.code).toBe(3);
    expect(human.stderr).toContain('is missing');
    expect(human.stderr).toContain(`hint: run "atcli repo verify ${missingNode}" for the full report`);
    const partial = await runIn(['repo', 'mst', missingNode, '--partial']);
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stdout).toContain('(missing)');
  });
});

describe('repo unpack', () => {
  it('one JSON file per record; a non-empty folder needs --force', async () => {
    const out = join(dir, 'unpacked');
    const r = await runIn(['repo', 'unpack', carPath, '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson<{ records: number }>(r).records).toBe(repo.records.size);
    const profile = JSON.parse(readFileSync(join(out, 'app.bsky.actor.profile', 'self.json'), 'utf8')) as { $type: string };
    expect(profile.$type).toBe('app.bsky.actor.profile');
    expect(existsSync(join(out, '_commit.json'))).toBe(true);
    expect(readdirSync(join(out, 'app.bsky.feed.post')).length).toBeGreaterThan(0);
    const again = await runIn(['repo', 'unpack', carPath, '-o', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    expect((await runIn(['repo', 'unpack', carPath, '-o', out, '--force'])).code).toBe(0);
  });

  it('has no dry run: -n is refused (exit 2) and nothing is written', async () => {
    const out = join(dir, 'dry');
    const r = await runIn(['repo', 'unpack', '-n', carPath, '-o', out, '--json']);
    expect(r.code).toBe(2);
    expect(stderrJsonError(r).code).toBe('UnsupportedGlobalFlag');
    expect(existsSync(out)).toBe(false);
  });

  it('reads a CAR file, not an account or stdin; corrupted data writes nothing', async () => {
    const account = await runIn(['repo', 'unpack', 'alice.example.com']);
    expect(account.code).toBe(2);
    expect(account.stderr).toContain('hint: export it first: atcli repo export alice.example.com -o repo.car');
    expect((await runIn(['repo', 'unpack', '-'], { stdin: Buffer.from(repo.car) })).code).toBe(2);
    const out = join(dir, 'corrupt-out');
    expect((await runIn(['repo', 'unpack', tampered.file, '-o', out])).code).toBe(3);
    expect(existsSync(out)).toBe(false);
  });
});

describe('repo diff', () => {
  const before = join(dir, 'before.car');
  const after = join(dir, 'after.car');
  const a = buildRepo({ records: [[`app.bsky.feed.post/${tid(1)}`, post('one')], [`app.bsky.feed.post/${tid(2)}`, post('two')], [`app.bsky.feed.post/${tid(3)}`, post('three')]] });
  const b = buildRepo({ did: a.did, key: a.key, records: [[`app.bsky.feed.post/${tid(1)}`, post('one')], [`app.bsky.feed.post/${tid(2)}`, post('two, edited')], [`app.bsky.feed.post/${tid(4)}`, post('four')]] });
  writeFileSync(before, a.car);
  writeFileSync(after, b.car);

  it('reports exactly the creates, updates and deletes', async () => {
    const r = await runIn(['repo', 'diff', before, after, '--json']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { op: string; rkey: string; cid: string | null; prev: string | null });
    expect(rows.map((x) => [x.op, x.rkey])).toEqual([
      ['update', tid(2)],
      ['delete', tid(3)],
      ['create', tid(4)],
    ]);
    expect(rows[0]?.prev).toBe(a.records.get(`app.bsky.feed.post/${tid(2)}`)?.cid.toString());
    expect(rows[0]?.cid).toBe(b.records.get(`app.bsky.feed.post/${tid(2)}`)?.cid.toString());
    const piped = await runIn(['repo', 'diff', before, after]);
    expect(piped.stderr).toContain('1 created, 1 updated, 1 deleted');
    expect(piped.stdout.split('\n')[0]).toBe(`update\tapp.bsky.feed.post/${tid(2)}\t${rows[0]?.cid}`);
  });

  it('one snapshot may come from stdin, not both', async () => {
    const r = await runIn(['repo', 'diff', '-', after, '--json'], { stdin: Buffer.from(a.car) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect((await runIn(['repo', 'diff', '-', '-'])).code).toBe(2);
  });
});

describe('repo import and export (offline checks)', () => {
  it('import reads a CAR file, not stdin', async () => {
    const r = await runIn(['repo', 'import', '-', '--json'], { stdin: Buffer.from(repo.car) });
    expect(r.code).toBe(2);
    expect(stderrJsonError(r).code).toBe('CarFileRequired');
  });

  it('export with the directory unreachable exits 1 and writes nothing', async () => {
    const out = join(dir, 'export.car');
    const r = await runIn(['repo', 'export', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', '-o', out, ...DEAD_PLC]);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});
