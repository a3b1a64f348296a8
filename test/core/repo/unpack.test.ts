import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { recordFileComponents } from '../../../src/core/repo/file-names.js';
import { unpackRepo } from '../../../src/core/repo/read.js';
import { buildRepo, chunks, post, tid } from './repo-builder.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atcli-unpack-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// A repository that verifies, with names no file system holds as they are.
const LONG_COLLECTION = `com.example.${Array.from({ length: 5 }, (_, i) => `part${i}${'y'.repeat(52)}`).join('.')}`;
const LONG_RKEY = `Key:${'A'.repeat(150)}~${'b'.repeat(150)}`;
const repo = buildRepo({
  records: [
    [`app.bsky.feed.post/${tid(1)}`, post('one')],
    [`${LONG_COLLECTION}/self`, { $type: LONG_COLLECTION, n: 1 }],
    [`com.example.thing/${LONG_RKEY}`, { $type: 'com.example.thing', n: 2 }],
    ['com.example.thing/abc', { $type: 'com.example.thing', n: 3 }],
    ['com.example.thing/ABC', { $type: 'com.example.thing', n: 4 }],
  ],
});
const open = () => chunks(repo.car, 1000);

async function rejection(p: Promise<unknown>): Promise<AtcliError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AtcliError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('unpackRepo', () => {
  it('writes names longer than a file name may be, with ":" and case differences, through the documented mapping', async () => {
    expect(LONG_COLLECTION.length).toBeGreaterThan(255);
    expect(LONG_RKEY.length).toBeGreaterThan(255);
    const out = join(dir, 'out');
    const result = await unpackRepo(open, out, 'test repo');
    expect(result.records).toBe(5);
    expect(result.renamed).toBe(3);
    const long = JSON.parse(readFileSync(join(out, ...recordFileComponents('com.example.thing', LONG_RKEY)), 'utf8')) as { n: number };
    expect(long.n).toBe(2);
    const upper = JSON.parse(readFileSync(join(out, ...recordFileComponents('com.example.thing', 'ABC')), 'utf8')) as { n: number };
    const lower = JSON.parse(readFileSync(join(out, 'com.example.thing', 'abc.json'), 'utf8')) as { n: number };
    expect([lower.n, upper.n]).toEqual([3, 4]);
    expect(existsSync(join(out, '_commit.json'))).toBe(true);
    expect(readdirSync(dir)).toEqual(['out']);
  });

  it('refuses output paths that cannot work as usage errors, before reading anything', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const e1 = await rejection(unpackRepo(open, file, 'test repo'));
    expect([e1.code, e1.exitCode]).toEqual(['NotADirectory', 2]);
    const e2 = await rejection(unpackRepo(open, join(file, 'under'), 'test repo'));
    expect([e2.code, e2.exitCode]).toEqual(['InvalidOutputPath', 2]);
    const e3 = await rejection(unpackRepo(open, join(file, 'deeper', 'still'), 'test repo'));
    expect([e3.code, e3.exitCode]).toEqual(['InvalidOutputPath', 2]);
    const full = join(dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'notes.txt'), 'mine');
    const e4 = await rejection(unpackRepo(open, full, 'test repo'));
    expect(e4.code).toBe('DirectoryNotEmpty');
    // Replacing is only for an earlier unpack: a folder of other things is never removed.
    const e5 = await rejection(unpackRepo(open, full, 'test repo', { replace: true }));
    expect(e5.code).toBe('DirectoryNotEmpty');
    expect(readFileSync(join(full, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('replacing an earlier unpack never writes through a symbolic link inside it', async () => {
    const out = join(dir, 'out');
    await unpackRepo(open, out, 'test repo');
    const victim = join(dir, 'victim');
    mkdirSync(victim);
    rmSync(join(out, 'app.bsky.feed.post'), { recursive: true });
    symlinkSync(victim, join(out, 'app.bsky.feed.post'));
    await unpackRepo(open, out, 'test repo', { replace: true });
    expect(readdirSync(victim)).toEqual([]);
    expect(readdirSync(join(out, 'app.bsky.feed.post'))).toEqual([`${tid(1)}.json`]);
    expect(readdirSync(dir).sort()).toEqual(['out', 'victim']);
  });

  it('leaves nothing behind when writing fails half-way', async () => {
    let calls = 0;
    const failing = (): AsyncIterable<Uint8Array> => {
      calls++;
      if (calls === 1) return chunks(repo.car, 1000);
      return (async function* () {
        yield repo.car.subarray(0, Math.floor(repo.car.length * 0.8));
        throw new AtcliError('runtime', 'ReadError', 'the disk went away');
      })();
    };
    const out = join(dir, 'out');
    const err = await rejection(unpackRepo(failing, out, 'test repo'));
    expect(err.code).toBe('ReadError');
    expect(readdirSync(dir)).toEqual([]);
  });
});
