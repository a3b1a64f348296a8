// `atcli blob` against the real local PDS: an account with 24 blobs (some over 1 MB, several MIME
// types) referenced by records; sync, resume after SIGINT and SIGKILL, corruption, get, upload,
// compute. In-process, except the runs that are killed (processes of their own).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { uploadBlob, xrpc, type BlobRef, type TestNetwork } from '../network/client.js';
import { BIN, cliEnv, expectNoStack, stdoutJson, tempDir, type CliResult } from '../cli/run-cli.js';
import { runIn, type InProcessResult } from '../support/test-io.js';
import { applyWrites, devFlags, expiredAccessToken, network, networkInfo, newAccount, routeTo, type TestAccount, type Write } from './helpers.js';
import { cidForRaw } from '../../src/core/codec/index.js';

const COLLECTION = 'com.example.blobtest.file';

/** atcli in this process with its own config folder (a fresh one unless given). */
async function runCli(args: string[], opts: { configDir?: string; env?: Record<string, string> } = {}): Promise<CliResult & { io: InProcessResult['io'] }> {
  const r = await runIn(args, { env: { ...opts.env, ATCLI_CONFIG_DIR: opts.configDir ?? tempDir('atcli-config-') } });
  return { code: r.code, signal: null, stdout: r.stdout, stderr: r.stderr, io: r.io };
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

/** Bytes of `size` with the magic of `mime` up front (so the PDS's sniffing agrees), the rest pseudo-random. */
function content(seed: number, size: number, mime: string): Uint8Array {
  const out = new Uint8Array(size);
  let x = (seed * 2654435761) >>> 0 || 7;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  const head: Record<string, number[]> = {
    'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    'image/jpeg': [0xff, 0xd8, 0xff, 0xe0],
    'image/gif': [...Buffer.from('GIF89a')],
  };
  if (mime === 'application/json') return Buffer.from(JSON.stringify({ seed, pad: 'x'.repeat(Math.max(0, size - 30)) }).slice(0, size).padEnd(size, ' '));
  if (mime === 'text/plain') return Buffer.from(`line ${seed}\n`.repeat(Math.ceil(size / 10)).slice(0, size));
  out.set((head[mime] ?? []).slice(0, size));
  return out;
}

const blobFiles = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((n) => !n.endsWith('.json') && !n.startsWith('.')).sort() : []);
const hidden = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((n) => n.startsWith('.')) : []);

/** A TCP proxy to the PDS that delivers responses at `bytesPerSecond` per connection. */
async function slowProxy(port: number, bytesPerSecond: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      upstream.pause();
      client.write(chunk);
      setTimeout(() => upstream.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(!networkInfo)('atcli blob against the local PDS', () => {
  let net: TestNetwork;
  let alice: TestAccount;
  let flags: string[];
  let refs: BlobRef[];
  const bytesByCid = new Map<string, Uint8Array>();
  const dir = tempDir('atcli-blob-e2e-');
  let proxy: { port: number; close(): Promise<void> } | undefined;

  beforeAll(async () => {
    net = await network();
    alice = await newAccount(net, 'blobs');
    flags = [...devFlags(net), ...routeTo(alice.handle, net.pds.a.port)];
    const mimes = ['image/png', 'image/jpeg', 'image/gif', 'application/json', 'text/plain', 'application/octet-stream'];
    const sizes = [1, 100, 1_000, 4_096, 10_000, 33_333, 65_536, 100_000, 150_000, 250_000, 400_000, 512_000, 700_000, 900_000, 999_999, 1_100_000, 1_300_000, 1_600_000, 2_000_000, 2_500_000, 3_000_000, 200, 20_000, 1_048_577];
    refs = [];
    for (const [i, size] of sizes.entries()) {
      const mime = mimes[i % mimes.length]!;
      const bytes = content(i + 1, size, mime);
      const ref = await uploadBlob(alice.pdsUrl, alice.accessJwt, bytes, mime);
      expect(ref.ref.$link).toBe(cidForRaw(bytes).toString());
      bytesByCid.set(ref.ref.$link, bytes);
      refs.push(ref);
    }
    const writes: Write[] = refs.map((file, i) => ({
      $type: 'com.atproto.repo.applyWrites#create',
      collection: COLLECTION,
      value: { $type: COLLECTION, name: `file ${i}`, file, createdAt: new Date().toISOString() },
    }));
    await applyWrites(alice, writes);
  }, 180_000);

  afterAll(async () => {
    await proxy?.close();
  });

  const sync = (out: string, extra: string[] = []) => runCli([...flags, 'blob', 'sync', alice.did, out, '--json', ...extra]);

  it('the account holds ≥ 20 blobs of varied sizes (some over 1 MB) and MIME types; blob ls lists exactly them', async () => {
    expect(refs.length).toBeGreaterThanOrEqual(20);
    expect(refs.filter((r) => r.size > 1024 * 1024).length).toBeGreaterThanOrEqual(5);
    expect(new Set(refs.map((r) => r.mimeType)).size).toBeGreaterThanOrEqual(5);
    const r = await runCli([...flags, 'blob', 'ls', alice.did, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const listed = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { cid: string }).cid).sort();
    expect(listed).toEqual([...bytesByCid.keys()].sort());
    const human = await runCli([...flags, 'blob', 'ls', alice.handle]);
    expect(human.stdout.trim().split('\n').sort()).toEqual(listed);
  });

  it('blob sync downloads every blob with verified CIDs and MIME types kept; a second run downloads nothing; a corrupted file is fetched again', async () => {
    const out = join(dir, 'full');
    const r = await sync(out);
    expect(r.code, r.stderr).toBe(0);
    const total = refs.reduce((s, x) => s + x.size, 0);
    expect(stdoutJson<SyncJson>(r)).toEqual({ did: alice.did, dir: out, total: refs.length, downloaded: refs.length, skipped: 0, failed: [], bytes: total });
    expect(blobFiles(out)).toEqual(refs.map((x) => x.ref.$link).sort());
    for (const ref of refs) {
      const onDisk = readFileSync(join(out, ref.ref.$link));
      expect(cidForRaw(onDisk).toString()).toBe(ref.ref.$link);
      expect(Buffer.compare(onDisk, bytesByCid.get(ref.ref.$link)!)).toBe(0);
      expect(JSON.parse(readFileSync(join(out, `${ref.ref.$link}.json`), 'utf8'))).toEqual({ mimeType: ref.mimeType, size: ref.size });
    }

    const again = await sync(out);
    expect(again.code).toBe(0);
    expect(stdoutJson<SyncJson>(again)).toMatchObject({ total: refs.length, downloaded: 0, skipped: refs.length, bytes: 0, failed: [] });

    const victim = refs.find((x) => x.size > 1024 * 1024)!;
    const path = join(out, victim.ref.$link);
    const damaged = readFileSync(path);
    damaged[damaged.length >> 1] = damaged[damaged.length >> 1]! ^ 0x01;
    writeFileSync(path, damaged);
    const repaired = await sync(out);
    expect(stdoutJson<SyncJson>(repaired)).toMatchObject({ downloaded: 1, skipped: refs.length - 1, bytes: victim.size, failed: [] });
    expect(cidForRaw(readFileSync(path)).toString()).toBe(victim.ref.$link);
  }, 120_000);

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`an interrupted sync (${signal} mid-way) leaves only verified blobs under CID names, and running again finishes`, async () => {
      proxy ??= await slowProxy(net.pds.a.port, 4 * 1024 * 1024);
      const out = join(dir, `killed-${signal}`);
      const slow = ['--connect-to', `localhost:${net.pds.a.port}:127.0.0.1:${proxy.port}`];
      const child = spawn(process.execPath, [BIN, ...flags, ...slow, 'blob', 'sync', alice.did, out, '--concurrency', '1'], { env: cliEnv() });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdout.resume();
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
      const deadline = Date.now() + 30_000;
      while (blobFiles(out).length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      child.kill(signal);
      const end = await exited;
      const kept = blobFiles(out);
      expect(kept.length, stderr).toBeGreaterThanOrEqual(4);
      expect(kept.length, 'the sync finished before it was interrupted').toBeLessThan(refs.length);
      for (const c of kept) {
        expect(cidForRaw(readFileSync(join(out, c))).toString()).toBe(c);
        expect(existsSync(join(out, `${c}.json`))).toBe(true);
      }
      if (signal === 'SIGINT') {
        expect(end.code, stderr).toBe(130);
        expect(stderr).toContain(`resume with: atcli blob sync ${alice.did} ${out} --concurrency 1`);
        expect(hidden(out)).toEqual([]);
        expectNoStack({ code: end.code, signal: null, stdout: '', stderr });
      } else {
        expect(end.signal).toBe('SIGKILL');
      }

      const resumed = await sync(out);
      expect(resumed.code, resumed.stderr).toBe(0);
      const res = stdoutJson<SyncJson>(resumed);
      expect(res).toMatchObject({ total: refs.length, failed: [] });
      expect(res.skipped).toBeGreaterThanOrEqual(kept.length);
      expect(res.skipped + res.downloaded).toBe(refs.length);
      expect(res.downloaded).toBeGreaterThan(0);
      expect(blobFiles(out)).toEqual(refs.map((x) => x.ref.$link).sort());
      for (const ref of refs) expect(cidForRaw(readFileSync(join(out, ref.ref.$link))).toString()).toBe(ref.ref.$link);
      expect(hidden(out)).toEqual([]);
    }, 120_000);
  }

  it('blob get writes a verified blob to a file or piped stdout', async () => {
    const ref = refs.find((x) => x.size > 1024 * 1024)!;
    const file = join(dir, 'one.bin');
    const r = await runCli([...flags, 'blob', 'get', alice.handle, ref.ref.$link, '-o', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(stdoutJson(r)).toEqual({ cid: ref.ref.$link, mimeType: ref.mimeType, size: ref.size, path: file, verified: true });
    expect(Buffer.compare(readFileSync(file), bytesByCid.get(ref.ref.$link)!)).toBe(0);
    const piped = await runCli([...flags, 'blob', 'get', alice.did, ref.ref.$link]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(Buffer.compare(piped.io.stdoutBytes(), bytesByCid.get(ref.ref.$link)!)).toBe(0);
    const missing = await runCli([...flags, 'blob', 'get', alice.did, cidForRaw(new Uint8Array([1, 2, 3, 4])).toString(), '-o', join(dir, 'none.bin')]);
    expect(missing.code).toBe(4);
  });

  it('blob upload keeps the MIME type (the PDS serves it back) and blob compute equals what the PDS computes', async () => {
    const bob = await newAccount(net, 'blobup');
    const env = { ATCLI_IDENTIFIER: bob.did, ATCLI_PASSWORD: bob.password, ATCLI_PDS_URL: bob.pdsUrl };
    const file = join(dir, 'upload.gif');
    const bytes = content(77, 1_234_567, 'image/gif');
    writeFileSync(file, bytes);

    const computed = await runCli(['blob', 'compute', file]);
    expect(computed.code, computed.stderr).toBe(0);
    const local = JSON.parse(computed.stdout) as BlobRef;
    expect(local).toEqual({ $type: 'blob', ref: { $link: cidForRaw(bytes).toString() }, mimeType: 'image/gif', size: bytes.length });

    const up = await runCli([...devFlags(net), 'blob', 'upload', file], { env });
    expect(up.code, up.stderr).toBe(0);
    const ref = JSON.parse(up.stdout) as BlobRef;
    expect(ref).toEqual(local);

    // What the PDS computes for the same bytes (a plain upload by the test client).
    const server = await uploadBlob(bob.pdsUrl, bob.accessJwt, bytes, 'image/gif');
    expect(server).toEqual(local);

    // Referenced from a record, the blob is served with the MIME type it was uploaded with.
    await applyWrites(bob, [{ $type: 'com.atproto.repo.applyWrites#create', collection: COLLECTION, value: { $type: COLLECTION, file: ref, createdAt: new Date().toISOString() } }]);
    const res = await fetch(`${bob.pdsUrl}/xrpc/com.atproto.sync.getBlob?did=${encodeURIComponent(bob.did)}&cid=${ref.ref.$link}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), bytes)).toBe(0);

    // An explicit --mime-type is what the PDS records.
    const json = join(dir, 'data.bin');
    writeFileSync(json, '{"hello":"world"}');
    const typed = await runCli([...devFlags(net), 'blob', 'upload', json, '--mime-type', 'application/json'], { env });
    expect(typed.code, typed.stderr).toBe(0);
    expect(JSON.parse(typed.stdout)).toMatchObject({ mimeType: 'application/json', size: 17 });
    const listed = await xrpc<{ cids: string[] }>(bob.pdsUrl, 'com.atproto.sync.listBlobs', { params: { did: bob.did } });
    expect(listed.cids).toContain(ref.ref.$link);
  });

  it('blob upload with a stored login whose access token has expired refreshes it and succeeds', async () => {
    const carol = await newAccount(net, 'blobexp');
    const configDir = tempDir('atcli-blob-login-');
    const cflags = [...devFlags(net), ...routeTo(carol.handle, net.pds.a.port)];
    const login = await runCli([...cflags, 'account', 'login', '-u', carol.handle, '--pds', carol.pdsUrl], { configDir, env: { ATCLI_PASSWORD: carol.password } });
    expect(login.code, login.stderr).toBe(0);
    const sessionFile = join(configDir, 'sessions', 'default.json');
    const stored = JSON.parse(readFileSync(sessionFile, 'utf8')) as { accessJwt: string };
    const expired = expiredAccessToken(stored.accessJwt, net.jwtSecret);
    writeFileSync(sessionFile, JSON.stringify({ ...stored, accessJwt: expired }), { mode: 0o600 });
    const file = join(dir, 'after-expiry.txt');
    writeFileSync(file, 'uploaded after the access token expired\n');
    const up = await runCli([...cflags, 'blob', 'upload', file], { configDir });
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ mimeType: 'text/plain', size: 40 });
    // The expired token was replaced (a refresh within the login's second may reissue the same token).
    expect((JSON.parse(readFileSync(sessionFile, 'utf8')) as { accessJwt: string }).accessJwt).not.toBe(expired);
  });
});
