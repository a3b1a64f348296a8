/**
 * Jetstream input for `firehose tail`: the JSON event stream, its filters, cursor and zstd
 * compression, mapped to the firehose pipeline's output shapes. No printing.
 */
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  JETSTREAM_SUBSCRIBE_PATH,
  MAX_QUERY_BYTES,
  MAX_WANTED_COLLECTIONS,
  MAX_WANTED_DIDS,
  inspectJetstreamMessage,
  jetstreamQuery,
  jetstreamUrl,
  refuseJetstreamVerification,
  subscribeJetstream,
  type JetstreamInbound,
  type JetstreamQuery,
  type JetstreamSubscribeOptions,
  type JetstreamSubscribeResult,
} from './client.js';
export {
  JetstreamMapper,
  JetstreamMessageError,
  parseJetstreamEvent,
  timeUsToIso,
  type JetstreamCommitView,
  type JetstreamEvent,
  type JetstreamEventView,
  type JetstreamFilterOptions,
  type JetstreamOpRow,
  type JetstreamOutput,
  type JetstreamStats,
} from './events.js';
export { DictionaryError, createZstdDecoder, parseZstdDictionary, readZstdFrameHeader, type ZstdDecoder, type ZstdDictionary, type ZstdFrameHeader } from './zstd.js';
