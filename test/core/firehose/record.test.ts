import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { FrameRecorder, RECORDING_MAGIC, readRecording, type RecordingEntry } from '../../../src/core/firehose/record.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atcli-rec-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function entryBytes(kind: number, seq: number, length: number, payload: Uint8Array = new Uint8Array(length)): Buffer {
  const out = Buffer.alloc(21 + payload.length);
  out.writeUInt8(kind, 0);
  out.writeBigUInt64BE(BigInt(seq), 1);
  out.writeBigUInt64BE(1_700_000_000_000n, 9);
  out.writeUInt32BE(length, 17);
  out.set(payload, 21);
  return out;
}

async function readAll(path: string): Promise<{ entries: RecordingEntry[]; err: AtcliError | undefined }> {
  const entries: RecordingEntry[] = [];
  try {
    for await (const e of readRecording(path)) entries.push(e);
  } catch (err) {
    return { entries, err: err as AtcliError };
  }
  return { entries, err: undefined };
}

describe('FrameRecorder', () => {
  it('creates nothing until the first entry: a connection that fails leaves no file', async () => {
    const path = join(dir, 'frames.bin');
    const rec = await FrameRecorder.open(path);
    await rec.close();
    expect(existsSync(path)).toBe(false);
  });

  it('writes the magic with the first entry, and continues an existing recording', async () => {
    const path = join(dir, 'frames.bin');
    const rec = await FrameRecorder.open(path);
    await rec.session({ url: 'wss://relay.example.com/xrpc/com.atproto.sync.subscribeRepos', cursor: null });
    await rec.frame(new Uint8Array([1, 2, 3]), 7, 1_700_000_000_000);
    await rec.close();
    expect(readFileSync(path).subarray(0, 8).toString('ascii')).toBe(RECORDING_MAGIC);
    const again = await FrameRecorder.open(path);
    await again.frame('text frame', null, 1_700_000_000_001);
    await again.close();
    const { entries, err } = await readAll(path);
    expect(err).toBeUndefined();
    expect(entries.map((e) => e.kind)).toEqual(['session', 'frame', 'frame']);
  });

  it('refuses a path in a folder that does not exist, and a file that is not a recording, before connecting', async () => {
    const e1 = (await FrameRecorder.open(join(dir, 'nope', 'frames.bin')).catch((e: unknown) => e)) as AtcliError;
    expect(e1.code).toBe('RecordingUnwritable');
    writeFileSync(join(dir, 'notes.txt'), 'hello world');
    const e2 = (await FrameRecorder.open(join(dir, 'notes.txt')).catch((e: unknown) => e)) as AtcliError;
    expect(e2.code).toBe('NotARecording');
  });
});

describe('readRecording: one verdict for every kind of damage', () => {
  const good = entryBytes(1, 1, 3, new Uint8Array([0xa1, 0x61, 0x74]));

  const cases: Array<[string, Buffer, number, RegExp]> = [
    ['a truncated entry header', Buffer.concat([Buffer.from(RECORDING_MAGIC), good, entryBytes(1, 2, 0).subarray(0, 10)]), 8 + good.length, /cut off/],
    ['a truncated payload', Buffer.concat([Buffer.from(RECORDING_MAGIC), good, entryBytes(1, 2, 100).subarray(0, 60)]), 8 + good.length, /only 39 follow/],
    ['a 64 MB length claim beyond the file', Buffer.concat([Buffer.from(RECORDING_MAGIC), good, entryBytes(1, 2, 64 * 1024 * 1024, new Uint8Array(10))]), 8 + good.length, /claims 67108864 bytes/],
    ['a length beyond the frame limit', Buffer.concat([Buffer.from(RECORDING_MAGIC), good, entryBytes(1, 2, 0xffffffff, new Uint8Array(10))]), 8 + good.length, /more than an entry of kind 1/],
    ['a key entry larger than a key entry can be', Buffer.concat([Buffer.from(RECORDING_MAGIC), good, entryBytes(3, 0, 1_000_000, new Uint8Array(10))]), 8 + good.length, /kind 3/],
    ['a key entry that is not JSON', Buffer.concat([Buffer.from(RECORDING_MAGIC), good, entryBytes(3, 0, 4, Buffer.from('{{{{'))]), 8 + good.length, /key entry/],
  ];

  it.each(cases)('%s: invalid CorruptRecording at the byte offset, after the entries before it', async (_name, bytes, offset, why) => {
    const path = join(dir, 'damaged.bin');
    writeFileSync(path, bytes);
    const t0 = performance.now();
    const { entries, err } = await readAll(path);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(entries).toHaveLength(1);
    expect(err).toBeInstanceOf(AtcliError);
    expect(err?.code).toBe('CorruptRecording');
    expect(err?.exitCode).toBe(3);
    expect(err?.message).toContain(`at byte ${offset}`);
    expect(err?.message).toMatch(why);
  });

  it.each([
    ['an empty file', Buffer.alloc(0)],
    ['a wrong magic', Buffer.concat([Buffer.from('ATCLIFH9'), good])],
    ['a few bytes', Buffer.from('ATC')],
  ])('%s is invalid too (exit 3), naming byte 0', async (_name, bytes) => {
    const path = join(dir, 'other.bin');
    writeFileSync(path, bytes);
    const { err } = await readAll(path);
    expect(err?.exitCode).toBe(3);
    expect(err?.message).toContain('byte 0');
  });

  it('a missing file is a usage error', async () => {
    const { err } = await readAll(join(dir, 'missing.bin'));
    expect(err?.code).toBe('FileNotFound');
    expect(err?.exitCode).toBe(2);
  });
});
