// Recordings as a frame source: account look-ups (keys with their history) are recorded and read
// back, so a replay verifies offline exactly as the live run did — keyRotatedSince included;
// key entries of older recordings still work; frames come with the time they were received;
// `after` skips frames up to a seq; a cut-off last entry is reported.
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import type { AccountInfo } from '../../../src/core/firehose/keys.js';
import { FirehosePipeline, type StreamOutput } from '../../../src/core/firehose/pipeline.js';
import { FrameRecorder, readRecording, recordingSource } from '../../../src/core/firehose/record.js';
import { post, tid } from '../repo/repo-builder.js';
import { TestRepo, commitBody, frame } from './commit-builder.js';

const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-06-01T00:00:00.000Z';

async function drain(p: FirehosePipeline, src: ReturnType<typeof recordingSource>): Promise<StreamOutput[]> {
  const out: StreamOutput[] = [];
  for await (const b of p.run(src)) out.push(...b);
  return out;
}

describe('recordings as a frame source', () => {
  it('a live run records its account look-ups; replaying the recording offline gives the same outputs', async () => {
    const k1 = generatePrivateKey('k256');
    const k2 = generatePrivateKey('p256');
    const repo = new TestRepo({ did: 'did:plc:recordrecordrecordrecord', key: k1 });
    const info: AccountInfo = {
      did: repo.did,
      source: 'plc',
      current: k2.publicKey.did(),
      history: [
        { key: k1.publicKey.did(), from: T0, until: T1, pds: 'https://old.example', nullified: false },
        { key: k2.publicKey.did(), from: T1, until: null, pds: 'https://new.example', nullified: false },
      ],
      pds: 'https://new.example',
      status: { active: true, status: null },
    };
    const frames = [
      frame({ op: 1, t: '#commit' }, commitBody({ ...repo.commit([{ action: 'create', path: `app.bsky.feed.post/${tid(9_000_001)}`, record: post('old key') }], { time: '2025-02-01T00:00:00.000Z' }).evt, seq: 1 })),
      frame({ op: 1, t: '#commit' }, commitBody({ ...repo.commit([{ action: 'create', path: `app.bsky.feed.post/${tid(9_000_002)}`, record: post('new key') }], { signWith: k2, time: '2025-07-01T00:00:00.000Z' }).evt, seq: 2 })),
    ];
    const path = join(mkdtempSync(join(tmpdir(), 'atcli-rec-')), 'live.fh');
    const recorder = await FrameRecorder.open(path);
    let lookups = 0;
    const live = new FirehosePipeline({
      verify: true,
      workers: 1,
      resolveAccount: async () => {
        lookups++;
        return info;
      },
      onAccount: (did, result) => recorder.account(did, result),
      // As the command does: each frame is recorded once handled, after the account entry it needed.
      onHandled: (f) => void recorder.frame(f.data, f.seq, f.receivedAt),
    });
    const liveOut: StreamOutput[] = [];
    const src = {
      async *[Symbol.asyncIterator]() {
        for (const [i, data] of frames.entries()) yield { data, receivedAt: Date.parse('2026-01-01T00:00:00Z') + i };
      },
    };
    for await (const b of live.run(src)) liveOut.push(...b);
    await recorder.close();
    expect(lookups).toBe(1);
    expect(liveOut.map((o) => o.value)).toEqual([
      expect.objectContaining({ seq: 1, verified: true, keyRotatedSince: T1 }),
      expect.objectContaining({ seq: 2, verified: true }),
    ]);

    const entries: string[] = [];
    for await (const e of readRecording(path)) entries.push(e.kind);
    expect(entries).toEqual(['account', 'frame', 'frame']);

    // Offline: the account entry seeds the pipeline; nothing is looked up.
    const replay = new FirehosePipeline({ verify: true, workers: 1, resolveAccount: async () => Promise.reject(new Error('offline')) });
    const replayed = await drain(replay, recordingSource(path, { onAccount: (did, result) => replay.primeAccount(did, result) }));
    expect(JSON.parse(JSON.stringify(replayed))).toEqual(JSON.parse(JSON.stringify(liveOut)));
    expect(replay.lookups?.lookups).toBe(0);
  });

  it('key entries, the received time, `after`; a cut-off last entry is damage after the frames before it', async () => {
    const repo = new TestRepo({ did: 'did:plc:keyentrieskeyentrieskeye' });
    const path = join(mkdtempSync(join(tmpdir(), 'atcli-rec-')), 'old.fh');
    const recorder = await FrameRecorder.open(path);
    await recorder.key(repo.did, { key: repo.key.publicKey.did() });
    const received = Date.parse('2026-02-02T00:00:00Z');
    for (let i = 1; i <= 3; i++) {
      const c = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${tid(9_100_000 + i)}`, record: post(`${i}`) }]);
      await recorder.frame(frame({ op: 1, t: '#commit' }, commitBody({ ...c.evt, seq: i })), i, received + i);
    }
    await recorder.close();
    appendFileSync(path, Buffer.from([1, 0, 0]));
    const keys: string[] = [];
    const seen: number[] = [];
    const src = recordingSource(path, { after: 1, onKey: (did, r) => keys.push(`${did} ${'key' in r ? r.key : r.error}`) });
    const read = async (): Promise<void> => {
      for await (const f of src) seen.push(f.receivedAt);
    };
    await expect(read()).rejects.toMatchObject({ code: 'CorruptRecording', kind: 'invalid' });
    expect(keys).toEqual([`${repo.did} ${repo.key.publicKey.did()}`]);
    expect(seen).toEqual([received + 2, received + 3]);
  });

  it('an account entry with a long key history (beyond the size of a key entry) reads back whole', async () => {
    const did = 'did:plc:longhistorylonghistorylong';
    const key = generatePrivateKey('k256').publicKey.did();
    const history = Array.from({ length: 1000 }, (_, i) => ({
      key,
      from: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
      until: i === 999 ? null : new Date(Date.UTC(2024, 0, 1) + (i + 1) * 60_000).toISOString(),
      pds: `https://pds${i}.example.com`,
      nullified: false,
    }));
    const info: AccountInfo = { did, source: 'plc', current: key, history, pds: 'https://pds999.example.com' };
    expect(JSON.stringify(info).length).toBeGreaterThan(64 * 1024);
    const path = join(mkdtempSync(join(tmpdir(), 'atcli-rec-')), 'long.fh');
    const recorder = await FrameRecorder.open(path);
    await recorder.account(did, { info });
    await recorder.close();
    const entries = [];
    for await (const e of readRecording(path)) entries.push(e);
    expect(entries).toEqual([{ kind: 'account', did, result: { info }, offset: 8 }]);
  });
});
