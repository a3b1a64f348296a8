/**
 * `com.atproto.label.subscribeLabels`: a labeler's label stream, on the firehose's transport
 * (same framing — a DAG-CBOR header and body per binary message — with `#labels {seq, labels}`
 * and `#info {name, message}` messages, `cursor`, `FutureCursor`; reconnects resume after the last
 * processed seq). Each label is checked with a {@link LabelVerifier}; outputs are plain objects.
 */
import { decodeStreamFrame, DEFAULT_MAX_FRAME_BYTES, FrameError, type StreamFrame } from '../firehose/frame.js';
import { peekSeq, subscribeStream, webSocketUrl, type StreamOptions, type SubscribeResult } from '../firehose/subscriber.js';
import { MAX_SEQ_EXCLUSIVE } from '../firehose/events.js';
import { LabelVerifier, type LabelView } from './label.js';

export const SUBSCRIBE_LABELS_PATH = '/xrpc/com.atproto.label.subscribeLabels';
const LABEL_MESSAGE_TYPES: ReadonlySet<string> = new Set(['#labels', '#info']);
/** Labels read from one message; the rest are reported as a count. */
export const MAX_LABELS_PER_MESSAGE = 10_000;

export type LabelInbound =
  | { kind: 'frame'; frame: StreamFrame; seq: number | null; receivedAt: number }
  | { kind: 'invalid'; error: FrameError; seq: number | null; receivedAt: number };

export interface LabelInfoView {
  type: 'info';
  name: string;
  message: string | null;
}

export interface LabelFailure {
  seq: number | null;
  ok: false;
  reasons: string[];
}

export type LabelStreamOutput = { kind: 'label'; value: LabelView } | { kind: 'info'; value: LabelInfoView } | { kind: 'failure'; value: LabelFailure };

/** The WebSocket URL of a labeler's subscribeLabels, from its service URL or the full endpoint. */
export function subscribeLabelsUrl(base: string, options: { allowInsecure?: boolean } = {}): string {
  return webSocketUrl(base, SUBSCRIBE_LABELS_PATH, { what: 'the labeler URL', ...options });
}

const seqOf = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v < MAX_SEQ_EXCLUSIVE ? v : null);

/** Decode one label-stream message; never throws for bad input. */
export function inspectLabelFrame(data: Uint8Array | string, options: { maxFrameBytes?: number; receivedAt?: number } = {}): LabelInbound {
  const receivedAt = options.receivedAt ?? Date.now();
  try {
    const frame = decodeStreamFrame(data, LABEL_MESSAGE_TYPES, { maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
    const seq = frame.kind === 'message' && frame.type === '#labels' ? seqOf(frame.body.seq) : null;
    return { kind: 'frame', frame, seq, receivedAt };
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    return { kind: 'invalid', error: err, seq: typeof data === 'string' ? null : peekSeq(data), receivedAt };
  }
}

/** The outputs of one message: a line per label, an info line, or a failure. */
export async function labelOutputs(item: LabelInbound, verifier: LabelVerifier): Promise<LabelStreamOutput[]> {
  if (item.kind === 'invalid') return [{ kind: 'failure', value: { seq: item.seq, ok: false, reasons: [item.error.message] } }];
  const frame = item.frame;
  if (frame.kind !== 'message') return [];
  const body = frame.body;
  if (frame.type === '#info') {
    if (typeof body.name !== 'string') return [{ kind: 'failure', value: { seq: null, ok: false, reasons: ['invalid #info message: "name" is not a string'] } }];
    return [{ kind: 'info', value: { type: 'info', name: body.name, message: typeof body.message === 'string' ? body.message : null } }];
  }
  if (item.seq === null) return [{ kind: 'failure', value: { seq: null, ok: false, reasons: ['invalid #labels message: "seq" is not a positive integer below 2^53'] } }];
  if (!Array.isArray(body.labels)) return [{ kind: 'failure', value: { seq: item.seq, ok: false, reasons: ['invalid #labels message: "labels" is not an array'] } }];
  const out: LabelStreamOutput[] = [];
  for (const value of body.labels.slice(0, MAX_LABELS_PER_MESSAGE)) out.push({ kind: 'label', value: await verifier.check(value, item.seq) });
  if (body.labels.length > MAX_LABELS_PER_MESSAGE) {
    out.push({ kind: 'failure', value: { seq: item.seq, ok: false, reasons: [`the message holds ${body.labels.length} labels; ${body.labels.length - MAX_LABELS_PER_MESSAGE} beyond the first ${MAX_LABELS_PER_MESSAGE} were not read`] } });
  }
  return out;
}

export interface SubscribeLabelsOptions extends Omit<StreamOptions<LabelInbound>, 'onFrame'> {
  /** The labeler's service URL (from its DID document) or the full subscribeLabels URL. */
  url: string;
  /** `ws://` to non-loopback hosts (dev mode). */
  allowInsecure?: boolean;
  verifier: LabelVerifier;
  /** Called for each message in order with its outputs (possibly none); return `false` to stop. */
  onOutputs: (outputs: LabelStreamOutput[], message: LabelInbound) => Promise<boolean | void> | boolean | void;
}

/**
 * Subscribe to a labeler's labels until `onOutputs` returns `false` or `signal` aborts. Throws
 * runtime 'FutureCursor', runtime 'LabelerUnreachable' when the first connection cannot be opened,
 * the transport's cursor-file errors, or what `onOutputs` throws.
 */
export async function subscribeLabels(options: SubscribeLabelsOptions): Promise<SubscribeResult> {
  const url = subscribeLabelsUrl(options.url, { allowInsecure: options.allowInsecure === true });
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  return subscribeStream<LabelInbound>(
    { ...options, onFrame: async (item) => options.onOutputs(await labelOutputs(item, options.verifier), item) },
    {
      url,
      connectUrl: (cursor) => (cursor === null ? url : `${url}?cursor=${cursor}`),
      inspect: (data, receivedAt) => inspectLabelFrame(data, { maxFrameBytes, receivedAt }),
      positionOf: (m) => m.seq,
      errorOf: (m) => (m.kind === 'frame' && m.frame.kind === 'error' ? { error: m.frame.error, message: m.frame.message } : null),
      invalidOf: (m) => (m.kind === 'invalid' ? m.error.message : null),
      unreachable: { code: 'LabelerUnreachable', hint: 'check the labeler (its DID document names its service URL), the network, and that it serves com.atproto.label.subscribeLabels' },
    },
  );
}
