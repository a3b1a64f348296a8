// Listings of unknown length (a relay lists millions of accounts): NDJSON lines with --json, else
// tables of at most `chunk` rows, each printed as it fills, so memory stays bounded and a pipe sees
// rows while the listing still runs. On a terminal only the first table has the header.
import type { Output } from './output.js';

export interface ListingOptions<T> {
  header: readonly string[];
  row(item: T): readonly string[];
  /** rows per table (default 500) */
  chunk?: number;
}

/** Prints every item; returns how many there were. */
export async function printListing<T>(out: Output, items: AsyncIterable<T>, opts: ListingOptions<T>): Promise<number> {
  const chunk = opts.chunk ?? 500;
  let count = 0;
  let rows: Array<readonly string[]> = [];
  const flush = async (): Promise<void> => {
    if (rows.length === 0) return;
    const text = await out.table(rows, count === rows.length ? opts.header : undefined);
    rows = [];
    await out.text(`${text}\n`);
  };
  for await (const item of items) {
    count++;
    if (out.json) {
      await out.ndjson(item);
      continue;
    }
    rows.push(opts.row(item));
    if (rows.length >= chunk) await flush();
  }
  await flush();
  return count;
}
