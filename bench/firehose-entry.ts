// What bench/firehose-run.mjs uses of atcli's core, bundled (with the worker entry) by
// bench/firehose.mjs and by the tests (test/core/firehose/worker-bundle.ts).
export { FirehosePipeline } from '../src/core/firehose/pipeline.js';
export { readRecording, recordingSource } from '../src/core/firehose/record.js';
export { subscribeFrames } from '../src/core/firehose/subscriber.js';
export { fastK256Enabled, parseDidKey } from '../src/core/crypto/index.js';
