#!/usr/bin/env node
// atcli's firehose pipeline as a whole process, the way `atcli firehose replay|tail --verify --json`
// runs it: frames in (a recording, or a WebSocket), NDJSON out on stdout. It calls atcli's core
// (src/core/firehose, bundled by esbuild with its worker entry) directly, because the command
// layer is being rebuilt; what it does is what the command does: keys from the recording,
// `FirehosePipeline.run`, one JSON line per output, written with back-pressure.
//
//   node bench/firehose-run.mjs --bundle <atcli-firehose.mjs> --worker <firehose-worker.js> replay <file.fh> [--workers N]
//   node bench/firehose-run.mjs --bundle … --worker … tail <ws-url> <file.fh> --expect <frames> [--workers N]
//
// tail reads the keys from the recording (the relay serves frames only) and stops after
// --expect frames. At the end one JSON line of statistics goes to stderr (or --stats <file>).
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const [mode, source, keyFile] = positional;
const lib = await import(pathToFileURL(opt('--bundle')).href);
const workerUrl = pathToFileURL(opt('--worker'));
const workers = opt('--workers') !== undefined ? Number(opt('--workers')) : undefined;
const expect = opt('--expect') !== undefined ? Number(opt('--expect')) : undefined;

// The keys the recording holds, by DID (as did:key strings: the worker threads parse them).
const keys = new Map();
const account = (did) => ({ did, source: 'given', current: keys.get(did), history: null, pds: null });
const pipeline = new lib.FirehosePipeline({
  verify: true,
  resolveAccount: async (did) => {
    if (!keys.has(did)) throw new Error(`no key recorded for ${did}`);
    return account(did);
  },
  workerUrl,
  ...(workers !== undefined ? { workers } : {}),
});
const onKey = (did, result) => {
  if (!('key' in result)) return;
  keys.set(did, result.key);
  pipeline.primeAccount(did, { info: account(did) });
};

let frames;
let subscription;
if (mode === 'replay') {
  frames = lib.recordingSource(source, { onKey });
} else if (mode === 'tail') {
  for await (const e of lib.readRecording(keyFile)) if (e.kind === 'key' && e.key !== null) onKey(e.did, { key: e.key });
  subscription = lib.subscribeFrames({ url: source, cursor: 0 });
  frames = subscription;
} else {
  console.error('usage: firehose-run.mjs --bundle b --worker w replay <file> | tail <url> <file> --expect n');
  process.exit(2);
}

const started = performance.now();
const cpu0 = process.cpuUsage();
let lines = 0;
let failures = 0;
let pending = '';
const flush = async () => {
  if (pending === '') return;
  const chunk = pending;
  pending = '';
  if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
};
for await (const batch of pipeline.run(frames)) {
  for (const o of batch) {
    if (o.kind === 'failure') failures++;
    pending += `${JSON.stringify(o.value)}\n`;
    lines++;
  }
  if (pending.length > 1 << 16) await flush();
  if (expect !== undefined && pipeline.stats.frames >= expect) break;
}
await flush();
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
const stats = {
  mode,
  frames: pipeline.stats.frames,
  lines,
  failures,
  ms,
  cpuMs: (cpu.user + cpu.system) / 1000,
  maxRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
  fastK256OnMainThread: lib.fastK256Enabled(),
  pipeline: pipeline.stats,
};
const out = `${JSON.stringify(stats)}\n`;
if (opt('--stats')) writeFileSync(opt('--stats'), out);
else process.stderr.write(out);
