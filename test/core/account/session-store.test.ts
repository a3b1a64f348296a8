import { chmod, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSessionStore } from '../../../src/core/account/session-store.js';
import { AtcliError } from '../../../src/core/errors.js';
import type { SessionData } from '../../../src/core/xrpc/index.js';

const posix = process.platform !== 'win32';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atcli-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sample: SessionData = {
  did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
  handle: 'alice.test',
  pds: 'https://pds.example.com',
  accessJwt: 'aaa.bbb.ccc',
  refreshJwt: 'ddd.eee.fff',
  email: 'alice@example.com',
  obtainedAt: '2025-01-01T00:00:00.000Z',
};

describe('FileSessionStore', () => {
  it('writes <configDir>/sessions/<profile>.json with mode 0600 in a 0700 dir and reads it back', async () => {
    const cfg = join(dir, 'atcli');
    const store = new FileSessionStore(cfg);
    expect(store.path('work')).toBe(join(cfg, 'sessions', 'work.json'));
    await store.write('work', sample);
    expect(await store.read('work')).toEqual(sample);
    if (posix) {
      expect((await stat(store.path('work'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(cfg, 'sessions'))).mode & 0o777).toBe(0o700);
    }
    const info = await store.readWithInfo('work');
    expect(info?.insecure).toBe(false);
  });

  it('never stores fields outside the session (no password)', async () => {
    const store = new FileSessionStore(dir);
    await store.write('default', { ...sample, password: 'hunter2' } as SessionData);
    const text = await readFile(store.path('default'), 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('password');
  });

  it('overwrites atomically: readers never see a partial file, no temp files remain', async () => {
    const store = new FileSessionStore(dir);
    await store.write('default', sample);
    const big = { ...sample, accessJwt: 'x'.repeat(200_000) };
    let reads = 0;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const s = await store.read('default');
        expect(s?.did).toBe(sample.did);
        reads++;
      }
    })();
    for (let i = 0; i < 30; i++) await store.write('default', i % 2 ? sample : big);
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(await readdir(join(dir, 'sessions'))).toEqual(['default.json']);
    if (posix) expect((await stat(store.path('default'))).mode & 0o777).toBe(0o600);
  });

  it('flags a group/world-readable file', async () => {
    if (!posix) return;
    const store = new FileSessionStore(dir);
    await store.write('default', sample);
    await chmod(store.path('default'), 0o644);
    const info = await store.readWithInfo('default');
    expect(info?.insecure).toBe(true);
    expect(info?.mode).toBe(0o644);
    // a rewrite restores 0600
    await store.write('default', sample);
    expect((await store.readWithInfo('default'))?.insecure).toBe(false);
  });

  it('missing → null; remove and list', async () => {
    const store = new FileSessionStore(dir);
    expect(await store.read('nope')).toBeNull();
    expect(await store.list()).toEqual([]);
    await store.write('b', sample);
    await store.write('a.work', sample);
    await writeFile(join(dir, 'sessions', 'notes.txt'), 'x');
    expect(await store.list()).toEqual(['a.work', 'b']);
    expect(await store.remove('b')).toBe(true);
    expect(await store.remove('b')).toBe(false);
    expect(await store.list()).toEqual(['a.work']);
  });

  it.each(['', '../evil', 'a/b', 'a b', 'x'.repeat(65), '.', '..', 'ü'])('rejects profile name %j', async (name) => {
    const store = new FileSessionStore(dir);
    let err: unknown;
    try {
      await store.read(name);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AtcliError);
    expect((err as AtcliError).kind).toBe('usage');
    expect((err as AtcliError).code).toBe('InvalidProfile');
  });

  it('a corrupt file is a clear error', async () => {
    const store = new FileSessionStore(dir);
    await mkdir(join(dir, 'sessions'), { recursive: true });
    await writeFile(store.path('default'), '{"did": "did:plc:x"');
    const e = await store.read('default').catch((x: unknown) => x);
    expect((e as AtcliError).code).toBe('SessionFileInvalid');
    await writeFile(store.path('default'), '{"did": "did:plc:x"}');
    const e2 = await store.read('default').catch((x: unknown) => x);
    expect((e2 as AtcliError).code).toBe('SessionFileInvalid');
    expect((e2 as AtcliError).hint).toBe('log in again to replace it');
  });
});

describe('FileSessionStore.lock', () => {
  it('is exclusive across store instances', async () => {
    const a = new FileSessionStore(dir);
    const b = new FileSessionStore(dir);
    const order: string[] = [];
    const releaseA = await a.lock('default');
    order.push('a locked');
    const pb = b.lock('default').then((rel) => {
      order.push('b locked');
      return rel;
    });
    await new Promise((r) => setTimeout(r, 100));
    order.push('a releasing');
    await releaseA();
    const releaseB = await pb;
    await releaseB();
    expect(order).toEqual(['a locked', 'a releasing', 'b locked']);
    expect(await readdir(join(dir, 'sessions'))).toEqual([]);
  });

  it('takes over a stale lock', async () => {
    const store = new FileSessionStore(dir, { staleLockMs: 1000 });
    await mkdir(join(dir, 'sessions'), { recursive: true });
    const lockPath = `${store.path('default')}.lock`;
    await writeFile(lockPath, '99999 dead\n');
    const old = new Date(Date.now() - 5000);
    await utimes(lockPath, old, old);
    const t0 = Date.now();
    const release = await store.lock('default');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await readFile(lockPath, 'utf8')).toContain(String(process.pid));
    await release();
    await expect(stat(lockPath)).rejects.toThrow();
  });

  it('a lock held longer than the stale timeout is kept fresh and not taken over', async () => {
    const a = new FileSessionStore(dir, { staleLockMs: 300 });
    const b = new FileSessionStore(dir, { staleLockMs: 300, lockWaitMs: 5000 });
    const releaseA = await a.lock('default');
    let bGot = false;
    const pb = b.lock('default').then((rel) => {
      bGot = true;
      return rel;
    });
    await new Promise((r) => setTimeout(r, 900));
    expect(bGot).toBe(false);
    await releaseA();
    await (await pb)();
    expect(bGot).toBe(true);
  });

  it('gives up after the wait limit with a hint', async () => {
    const store = new FileSessionStore(dir, { staleLockMs: 60_000, lockWaitMs: 200 });
    const release = await store.lock('default');
    const e = await store.lock('default').catch((x: unknown) => x);
    expect((e as AtcliError).code).toBe('SessionLocked');
    await release();
  });

  it('release does not remove a lock that was taken over by someone else', async () => {
    const store = new FileSessionStore(dir);
    const release = await store.lock('default');
    const lockPath = `${store.path('default')}.lock`;
    await writeFile(lockPath, 'someone else\n');
    await release();
    expect(await readFile(lockPath, 'utf8')).toBe('someone else\n');
  });
});
