/**
 * Labels: reading and verifying label objects against their issuer's `#atproto_label` key, a
 * labeler's label stream (com.atproto.label.subscribeLabels) and label queries
 * (com.atproto.label.queryLabels). No printing.
 */
export {
  LABEL_VERSION,
  LabelVerifier,
  MAX_LABEL_VALUE_BYTES,
  labelSigningBytes,
  labelView,
  parseLabel,
  type KeyResolver,
  type Label,
  type LabelStatus,
  type LabelVerifierOptions,
  type LabelView,
} from './label.js';
export { labelKeyResolver, resolveLabeler, type Labeler } from './labeler.js';
export {
  MAX_LABELS_PER_MESSAGE,
  SUBSCRIBE_LABELS_PATH,
  inspectLabelFrame,
  labelOutputs,
  subscribeLabels,
  subscribeLabelsUrl,
  type LabelFailure,
  type LabelInbound,
  type LabelInfoView,
  type LabelStreamOutput,
  type SubscribeLabelsOptions,
} from './stream.js';
export { DEFAULT_MAX_LABELS, QUERY_LABELS_NSID, queryLabels, type QueryLabelsOptions, type QueryLabelsResult } from './query.js';
