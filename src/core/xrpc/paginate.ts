/**
 * Cursor paging of list queries (`{<list>: [...], cursor?}`), the shape of listRepos, listHosts,
 * getInviteCodes, listMissingBlobs and friends. Stops at an empty page, a missing cursor, or a
 * cursor the server already sent (a server that loops its cursor cannot keep us forever).
 */
import { runtime } from '../errors.js';
import type { XrpcClient, XrpcParams } from './client.js';

/** Every page's list, one page at a time (nothing beyond the current page is kept). */
export async function* paginate(client: XrpcClient, nsid: string, listKey: string, params: XrpcParams = {}): AsyncGenerator<unknown[], void, undefined> {
  let cursor: string | undefined;
  for (;;) {
    const page = await client.query<unknown>(nsid, { ...params, cursor });
    const list = typeof page === 'object' && page !== null ? (page as Record<string, unknown>)[listKey] : undefined;
    if (!Array.isArray(list)) {
      throw runtime('InvalidResponse', `${nsid}: ${new URL(client.service).host} answered without a "${listKey}" list`, { details: { nsid } });
    }
    yield list;
    const next = (page as { cursor?: unknown }).cursor;
    if (list.length === 0 || typeof next !== 'string' || next === '' || next === cursor) return;
    cursor = next;
  }
}
