import { afterEach, describe, expect, it } from 'vitest';
import { countRepos, listRepos, matchesStatus, parseHostedRepo } from '../../../src/core/pds/index.js';
import { XrpcClient } from '../../../src/core/xrpc/index.js';
import { baseConfig } from '../net/helpers.js';
import { fakeDid, startFakeHost, type FakeHost } from './fake-host.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('listRepos entries', () => {
  it('keeps what the lexicon defines and refuses what is unusable', () => {
    expect(parseHostedRepo({ did: fakeDid(1), head: 'bafyx', rev: '3kaaaaaaaaaa2', active: false, status: 'takendown' })).toEqual({ did: fakeDid(1), head: 'bafyx', rev: '3kaaaaaaaaaa2', active: false, status: 'takendown' });
    expect(parseHostedRepo({ did: fakeDid(1), head: 'bafyx', rev: '' })).toEqual({ did: fakeDid(1), head: 'bafyx', active: true });
    expect(parseHostedRepo({ did: 'not a did', head: 'x', rev: '3kaaaaaaaaaa2' })).toMatch(/no valid "did"/);
    expect(parseHostedRepo({ did: fakeDid(1), rev: 'not-a-tid' })).toMatch(/not a TID/);
    expect(parseHostedRepo('x')).toMatch(/not an object/);
  });

  it.each([
    [{ active: true }, 'active', true],
    [{ active: true }, 'inactive', false],
    [{ active: false, status: 'deactivated' }, 'inactive', true],
    [{ active: false, status: 'deactivated' }, 'deactivated', true],
    [{ active: false, status: 'deactivated' }, 'takendown', false],
    [{ active: true }, undefined, true],
  ])('%j matches %s: %s', (repo, filter, want) => {
    expect(matchesStatus(repo as { active: boolean; status?: string }, filter)).toBe(want);
  });
});

describe('listRepos paging against a host', () => {
  let host: FakeHost | undefined;
  afterEach(async () => host?.close());

  it('reads every page, skips malformed entries (telling about them) and filters by status', async () => {
    const repos = [
      ...Array.from({ length: 7 }, (_, i) => ({ did: fakeDid(i) })),
      { did: 'garbage' },
      { did: fakeDid(50), active: false, status: 'deactivated' },
      { did: fakeDid(51), active: false, status: 'takendown' },
    ];
    host = await startFakeHost(repos, { pageSize: 3 });
    const client = new XrpcClient({ service: host.url, http: baseConfig() });
    const malformed: string[] = [];
    const all = await collect(listRepos(client, { onMalformed: (r) => malformed.push(r) }));
    expect(all).toHaveLength(9);
    expect(malformed).toHaveLength(1);
    expect(host.calls['com.atproto.sync.listRepos']).toBe(4);
    expect((await collect(listRepos(client, { status: 'inactive' }))).map((r) => r.did)).toEqual([fakeDid(50), fakeDid(51)]);
    expect(await countRepos(client)).toEqual({ total: 9, active: 7, inactive: { deactivated: 1, takendown: 1 }, malformed: 1 });
  });

  it('stops when a host sends the same cursor again', async () => {
    host = await startFakeHost([{ did: fakeDid(1) }, { did: fakeDid(2) }], { pageSize: 1, loopCursor: true });
    const client = new XrpcClient({ service: host.url, http: baseConfig() });
    const all = await collect(listRepos(client));
    expect(all.length).toBeLessThanOrEqual(2);
    expect(host.calls['com.atproto.sync.listRepos']).toBeLessThanOrEqual(2);
  });

  it('a host inventing endless inactive reasons does not grow the count without bound', async () => {
    host = await startFakeHost(Array.from({ length: 80 }, (_, i) => ({ did: fakeDid(i), active: false, status: `reason-${i}` })), { pageSize: 1000 });
    const count = await countRepos(new XrpcClient({ service: host.url, http: baseConfig() }));
    expect(Object.keys(count.inactive).length).toBeLessThanOrEqual(51);
    expect(count.inactive['other']).toBe(30);
  });
});
