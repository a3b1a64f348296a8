import { afterEach, describe, expect, it } from 'vitest';
import { compareRepoViews, diffAccounts, type AccountDifference } from '../../../src/core/relay/index.js';
import { XrpcClient } from '../../../src/core/xrpc/index.js';
import { baseConfig } from '../net/helpers.js';
import { fakeDid, startFakeHost, type FakeHost, type FakeRepo } from '../pds/fake-host.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const rows = (d: AccountDifference[]): string[] => d.map((r) => `${r.did} ${r.difference}`).sort();

describe('compareRepoViews', () => {
  it.each([
    [null, { active: true, rev: '3kaaaaaaaaaa2' }, 'missing'],
    [{ active: true, rev: '3kaaaaaaaaaa2' }, { active: true, rev: '3kaaaaaaaaaa2' }, 'in-sync'],
    [{ active: true, rev: '3kaaaaaaaaaa2' }, { active: true, rev: '3kbbbbbbbbbb2' }, 'behind'],
    [{ active: true, rev: '3kbbbbbbbbbb2' }, { active: true, rev: '3kaaaaaaaaaa2' }, 'ahead'],
    [{ active: true }, { active: false, status: 'deactivated' }, 'status-differs'],
    [{ active: false, status: 'takendown' }, { active: false, status: 'deactivated' }, 'status-differs'],
    [{ active: false, status: 'deactivated' }, { active: false, status: 'deactivated' }, 'in-sync'],
  ] as const)('%j against %j: %s', (mirror, source, want) => {
    expect(compareRepoViews(mirror, source)).toBe(want);
  });
});

describe('diffAccounts', () => {
  const hosts: FakeHost[] = [];
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.close()));
  });
  const host = async (repos: FakeRepo[]): Promise<XrpcClient> => {
    const h = await startFakeHost(repos);
    hosts.push(h);
    return new XrpcClient({ service: h.url, http: baseConfig() });
  };

  // 300 accounts; B lists them in the reverse order (the worst case for the window), lacks some,
  // has some of its own, lags on some and disagrees on the status of some.
  const N = 300;
  const a: FakeRepo[] = Array.from({ length: N }, (_, i) => ({ did: fakeDid(i), rev: '3kbbbbbbbbbb2' }));
  const b: FakeRepo[] = a
    .filter((_, i) => i % 50 !== 7)
    .map((r, i) => (i % 40 === 3 ? { ...r, rev: '3kaaaaaaaaaa2' } : i % 60 === 11 ? { ...r, active: false, status: 'takendown' } : { ...r }))
    .concat(Array.from({ length: 4 }, (_, i) => ({ did: fakeDid(1000 + i), rev: '3kbbbbbbbbbb2' })))
    .reverse();
  const expected = (): string[] => {
    const byDid = new Map(b.map((r) => [r.did, r]));
    const out: string[] = [];
    for (const r of a) {
      const o = byDid.get(r.did);
      if (!o) out.push(`${r.did} only-in-a`);
      else if (o.active === false) out.push(`${r.did} status`);
      else if (o.rev !== r.rev) out.push(`${r.did} rev`);
    }
    for (const r of b) if (!a.some((x) => x.did === r.did)) out.push(`${r.did} only-in-b`);
    return out.sort();
  };

  it.each([100_000, 50, 7, 1])('finds exactly the differences with a window of %i, each once', async (window) => {
    const diff = diffAccounts(await host(a), await host(b), { window, pageSize: 37 });
    const found = await collect(diff);
    expect(rows(found)).toEqual(expected());
    expect(new Set(found.map((r) => r.did)).size).toBe(found.length);
    expect(diff.summary).toMatchObject({ listedA: N, listedB: b.length, onlyInA: 6, onlyInB: 4, complete: true });
    expect(diff.summary.compared).toBe(N - 6);
    if (window >= N) expect(diff.summary.probes).toBe(10);
  });

  it('scope b asks a about each account b lists and ignores what only a has', async () => {
    const diff = diffAccounts(await host(a), await host(b), { scope: 'b', concurrency: 3 });
    const found = await collect(diff);
    expect(rows(found)).toEqual(expected().filter((r) => !r.endsWith('only-in-a')));
    expect(diff.summary.probes).toBe(b.length);
  });
});
