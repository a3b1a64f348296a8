/**
 * A Jetstream client (docs/jetstream.md): `GET /subscribe` upgraded to a WebSocket, with
 * `wantedCollections` / `wantedDids` filters, `cursor` (microseconds) and optional zstd
 * compression, on the firehose's transport (reconnect with back-off resuming from the last
 * processed `time_us`, bounded queue, cursor file). Messages go through {@link JetstreamMapper},
 * so consumers get the firehose pipeline's output shapes with its filters applied.
 *
 * The server filters are an optimisation only: Jetstream sends identity and account events
 * whatever the filters, so every filter is applied again here; when a filter exceeds what fits in
 * the query string (100 collections, or a query over 8 KiB), it is applied here only.
 */
import { usage } from '../errors.js';
import { subscribeStream, webSocketUrl, type StreamOptions, type SubscribeResult } from '../firehose/subscriber.js';
import { JetstreamMapper, type JetstreamFilterOptions, type JetstreamOutput, type JetstreamStats } from './events.js';
import { createZstdDecoder, DictionaryError, parseZstdDictionary, type ZstdDecoder } from './zstd.js';

export const JETSTREAM_SUBSCRIBE_PATH = '/subscribe';
/** Jetstream's own limits on the filters it accepts. */
export const MAX_WANTED_COLLECTIONS = 100;
export const MAX_WANTED_DIDS = 10_000;
/** Longest query string sent; larger filters are applied on this side only. */
export const MAX_QUERY_BYTES = 8 * 1024;
/** Cap on one message, as text or decompressed (default). */
export const DEFAULT_MAX_MESSAGE_BYTES = 5_000_000;

/** The WebSocket URL of Jetstream's `/subscribe` given `wss://host`, `https://host` or the full URL. */
export function jetstreamUrl(base: string, options: { allowInsecure?: boolean } = {}): string {
  return webSocketUrl(base, JETSTREAM_SUBSCRIBE_PATH, { what: 'the Jetstream URL', ...options });
}

export interface JetstreamQuery {
  /** The query string (without `cursor`), e.g. `wantedCollections=app.bsky.feed.post&compress=true`. */
  query: string;
  /** Filters left out of the query because they are too large: applied on this side only. */
  clientOnly: Array<'collections' | 'dids'>;
}

/** The server-side filters for `filters`, within Jetstream's limits. */
export function jetstreamQuery(filters: Pick<JetstreamFilterOptions, 'collections' | 'dids'>, compress: boolean): JetstreamQuery {
  const clientOnly: JetstreamQuery['clientOnly'] = [];
  const collections = filters.collections ?? [];
  const wantedCollections = collections.includes('*') ? [] : collections;
  const params = new URLSearchParams();
  if (wantedCollections.length > MAX_WANTED_COLLECTIONS) clientOnly.push('collections');
  else for (const c of wantedCollections) params.append('wantedCollections', c);
  const dids = filters.dids ?? [];
  const withDids = new URLSearchParams(params);
  for (const d of dids) withDids.append('wantedDids', d);
  const fits = dids.length <= MAX_WANTED_DIDS && withDids.toString().length <= MAX_QUERY_BYTES;
  const chosen = fits ? withDids : params;
  if (!fits) clientOnly.push('dids');
  if (compress) chosen.set('compress', 'true');
  return { query: chosen.toString(), clientOnly };
}

/** One WebSocket message as the transport sees it. */
export type JetstreamInbound =
  | { kind: 'message'; value: unknown; timeUs: number | null; receivedAt: number }
  | { kind: 'undecodable'; reason: string; fatal: boolean; receivedAt: number };

function peekTimeUs(value: unknown): number | null {
  if (typeof value !== 'object' || value === null) return null;
  const t = (value as { time_us?: unknown }).time_us;
  return typeof t === 'number' && Number.isSafeInteger(t) && t > 0 ? t : null;
}

/** Decode one message (JSON text, or a zstd frame when `decoder` is set); never throws. */
export function inspectJetstreamMessage(data: Uint8Array | string, decoder: ZstdDecoder | null, maxBytes: number, receivedAt = Date.now()): JetstreamInbound {
  let text: string;
  if (typeof data === 'string') {
    if (data.length > maxBytes) return { kind: 'undecodable', reason: `invalid Jetstream message: ${data.length} characters, over the ${maxBytes}-byte limit`, fatal: false, receivedAt };
    text = data;
  } else {
    if (decoder === null) return { kind: 'undecodable', reason: 'invalid Jetstream message: a binary message, but compression was not requested', fatal: false, receivedAt };
    let bytes: Uint8Array;
    try {
      bytes = decoder(data);
    } catch (err) {
      return { kind: 'undecodable', reason: `invalid Jetstream message: ${(err as Error).message}`, fatal: err instanceof DictionaryError, receivedAt };
    }
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return { kind: 'undecodable', reason: 'invalid Jetstream message: the decompressed message is not UTF-8', fatal: false, receivedAt };
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'undecodable', reason: `invalid Jetstream message: not JSON (${(err as Error).message.slice(0, 120)})`, fatal: false, receivedAt };
  }
  return { kind: 'message', value, timeUs: peekTimeUs(value), receivedAt };
}

export interface JetstreamSubscribeOptions extends Omit<StreamOptions<JetstreamInbound>, 'onFrame'>, JetstreamFilterOptions {
  /** A Jetstream instance: `wss://host`, `https://host`, or the full `/subscribe` URL. */
  url: string;
  /** `ws://` to non-loopback hosts (dev mode). */
  allowInsecure?: boolean;
  /** Refused: Jetstream events carry nothing to verify. */
  verify?: boolean;
  /** Ask for zstd-compressed messages, decompressed with this dictionary (Jetstream's own). */
  zstdDictionary?: Uint8Array;
  /** Cap on one message as text or decompressed (default 5,000,000 bytes). */
  maxMessageBytes?: number;
  /** Told which filters are applied on this side only (before connecting). */
  onClientOnlyFilters?: (filters: JetstreamQuery['clientOnly']) => void;
  /** Called for each message in order with what to show (possibly nothing); return `false` to stop. */
  onOutputs: (outputs: JetstreamOutput[], message: JetstreamInbound) => Promise<boolean | void> | boolean | void;
}

export interface JetstreamSubscribeResult extends SubscribeResult {
  stats: JetstreamStats;
}

/** Refuse a verification request: Jetstream has no signatures, commit blocks or proofs. */
export function refuseJetstreamVerification(): never {
  throw usage('JetstreamCannotVerify', 'Jetstream events carry no signatures, commit blocks or MST proofs, so they cannot be verified', {
    hint: 'to verify, tail a relay or PDS firehose (com.atproto.sync.subscribeRepos) instead of Jetstream',
  });
}

/**
 * Subscribe to Jetstream until `onOutputs` returns `false` (`stopped`) or `signal` aborts
 * (`aborted`). Throws usage 'JetstreamCannotVerify' when verification is asked for,
 * 'InvalidZstdDictionary', usage 'ZstdDictionaryMismatch' when compressed messages name another
 * dictionary (or need one and none was given), runtime 'JetstreamUnreachable' when the first
 * connection cannot be opened, and the transport's cursor-file errors.
 */
export async function subscribeJetstream(options: JetstreamSubscribeOptions): Promise<JetstreamSubscribeResult> {
  if (options.verify === true) refuseJetstreamVerification();
  const url = jetstreamUrl(options.url, { allowInsecure: options.allowInsecure === true });
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const dictionary = options.zstdDictionary !== undefined ? parseZstdDictionary(options.zstdDictionary) : null;
  const decoder = dictionary !== null ? await createZstdDecoder(dictionary, maxMessageBytes) : null;
  const { query, clientOnly } = jetstreamQuery(options, decoder !== null);
  if (clientOnly.length > 0) options.onClientOnlyFilters?.(clientOnly);
  const mapper = new JetstreamMapper(options);
  const result = await subscribeStream<JetstreamInbound>(
    {
      ...options,
      maxFrameBytes: options.maxFrameBytes ?? maxMessageBytes,
      onFrame: (item) => {
        if (item.kind === 'undecodable' && item.fatal) {
          throw usage('ZstdDictionaryMismatch', item.reason.replace(/^invalid Jetstream message: /, ''), {
            hint: "Jetstream compresses with the dictionary from its own repository (pkg/models/zstd_dictionary); give that file, or do not ask for compression",
          });
        }
        const outputs = item.kind === 'message' ? mapper.process(item.value) : mapper.undecodable(item.reason);
        return options.onOutputs(outputs, item);
      },
    },
    {
      url,
      connectUrl: (cursor) => {
        const q = cursor === null ? query : query === '' ? `cursor=${cursor}` : `${query}&cursor=${cursor}`;
        return q === '' ? url : `${url}?${q}`;
      },
      inspect: (data, receivedAt) => inspectJetstreamMessage(data, decoder, maxMessageBytes, receivedAt),
      positionOf: (m) => (m.kind === 'message' ? m.timeUs : null),
      errorOf: () => null,
      // A message that cannot be read is reported and skipped: its time is unknown, so a
      // reconnect could not get past it.
      invalidOf: () => null,
      inclusive: true,
      unreachable: { code: 'JetstreamUnreachable', hint: 'check the Jetstream URL (e.g. wss://jetstream2.us-east.bsky.network), the network, and that the host serves /subscribe' },
    },
  );
  return { ...result, stats: { ...mapper.stats } };
}
