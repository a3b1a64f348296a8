// A slow consumer: the firehose pipeline as a whole process (bench/firehose-run.mjs over the
// core, `tail` with verification, NDJSON on stdout), fed by a loopback relay that sends as fast
// as it can, read at 100 lines per second. Back-pressure must reach the socket: the relay has to
// wait for the reader, and the process's peak RSS (read from /proc, all threads) stays under
// 300 MB (worker threads each carry their own heap, so the figure varies by machine). About 12 s; ATCLI_FIREHOSE_PERF=1 runs the 60 s version with 30,000 frames.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../../src/core/firehose/frame.js';
import { FrameRecorder } from '../../../src/core/firehose/record.js';
import { frame } from './commit-builder.js';
import { coldFixture } from './cold-cache-fixture.js';
import { TestRelay } from './test-relay.js';
import { firehoseBundle } from './worker-bundle.js';

const PERF = process.env.ATCLI_FIREHOSE_PERF === '1';
const SECONDS = PERF ? 60 : 12;
const LINES_PER_SECOND = 100;
const PAD = PERF ? 2_000 : 16_000;
const driver = fileURLToPath(new URL('../../../bench/firehose-run.mjs', import.meta.url));

function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe.skipIf(!existsSync('/proc/self/status'))('slow consumer', () => {
  it(`reading ${LINES_PER_SECOND} lines/s for ${SECONDS} s: the relay waits for the reader and peak RSS stays under 300 MB`, async () => {
    const fixture = PERF ? coldFixture(10_000, 3) : coldFixture(2_000, 2);
    const bundle = await firehoseBundle();
    // The keys, as a recording's key entries (the driver reads them before tailing).
    const keysFile = join(mkdtempSync(join(tmpdir(), 'atcli-slow-')), 'keys.fh');
    const rec = await FrameRecorder.open(keysFile);
    for (const [did, log] of fixture.auditLogs) {
      const op = (JSON.parse(log) as Array<{ operation: { verificationMethods: { atproto: string } } }>)[0]!.operation;
      await rec.key(did, { key: op.verificationMethods.atproto });
    }
    await rec.close();
    // Frames padded with an unknown field (ignored by every check) so that the stream (≈ 70 MB)
    // cannot hide in socket buffers.
    const padded = fixture.frames.map((data) => {
      const f = decodeFrame(data);
      if (f.kind !== 'message') throw new Error('fixture frame');
      return frame({ op: 1, t: f.type }, { ...f.body, padding: new Uint8Array(PAD) });
    });
    const relay = await TestRelay.start({ entries: padded.map((data, i) => ({ seq: i + 1, data })) });
    closers.push(() => relay.close());

    const child = spawn(process.execPath, [...(process.env.ATCLI_SLOW_EXEC_ARGV ? [process.env.ATCLI_SLOW_EXEC_ARGV] : []), driver, '--bundle', bundle.lib, '--worker', bundle.worker, 'tail', `ws://127.0.0.1:${relay.port}`, keysFile, '--expect', String(fixture.frames.length)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let lines = 0;
    let failures = 0;
    let partial = '';
    // A reader that takes 100 lines per second: a small buffer it drains at that pace, and the
    // pipe is not read while the buffer holds more than two hundred lines.
    let buffered = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const text = partial + d;
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      buffered += parts.length;
      failures += parts.filter((l) => l.includes('"ok":false')).length;
      if (buffered > 200) child.stdout.pause();
    });
    const reader = setInterval(() => {
      const take = Math.min(buffered, LINES_PER_SECOND / 10);
      buffered -= take;
      lines += take;
      if (buffered <= 100) child.stdout.resume();
    }, 100);
    let peakKb = 0;
    const sampler = setInterval(() => {
      const kb = rssKb(child.pid!, 'VmRSS');
      if (kb !== null) peakKb = Math.max(peakKb, kb);
    }, 100);
    // At least SECONDS of reading, and (on a loaded machine, where the process may start slowly)
    // until the reader has had a fair share of lines, within a bound.
    const started = Date.now();
    const enough = PERF ? SECONDS * LINES_PER_SECOND * 0.5 : 300;
    while (Date.now() - started < SECONDS * 1000 || (lines < enough && Date.now() - started < (SECONDS + 90) * 1000)) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const readingSeconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    clearInterval(reader);
    const hwm = rssKb(child.pid!, 'VmHWM') ?? 0;
    const sent = relay.connections[0]?.sent.length ?? 0;
    const closed = new Promise((r) => child.on('exit', r));
    child.stdout.destroy();
    child.kill('SIGKILL');
    await closed;
    const peakMB = (Math.max(peakKb, hwm) * 1024) / 1e6;
    process.stdout.write(`\n[slow consumer] ${readingSeconds.toFixed(1)} s: ${lines} lines read, ${sent} of ${fixture.frames.length} frames sent by the relay, the relay waited ${relay.waitedForDrain} times, peak RSS ${peakMB.toFixed(1)} MB\n`);

    expect(stderr).toBe('');
    expect(failures).toBe(0);
    // The reader read at its pace…
    expect(lines).toBeGreaterThan(0);
    expect(lines).toBeLessThanOrEqual(readingSeconds * LINES_PER_SECOND + 20);
    // …the relay could not send everything and had to wait: back-pressure reached the socket…
    expect(sent).toBeLessThan(fixture.frames.length);
    expect(relay.waitedForDrain).toBeGreaterThan(0);
    // …and memory stayed bounded.
    expect(peakMB).toBeLessThan(300);
  }, (SECONDS + 180) * 1000);
});
