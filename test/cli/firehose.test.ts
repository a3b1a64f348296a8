// `atcli firehose tail|replay` as users run it: the built binary against the loopback test relay
// (test/core/firehose/test-relay.ts). Keys resolve for real: the relay also serves the DID
// document of did:web:localhost%3APORT, which atcli fetches in --dev mode — no test-only flags.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../src/core/crypto/index.js';
import { Chalk } from 'chalk';
import type { PipelineOutput } from '../../src/core/firehose/pipeline.js';
import { renderOutputs as render } from '../../src/cli/cmd/firehose/render.js';
import { FirehosePipeline } from '../../src/core/firehose/pipeline.js';
import { inspectFrame } from '../../src/core/firehose/subscriber.js';
import { post, tid } from '../core/repo/repo-builder.js';
import { TestRepo, commitBody, frame } from '../core/firehose/commit-builder.js';
import { TestRelay, doctoredStream, type DoctoredStream, type RelayEntry } from '../core/firehose/test-relay.js';
import { BIN, cliEnv, expectNoStack, runCli, stderrJsonError, tempDir, type CliResult } from './run-cli.js';

type Line = Record<string, unknown>;

function ndjson(result: CliResult): Line[] {
  return result.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Line;
      } catch {
        throw new Error(`not NDJSON: ${l}\nstderr: ${result.stderr}`);
      }
    });
}

/** A relay whose entries are n valid commits of one account (did:web on the relay), seq 1..n. */
async function commitRelay(n: number, options: ConstructorParameters<typeof TestRelay>[0] = {}): Promise<{ relay: TestRelay; repo: TestRepo }> {
  const relay = await TestRelay.start(options);
  const key = generatePrivateKey('k256');
  const repo = new TestRepo({ did: relay.did, key });
  relay.didDocument = relay.didDocumentFor(key.publicKey.did());
  const entries: RelayEntry[] = [];
  for (let s = 1; s <= n; s++) {
    const c = repo.commit([{ action: 'create', path: `app.bsky.feed.post/${tid(9_000_000 + s)}`, record: post(`post ${s}`) }]);
    entries.push({ seq: s, data: frame({ op: 1, t: '#commit' }, commitBody({ ...c.evt, seq: s })) });
  }
  relay.entries = entries;
  return { relay, repo };
}

const relays: TestRelay[] = [];
afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()));
});

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('firehose tail against the loopback test relay', () => {
  let relay: TestRelay;
  let stream: DoctoredStream;
  let flags: string[];

  beforeAll(async () => {
    relay = await TestRelay.start();
    relays.push(relay);
    const key = generatePrivateKey('k256');
    stream = doctoredStream({ did: relay.did, key });
    relay.entries = stream.entries;
    relay.didDocument = relay.didDocumentFor(key.publicKey.did());
    flags = ['--dev', '--relay', relay.url];
  });

  it('--verify: every doctored frame is a {seq, did, ok: false, reasons} line naming the reason; the stream goes on; stats on stderr', async () => {
    const r = await runCli([...flags, 'firehose', 'tail', '--cursor', '0', '--verify', '--json', '--limit', String(stream.frames)], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const lines = ndjson(r);
    expect(lines).toHaveLength(stream.expected.length);
    lines.forEach((line, i) => {
      const e = stream.expected[i]!;
      if (e.ok) {
        expect(line, JSON.stringify(line)).toMatchObject({ seq: e.seq, type: e.type, did: relay.did });
        if (e.type === 'commit' || e.type === 'sync') expect(line.verified).toBe(true);
        if (e.ops) expect((line.ops as Line[]).map((o) => `${o.op} ${o.collection}/${o.rkey}`)).toEqual(e.ops);
      } else {
        expect(line).toMatchObject({ seq: e.seq, ok: false });
        expect(Object.keys(line).sort()).toEqual(['did', 'ok', 'reasons', 'seq', 'type']);
        expect((line.reasons as string[]).join('\n')).toMatch(e.reason!);
      }
    });
    const last = stream.expected.at(-1)!.seq;
    expect(r.stderr).toMatch(new RegExp(`\\d+ events .*\\d+(\\.\\d)?/s, 8 verification failures, last seq ${last}; resume with --cursor ${last}`));
    expect(r.stderr).toMatch(/invalid frame: .*; reconnecting in [\d.]+ s after \d+/);
    expectNoStack(r);
  }, 40_000);

  it('prints NDJSON when stdout is not a terminal, even without --json; --ops gives one line per op with its record', async () => {
    const r = await runCli([...flags, 'firehose', 'tail', '--cursor', '0', '--ops', '-c', 'app.bsky.feed.post', '--limit', '3'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const lines = ndjson(r);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) {
      if (l.ok === false) continue;
      expect(l).toMatchObject({ type: 'commit', did: relay.did, collection: 'app.bsky.feed.post' });
      expect(Object.keys(l)).toEqual(expect.arrayContaining(['seq', 'time', 'rev', 'op', 'collection', 'rkey', 'cid', 'record']));
    }
    expect(lines[0]).toMatchObject({ op: 'create', record: { $type: 'app.bsky.feed.post', text: 'first' } });
  }, 30_000);

  it('--record then replay (offline: the relay is gone) reproduces the same NDJSON', async () => {
    const dir = tempDir('atcli-fh-rec-');
    const file = join(dir, 'stream.fh');
    const own = await TestRelay.start();
    relays.push(own);
    const key = generatePrivateKey('k256');
    const s = doctoredStream({ did: own.did, key });
    own.entries = s.entries;
    own.didDocument = own.didDocumentFor(key.publicKey.did());
    const live = await runCli(['--dev', '--relay', own.url, 'firehose', 'tail', '--cursor', '0', '--verify', '--json', '--limit', String(s.frames), '--record', file], { timeoutMs: 30_000 });
    expect(live.code, live.stderr).toBe(0);
    await own.close();
    relays.splice(relays.indexOf(own), 1);
    const replay = await runCli(['--dev', 'firehose', 'replay', file, '--verify', '--json'], { timeoutMs: 30_000 });
    expect(replay.stdout).toBe(live.stdout);
    expect(replay.code).toBe(3);
    expect(replay.stderr).toMatch(/replayed: .*8 verification failures/);
    // Same flags, filters included.
    const liveFiltered = ndjson(live).filter((l) => l.type === 'commit' && l.ok !== false);
    const filtered = await runCli(['firehose', 'replay', file, '--verify', '--json', '--events', 'commit'], { timeoutMs: 30_000 });
    expect(ndjson(filtered).filter((l) => l.ok !== false)).toEqual(liveFiltered);
    const limited = await runCli(['firehose', 'replay', file, '--json', '--limit', '2', '--cursor', '1']);
    expect(ndjson(limited).map((l) => l.seq)).toEqual([2, 3]);
  }, 60_000);

  it('FutureCursor exits 1 with a hint; the cursor is not reset', async () => {
    const r = await runCli([...flags, 'firehose', 'tail', '--cursor', '999999', '--json']);
    expect(r.code).toBe(1);
    const err = stderrJsonError(r);
    expect(err.code).toBe('FutureCursor');
    expect(err.message).toMatch(/999999 is in the future/);
    expect(err.hint).toMatch(/--cursor/);
    expectNoStack(r);
  });

  it.each([
    [['--events', 'commit,labels'], 'InvalidEvents'],
    [['--cursor', '-1'], 'InvalidFlag'],
    [['--limit', '0'], 'InvalidFlag'],
    [['-c', 'not an nsid'], 'InvalidNsid'],
    [['--did', 'alice.test'], 'InvalidDid'],
  ])('bad flags %j are usage errors', async (extra, code) => {
    const r = await runCli([...flags, 'firehose', 'tail', ...extra, '--json']);
    expect(r.code).toBe(2);
    expect(stderrJsonError(r).code).toBe(code);
  });

  it('refuses ws:// to a non-loopback host without --dev; a missing recording is a usage error', async () => {
    const r = await runCli(['--relay', 'http://relay.example.com', 'firehose', 'tail', '--json']);
    expect(r.code).toBe(2);
    expect(stderrJsonError(r).code).toBe('InsecureUrl');
    const m = await runCli(['firehose', 'replay', join(tempDir(), 'nope.fh')]);
    expect(m.code).toBe(2);
  });
});

describe('reconnects and cursors', () => {
  it('the relay closes the connection mid-stream: atcli reconnects and resumes with no gap and no duplicate seq', async () => {
    const { relay } = await commitRelay(40, { dropAfter: [7, 13, 4] });
    relays.push(relay);
    const r = await runCli(['--dev', '--relay', relay.url, 'firehose', 'tail', '--cursor', '0', '--verify', '--json', '--limit', '40'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const lines = ndjson(r);
    expect(lines.map((l) => l.seq)).toEqual(range(1, 40));
    expect(lines.every((l) => l.verified === true)).toBe(true);
    expect(relay.connections.map((c) => c.cursor)).toEqual([0, 7, 19, 22]);
    expect(r.stderr.match(/connection closed .*; reconnecting in/g)).toHaveLength(3);
  }, 30_000);

  it('--cursor-file survives a restart of atcli', async () => {
    const { relay } = await commitRelay(30);
    relays.push(relay);
    const dir = tempDir('atcli-fh-cursor-');
    const cursorFile = join(dir, 'cursor.json');
    const base = ['--dev', '--relay', relay.url, 'firehose', 'tail', '--verify', '--json', '--cursor-file', cursorFile];
    const first = await runCli([...base, '--cursor', '0', '--limit', '10']);
    expect(first.code, first.stderr).toBe(0);
    expect(ndjson(first).map((l) => l.seq)).toEqual(range(1, 10));
    expect(JSON.parse(readFileSync(cursorFile, 'utf8'))).toMatchObject({ seq: 10 });
    const second = await runCli([...base, '--limit', '10']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/resuming after 10 \(cursor file\)/);
    // The chain of a new process starts fresh: its first commit verifies on its own.
    expect(ndjson(second).map((l) => [l.seq, l.verified])).toEqual(range(11, 20).map((s) => [s, true]));
    expect(relay.connections.map((c) => c.cursor)).toEqual([0, 10]);
    expect(JSON.parse(readFileSync(cursorFile, 'utf8'))).toMatchObject({ seq: 20 });
  }, 30_000);

  it('Ctrl-C saves the cursor, prints the last seq to resume from, and exits 130', async () => {
    const { relay } = await commitRelay(5);
    relays.push(relay);
    const dir = tempDir('atcli-fh-int-');
    const cursorFile = join(dir, 'cursor.json');
    const child = spawn(process.execPath, [BIN, '--dev', '--relay', relay.url, 'firehose', 'tail', '--cursor', '0', '--json', '--cursor-file', cursorFile], {
      env: cliEnv({}, dir),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const fiveLines = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.split('\n').filter((l) => l !== '').length >= 5) resolve();
      });
    });
    await Promise.race([fiveLines, exited.then((code) => Promise.reject(new Error(`atcli exited early (${code}): ${stderr}`)))]);
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: 5 events .* last seq 5; resume with --cursor 5/);
    expect(existsSync(cursorFile) && JSON.parse(readFileSync(cursorFile, 'utf8'))).toMatchObject({ seq: 5 });
  }, 30_000);
});

describe('human output (stdout is a terminal)', () => {
  it('one readable line per event; --ops one line per op; failures as ✗ lines', async () => {
    const repo = new TestRepo();
    const c = repo.commit([
      { action: 'create', path: `app.bsky.feed.post/${tid(4_242_424)}`, record: post('hello') },
      { action: 'update', path: repo.paths('app.bsky.feed.post')[0]!, record: post('edited') },
    ]);
    const f = frame({ op: 1, t: '#commit' }, commitBody(c.evt));
    const ctx = { json: false };
    const renderOutputs = (o: { json: boolean }, outputs: PipelineOutput[]): string => render(new Chalk({ level: 0 }), o.json, outputs);
    const events = await new FirehosePipeline({}).process(inspectFrame(f));
    expect(renderOutputs(ctx, events)).toBe(`${c.evt.seq} commit   ${repo.did} ${c.evt.rev} +app.bsky.feed.post/${tid(4_242_424)} ~${repo.paths('app.bsky.feed.post')[0]}\n`);
    const ops = await new FirehosePipeline({ ops: true }).process(inspectFrame(f));
    const text = renderOutputs(ctx, ops);
    expect(text.split('\n').filter((l) => l !== '')).toHaveLength(2);
    expect(text).toContain(`${c.evt.seq} +create  ${repo.did} app.bsky.feed.post/${tid(4_242_424)} ${c.records[0]!.cid.toString()} {"text":"hello","$type":"app.bsky.feed.post"`);
    const bad = await new FirehosePipeline({}).process(inspectFrame('text'));
    expect(renderOutputs(ctx, bad)).toMatch(/^✗ - frame: invalid frame: text message/);
    const identity = await new FirehosePipeline({}).process(inspectFrame(frame({ op: 1, t: '#identity' }, { seq: 3, did: repo.did, time: '2024-06-01T12:00:00.000Z', handle: 'alice.test' })));
    expect(renderOutputs(ctx, identity)).toBe(`3 identity ${repo.did} alice.test\n`);
    expect(renderOutputs({ ...ctx, json: true }, identity)).toBe(`{"seq":3,"type":"identity","did":"${repo.did}","time":"2024-06-01T12:00:00.000Z","handle":"alice.test"}\n`);
  });
});
