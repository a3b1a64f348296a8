// `atcli blob` in-process, against a fake PDS + PLC directory on loopback that can misbehave per
// blob (wrong bytes, 429 + Retry-After, a dropped connection).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './run-cli.js';
import { runIn, type InProcessResult } from '../support/test-io.js';
import { makeBlob, startFakeBlobPds, type FakeBlob, type FakeBlobPds } from '../core/blob/fake-blob-pds.js';
import { cidForRaw } from '../../src/core/codec/index.js';

const MIMES = ['image/png', 'image/jpeg', 'video/mp4', 'application/json', 'text/plain'];
const dir = tempDir('atcli-blob-cli-');
const blobNames = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((n) => !n.endsWith('.json') && !n.startsWith('.')).sort() : []);
const hidden = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((n) => n.startsWith('.')) : []);
const runCli = (args: string[], opts: { env?: Record<string, string> } = {}): Promise<InProcessResult> => runIn(args, opts);

function stdoutJson<T = Record<string, unknown>>(r: InProcessResult): T {
  return JSON.parse(r.stdout) as T;
}

function stderrJsonError(r: InProcessResult): { code: string; message: string; hint?: string; details?: Record<string, unknown> } {
  const lines = r.stderr.trim().split('\n');
  return (JSON.parse(lines[lines.length - 1] as string) as { error: { code: string; message: string; hint?: string } }).error;
}

interface SyncJson {
  did: string;
  dir: string;
  total: number;
  downloaded: number;
  skipped: number;
  failed: Array<{ cid: string; error: string; code: string }>;
  bytes: number;
}

describe('atcli blob sync / ls / get against a fake PDS', () => {
  let pds: FakeBlobPds;
  let blobs: FakeBlob[];
  let flags: string[];

  beforeAll(async () => {
    blobs = Array.from({ length: 10 }, (_, i) => makeBlob(100 + i, 2000 + i * 20_000, MIMES[i % MIMES.length]));
    pds = await startFakeBlobPds(blobs);
    flags = ['--dev', '--plc', pds.url, '--timeout', '5'];
  });
  afterAll(async () => {
    await pds.close();
  });

  it('wrong bytes for one CID: exit 1, the CID is named, nothing is stored under it; the rest are verified with their MIME types', async () => {
    const bad = blobs[4]!;
    pds.misbehave.set(bad.cid, { kind: 'wrong-bytes' });
    const out = join(dir, 'wrong');
    const r = await runCli([...flags, 'blob', 'sync', pds.did, out, '--retries', '1']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('9 downloaded');
    expect(r.stdout).toContain('1 FAILED');
    expect(r.stderr).toContain('error: 1 of 10 blobs failed after retries');
    expect(r.stderr).toContain(bad.cid);
    expect(r.stderr).toContain('do not match its CID');
    expect(blobNames(out)).toEqual(blobs.filter((b) => b !== bad).map((b) => b.cid).sort());
    expect(readdirSync(out).filter((n) => n.includes(bad.cid))).toEqual([]);
    expect(hidden(out)).toEqual([]);
    for (const b of blobs.filter((x) => x !== bad)) {
      expect(Buffer.compare(readFileSync(join(out, b.cid)), b.bytes)).toBe(0);
      expect(JSON.parse(readFileSync(join(out, `${b.cid}.json`), 'utf8'))).toEqual({ mimeType: b.mimeType, size: b.bytes.length });
    }

    const j = await runCli([...flags, 'blob', 'sync', pds.did, out, '--retries', '0', '--json']);
    expect(j.code).toBe(1);
    const res = stdoutJson<SyncJson>(j);
    expect(res).toMatchObject({ did: pds.did, total: 10, downloaded: 0, skipped: 9, bytes: 0 });
    expect(res.failed).toEqual([expect.objectContaining({ cid: bad.cid, code: 'BlobHashMismatch' })]);
    const err = stderrJsonError(j);
    expect(err.code).toBe('BlobSyncIncomplete');
    expect(err.details?.['failed']).toEqual([bad.cid]);
    pds.misbehave.delete(bad.cid);
  });

  it('429 with Retry-After and a connection dropped mid-body are retried; then a second run downloads nothing', async () => {
    pds.requests.clear();
    pds.times.clear();
    pds.misbehave.set(blobs[1]!.cid, { kind: 'rate-limit', times: 1, seconds: 1 });
    pds.misbehave.set(blobs[7]!.cid, { kind: 'drop', times: 1 });
    const out = join(dir, 'retry');
    const r = await runCli([...flags, 'blob', 'sync', pds.did, out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const total = blobs.reduce((s, b) => s + b.bytes.length, 0);
    expect(stdoutJson<SyncJson>(r)).toEqual({ did: pds.did, dir: out, total: 10, downloaded: 10, skipped: 0, failed: [], bytes: total });
    expect(pds.requests.get(blobs[1]!.cid)).toBe(2);
    expect(pds.requests.get(blobs[7]!.cid)).toBe(2);
    const times = pds.times.get(blobs[1]!.cid)!;
    // Retry-After counts from the 429 response; the retry arrives at least a second after it was sent.
    expect(times.at(-1)! - pds.rateLimitedAt.get(blobs[1]!.cid)!).toBeGreaterThanOrEqual(990);
    expect(hidden(out)).toEqual([]);

    const again = await runCli([...flags, 'blob', 'sync', pds.did, out, '--json']);
    expect(stdoutJson<SyncJson>(again)).toMatchObject({ total: 10, downloaded: 0, skipped: 10, failed: [], bytes: 0 });
    const human = await runCli([...flags, 'blob', 'sync', pds.did, out]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^✓ 10 blobs of did:plc:\S+ in .*: 0 downloaded \(0 B\), 10 already present, all verified$/m);
    pds.misbehave.clear();
  });

  it('the default folder is ./<did>-blobs (":" as "_"); bad options and a file as folder are usage errors', async () => {
    const cwd = tempDir('atcli-blob-cwd-');
    const before = process.cwd();
    process.chdir(cwd);
    let r: InProcessResult;
    try {
      r = await runCli([...flags, 'blob', 'sync', pds.did, '--json']);
    } finally {
      process.chdir(before);
    }
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson<SyncJson>(r).dir).toBe('did_plc_ewvi7nxzyoun6zhxrhs64oiz-blobs');
    expect(blobNames(join(cwd, 'did_plc_ewvi7nxzyoun6zhxrhs64oiz-blobs'))).toHaveLength(10);

    for (const bad of ['0', '33', 'x', '1.5']) {
      const u = await runCli([...flags, 'blob', 'sync', pds.did, join(dir, 'u'), '--concurrency', bad]);
      expect(u.code, bad).toBe(2);
      expect(u.stderr).toContain('--concurrency');
    }
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const f = await runCli([...flags, 'blob', 'sync', pds.did, file]);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('not a folder');
  });

  it('Ctrl-C during sync: exit 130, finished blobs kept, no partial file, the resume command printed; rerunning finishes', async () => {
    pds.delayMs = 150;
    const out = join(dir, 'interrupted');
    const ctrlC = new AbortController();
    const running = runIn([...flags, 'blob', 'sync', pds.did, out, '--concurrency', '2'], { signal: ctrlC.signal });
    const deadline = Date.now() + 10_000;
    while (blobNames(out).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    ctrlC.abort();
    const { code, stderr } = await running;
    pds.delayMs = 0;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/blob sync interrupted after \d+ of 10 blobs/);
    expect(stderr).toContain(`hint: resume with: atcli blob sync ${pds.did} ${out} --concurrency 2`);
    expect(stderr).not.toMatch(/\n\s+at /);
    const kept = blobNames(out);
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.length).toBeLessThan(10);
    expect(hidden(out)).toEqual([]);
    for (const c of kept) expect(cidForRaw(readFileSync(join(out, c))).toString()).toBe(c);

    const again = await runCli([...flags, 'blob', 'sync', pds.did, out, '--json']);
    expect(again.code).toBe(0);
    expect(stdoutJson<SyncJson>(again)).toMatchObject({ total: 10, skipped: kept.length, downloaded: 10 - kept.length, failed: [] });
  });

  it('blob ls: one CID per line; NDJSON rows {cid}', async () => {
    const r = await runCli([...flags, 'blob', 'ls', pds.did]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(blobs.map((b) => b.cid).sort());
    const j = await runCli([...flags, 'blob', 'ls', pds.did, '--json']);
    expect(j.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(blobs.map((b) => ({ cid: b.cid })).sort((a, b) => (a.cid < b.cid ? -1 : 1)));
    // On a terminal the listing has a header (bold when colour is on).
    const tty = await runIn([...flags, 'blob', 'ls', pds.did], { tty: { stdout: true } });
    expect(tty.stdout.trim().split('\n')).toEqual(['CID', ...blobs.map((b) => b.cid).sort()]);
    const colour = await runIn([...flags, 'blob', 'ls', pds.did], { tty: { stdout: true }, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(colour.stdout.split('\n')[0]).toBe('\u001b[1mCID\u001b[22m');
  });

  it('blob sync on a terminal: a progress bar on stderr that is cleared before the summary; a coloured mark when colour is on', async () => {
    const out = join(dir, 'tty');
    const r = await runIn([...flags, 'blob', 'sync', pds.did, out], { tty: { stdout: true, stderr: true }, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\u001b\[32m✓\u001b\[39m 10 blobs of did:plc:\S+ in .*: 10 downloaded/);
    expect(r.stderr.endsWith('\r\u001b[2K')).toBe(true);
    expect(r.stderr).toContain('syncing blobs of');
    const plain = await runIn([...flags, 'blob', 'sync', pds.did, out]);
    expect(plain.stdout).toMatch(/^✓ 10 blobs/);
    expect(plain.stderr).toBe(`syncing blobs of ${pds.did} into ${out}…\n`);
  });

  it('blob get: verified to a file (no overwrite without --force), to piped stdout, or as JSON $bytes', async () => {
    const b = blobs[3]!;
    const file = join(dir, 'got.bin');
    const r = await runCli([...flags, 'blob', 'get', pds.did, b.cid, '-o', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson(r)).toEqual({ cid: b.cid, mimeType: b.mimeType, size: b.bytes.length, path: file, verified: true });
    expect(Buffer.compare(readFileSync(file), b.bytes)).toBe(0);
    const again = await runCli([...flags, 'blob', 'get', pds.did, b.cid, '-o', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    expect((await runCli([...flags, 'blob', 'get', pds.did, b.cid, '-o', file, '--force'])).code).toBe(0);

    const piped = await runCli([...flags, 'blob', 'get', pds.did, b.cid]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(Buffer.compare(piped.io.stdoutBytes(), b.bytes)).toBe(0);
    const terminal = await runIn([...flags, 'blob', 'get', pds.did, b.cid], { tty: { stdout: true } });
    expect(terminal.code).toBe(2);
    expect(terminal.stderr).toContain('refusing to write a blob to the terminal');
    expect(terminal.stdout).toBe('');

    const j = await runCli([...flags, 'blob', 'get', pds.did, b.cid, '--json']);
    const got = stdoutJson<{ cid: string; mimeType: string; size: number; bytes: { $bytes: string } }>(j);
    expect(Buffer.compare(Buffer.from(got.bytes.$bytes, 'base64'), b.bytes)).toBe(0);
    expect(got.mimeType).toBe(b.mimeType);
  });

  it('blob get: wrong bytes exit 3 and write nothing; a missing blob exits 4; a bad CID exits 2', async () => {
    const b = blobs[2]!;
    pds.misbehave.set(b.cid, { kind: 'wrong-bytes' });
    const file = join(dir, 'never.bin');
    const r = await runCli([...flags, 'blob', 'get', pds.did, b.cid, '-o', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('do not match its CID');
    expect(existsSync(file)).toBe(false);
    pds.misbehave.set(b.cid, { kind: 'missing' });
    const nf = await runCli([...flags, 'blob', 'get', pds.did, b.cid, '-o', file, '--json']);
    expect(nf.code).toBe(4);
    expect(stderrJsonError(nf).code).toBe('BlobNotFound');
    pds.misbehave.delete(b.cid);
    for (const bad of ['nonsense', 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm']) {
      const u = await runCli([...flags, 'blob', 'get', pds.did, bad, '-o', file]);
      expect(u.code, bad).toBe(2);
      expect(u.stderr).toContain('blob CID');
    }
  });
});

describe('atcli blob compute / upload (offline parts)', () => {
  const png = new Uint8Array(5000);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const pngFile = join(dir, 'picture.dat');
  writeFileSync(pngFile, png);

  it('compute prints the blob reference JSON (MIME type detected, or --mime-type)', async () => {
    const r = await runCli(['blob', 'compute', pngFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ $type: 'blob', ref: { $link: cidForRaw(png).toString() }, mimeType: 'image/png', size: 5000 });
    const t = join(dir, 'notes.txt');
    writeFileSync(t, 'hello');
    expect(JSON.parse((await runCli(['blob', 'compute', t, '--json'])).stdout)).toMatchObject({ mimeType: 'text/plain', size: 5 });
    expect(JSON.parse((await runCli(['blob', 'compute', t, '--mime-type', 'text/markdown'])).stdout)).toMatchObject({ mimeType: 'text/markdown' });
    const bad = await runCli(['blob', 'compute', t, '--mime-type', 'markdown']);
    expect(bad.code).toBe(2);
    const missing = await runCli(['blob', 'compute', join(dir, 'absent')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: no such file "${join(dir, 'absent')}"\nhint: check the path\n`);
  });

  it('upload --dry-run prints the reference it would upload; upload needs a login', async () => {
    const dry = await runCli(['--dry-run', 'blob', 'upload', pngFile]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ ref: { $link: cidForRaw(png).toString() }, mimeType: 'image/png' });
    expect(dry.stderr).toContain('dry run');
    const r = await runCli(['blob', 'upload', pngFile, '--json']);
    expect(r.code).toBe(5);
    expect(stderrJsonError(r).code).toBe('NotLoggedIn');
  });

  it('upload sends the Content-Type, prints the PDS reference, warns when the PDS changed the MIME type, exits 3 on a wrong reference', async () => {
    const pds = await startFakeBlobPds([]);
    const env = { ATCLI_IDENTIFIER: pds.did, ATCLI_PASSWORD: 'x', ATCLI_PDS_URL: pds.url };
    const r = await runCli(['--dev', '--plc', pds.url, 'blob', 'upload', pngFile], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(pds.uploads.map((u) => u.contentType)).toEqual(['image/png']);
    expect(Buffer.compare(pds.uploads[0]!.bytes, png)).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ $type: 'blob', ref: { $link: cidForRaw(png).toString() }, mimeType: 'image/png', size: 5000 });

    const w = await runCli(['--dev', '--plc', pds.url, 'blob', 'upload', pngFile, '--mime-type', 'image/webp'], { env });
    expect(pds.uploads[1]!.contentType).toBe('image/webp');
    expect(JSON.parse(w.stdout)).toMatchObject({ mimeType: 'image/webp' });

    pds.uploadAnswer = (bytes) => ({ blob: { $type: 'blob', ref: { $link: cidForRaw(bytes).toString() }, mimeType: 'application/octet-stream', size: bytes.length } });
    const changed = await runCli(['--dev', '--plc', pds.url, 'blob', 'upload', pngFile], { env });
    expect(changed.code).toBe(0);
    expect(changed.stderr).toContain('recorded the MIME type as application/octet-stream (sent image/png)');

    pds.uploadAnswer = (bytes) => ({ blob: { $type: 'blob', ref: { $link: cidForRaw(bytes.subarray(1)).toString() }, mimeType: 'image/png', size: bytes.length } });
    const wrong = await runCli(['--dev', '--plc', pds.url, 'blob', 'upload', pngFile, '--json'], { env });
    expect(wrong.code).toBe(3);
    expect(stderrJsonError(wrong).code).toBe('BlobRefMismatch');
    expect(wrong.stdout).toBe('');
    await pds.close();
  });
});
