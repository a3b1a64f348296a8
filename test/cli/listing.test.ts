// Listings of unknown length: tables of bounded size printed as they fill (the header once, on a
// terminal), TSV when piped, NDJSON with --json.
import { describe, expect, it } from 'vitest';
import { Output } from '../../src/cli/render/output.js';
import { StderrWriter } from '../../src/cli/render/stderr.js';
import { printListing } from '../../src/cli/render/listing.js';
import { ndjsonLines, testIO } from '../support/test-io.js';

async function* items(n: number): AsyncGenerator<{ name: string; n: number }> {
  for (let i = 1; i <= n; i++) yield { name: `item\t${i}`, n: i };
}

async function list(opts: { json: boolean; tty: boolean }, count: number): Promise<{ stdout: string; printed: number }> {
  const io = testIO({ tty: { stdout: opts.tty } });
  const out = new Output(io, opts.json, false, new StderrWriter(io, false, false, 0));
  const printed = await printListing(out, items(count), { header: ['name', 'n'], row: (x) => [x.name, String(x.n)], chunk: 2 });
  return { stdout: io.stdoutText(), printed };
}

describe('printListing', () => {
  it('on a terminal: aligned tables of at most `chunk` rows, the header only on the first', async () => {
    const r = await list({ json: false, tty: true }, 5);
    expect(r.printed).toBe(5);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('name'))).toHaveLength(1);
    expect(r.stdout).toBe('name    n\nitem 1  1\nitem 2  2\nitem 3  3\nitem 4  4\nitem 5  5\n');
  });

  it('piped: tab-separated rows, no header, cells cleaned of tabs', async () => {
    expect((await list({ json: false, tty: false }, 3)).stdout).toBe('item 1\t1\nitem 2\t2\nitem 3\t3\n');
  });

  it('--json: one object a line, as given; nothing for an empty listing', async () => {
    expect(ndjsonLines((await list({ json: true, tty: true }, 3)).stdout)).toEqual([1, 2, 3].map((n) => ({ name: `item\t${n}`, n })));
    expect(await list({ json: false, tty: true }, 0)).toEqual({ stdout: '', printed: 0 });
  });
});
