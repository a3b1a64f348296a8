/**
 * `com.atproto.label.queryLabels`: labels matching URI patterns (a full URI, or a prefix ending in
 * `*`), optionally from given sources, page by page until the labeler returns no cursor, an empty
 * page or the same cursor again, or the cap is reached. Each label is checked with a
 * {@link LabelVerifier}.
 */
import type { HttpConfig } from '../net/http.js';
import { XrpcClient } from '../xrpc/client.js';
import { usage } from '../errors.js';
import type { LabelVerifier, LabelView } from './label.js';

export const QUERY_LABELS_NSID = 'com.atproto.label.queryLabels';
/** Labels collected at most (default); the rest are left for the next cursor. */
export const DEFAULT_MAX_LABELS = 10_000;

export interface QueryLabelsOptions {
  /** The labeler's service URL. */
  service: string;
  http: HttpConfig;
  /** At least one; `*` alone matches every label. */
  uriPatterns: readonly string[];
  sources?: readonly string[];
  /** Page size, 1–250 (default 50). */
  limit?: number;
  /** Resume from a cursor a previous query returned. */
  cursor?: string;
  /** Stop after this many labels (default 10,000); `cursor` then says where to go on. */
  maxLabels?: number;
  verifier: LabelVerifier;
  /** Told after each page. */
  onPage?: (page: { labels: number; total: number; cursor: string | null }) => void;
}

export interface QueryLabelsResult {
  labels: LabelView[];
  /** Where the next query would go on; null when the labeler said there is no more. */
  cursor: string | null;
  pages: number;
  /** True when `maxLabels` stopped the query before the end. */
  truncated: boolean;
  counts: { valid: number; invalid: number; unchecked: number };
}

interface Page {
  cursor?: unknown;
  labels?: unknown;
}

/** Query a labeler's labels (all pages, up to the cap). Throws usage 'InvalidQuery' and the XRPC client's errors. */
export async function queryLabels(options: QueryLabelsOptions): Promise<QueryLabelsResult> {
  if (options.uriPatterns.length === 0) throw usage('InvalidQuery', 'queryLabels needs at least one URI pattern ("*" for all labels)');
  for (const p of options.uriPatterns) {
    const star = p.indexOf('*');
    if (star !== -1 && star !== p.length - 1) throw usage('InvalidQuery', `URI pattern ${JSON.stringify(p.slice(0, 200))}: "*" may only end a pattern`);
  }
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 250) throw usage('InvalidQuery', `the page size must be 1–250, got ${limit}`);
  const maxLabels = options.maxLabels ?? DEFAULT_MAX_LABELS;
  const client = new XrpcClient({ service: options.service, http: options.http });
  const labels: LabelView[] = [];
  const counts = { valid: 0, invalid: 0, unchecked: 0 };
  let cursor: string | null = options.cursor ?? null;
  let pages = 0;
  let truncated = false;
  const seen = new Set<string>(cursor !== null ? [cursor] : []);
  for (;;) {
    const page = await client.query<Page>(QUERY_LABELS_NSID, {
      uriPatterns: [...options.uriPatterns],
      ...(options.sources && options.sources.length > 0 ? { sources: [...options.sources] } : {}),
      limit: Math.min(limit, maxLabels - labels.length),
      ...(cursor !== null ? { cursor } : {}),
    });
    pages++;
    const items = Array.isArray(page.labels) ? page.labels : [];
    for (const item of items.slice(0, maxLabels - labels.length)) {
      const view = await options.verifier.checkJson(item, null);
      counts[view.status]++;
      labels.push(view);
    }
    const next = typeof page.cursor === 'string' && page.cursor !== '' ? page.cursor : null;
    options.onPage?.({ labels: items.length, total: labels.length, cursor: next });
    // Some labelers answer the last page with a cursor that starts over ("0"): stop at an empty
    // page, a missing cursor, or a cursor already used.
    if (items.length === 0 || next === null || seen.has(next)) {
      cursor = null;
      break;
    }
    seen.add(next);
    cursor = next;
    if (labels.length >= maxLabels) {
      truncated = true;
      break;
    }
  }
  return { labels, cursor, pages, truncated, counts };
}
