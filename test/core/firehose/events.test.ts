// Typed event parsing.
import { describe, expect, it } from 'vitest';
import { cidForCbor, encodeCbor, type CborMap } from '../../../src/core/codec/index.js';
import {
  EventError,
  checkCommitOps,
  decodeFrame,
  parseEvent,
  type FirehoseEventType,
  type RepoOp,
} from '../../../src/core/firehose/index.js';
import { TestRepo, commitBody, frame } from './commit-builder.js';
import { post } from '../repo/repo-builder.js';

const did = 'did:plc:w4xbfzo7kqfes5zb7r6qv3rw';
const time = '2024-06-01T12:00:00.000Z';
const cidA = cidForCbor(encodeCbor({ a: 1 }));
const cidB = cidForCbor(encodeCbor({ b: 2 }));

/** Through the wire: encode a frame, decode it, parse the body. */
function viaWire(t: FirehoseEventType, body: CborMap) {
  const f = decodeFrame(frame({ op: 1, t }, body));
  if (f.kind !== 'message') throw new Error(`unexpected frame ${f.kind}`);
  return parseEvent(f.type, f.body);
}

function eventError(fn: () => unknown): EventError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EventError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('#commit', () => {
  const repo = new TestRepo();
  const built = repo.commit([{ action: 'create', path: 'app.bsky.feed.post/3kaaaaaaaaaa2', record: post('hi') }]);
  const body = commitBody(built.evt);

  it('parses a wire #commit', () => {
    const evt = viaWire('#commit', body);
    expect(evt).toMatchObject({ type: '#commit', seq: built.evt.seq, repo: repo.did, rev: built.evt.rev, since: built.evt.since, tooBig: false, rebase: false, time, warnings: [] });
    if (evt.type !== '#commit') throw new Error('type');
    expect(evt.commit.equals(built.evt.commit)).toBe(true);
    expect(evt.prevData?.equals(built.prevData)).toBe(true);
    expect(evt.ops).toHaveLength(1);
    expect(evt.ops[0]).toMatchObject({ action: 'create', path: 'app.bsky.feed.post/3kaaaaaaaaaa2', prev: null });
    expect(Buffer.from(evt.blocks).equals(Buffer.from(built.evt.blocks))).toBe(true);
  });

  it('E9: seq must be a positive integer below 2^53', () => {
    expect(viaWire('#commit', { ...body, seq: 2 ** 53 - 1 })).toMatchObject({ seq: 2 ** 53 - 1 });
    for (const seq of [2 ** 53, 2 ** 60, 0, -5]) {
      const err = eventError(() => viaWire('#commit', { ...body, seq }));
      expect(err.message).toMatch(/"seq"/);
      expect(err.did).toBe(repo.did);
    }
    expect(eventError(() => viaWire('#commit', { ...body, seq: '5' })).message).toMatch(/"seq" is string/);
  });

  it('E11: blocks over 2,000,000 bytes and more than 200 ops are refused', () => {
    const big = eventError(() => parseEvent('#commit', { ...body, blocks: new Uint8Array(2_000_001) }));
    expect(big.message).toMatch(/2000001 bytes, over the 2000000-byte limit/);
    expect(big.seq).toBe(built.evt.seq);
    expect(big.did).toBe(repo.did);
    expect(parseEvent('#commit', { ...body, blocks: new Uint8Array(2_000_000) }).type).toBe('#commit');
    const op = { action: 'create', path: 'app.bsky.feed.post/3kaaaaaaaaaa2', cid: cidA };
    expect(eventError(() => parseEvent('#commit', { ...body, ops: Array.from({ length: 201 }, () => op) })).message).toMatch(/201 ops, over the limit of 200/);
    expect(parseEvent('#commit', { ...body, ops: Array.from({ length: 200 }, () => op) }).type).toBe('#commit');
  });

  it('refuses missing or mistyped required fields, naming them', () => {
    const cases: Array<[string, CborMap, RegExp]> = [
      ['repo', { ...body, repo: 'not-a-did' }, /"repo" is not a valid DID/],
      ['commit', { ...body, commit: 'bafy' }, /"commit" is string/],
      ['rev', { ...body, rev: 'nope' }, /"rev" "nope" is not a valid TID/],
      ['blocks', { ...body, blocks: 'x' }, /"blocks" is string/],
      ['ops', { ...body, ops: {} }, /"ops" is a map, not an array/],
      ['op action', { ...body, ops: [{ path: 'a/b', cid: null }] }, /op 0 "action"/],
      ['op cid', { ...body, ops: [{ action: 'create', path: 'a/b', cid: 'x' }] }, /op 0 \(a\/b\) "cid"/],
      ['time', { ...body, time: 5 }, /"time" is number/],
      ['tooBig', { ...body, tooBig: 'no' }, /"tooBig" is string/],
      ['prevData', { ...body, prevData: 'x' }, /"prevData" is string/],
    ];
    for (const [name, b, re] of cases) expect(eventError(() => parseEvent('#commit', b)).message, name).toMatch(re);
    const noRepo: CborMap = { ...body };
    delete noRepo.repo;
    expect(eventError(() => parseEvent('#commit', noRepo)).message).toMatch(/"repo" is missing/);
  });

  it('keeps soft problems as warnings: $type, bad time, missing since/tooBig/rebase, delete without a cid key', () => {
    const b: CborMap = { ...body, $type: 'com.atproto.sync.subscribeRepos#commit', time: 'yesterday', ops: [{ action: 'delete', path: 'a.b.c/d', prev: cidA }] };
    delete b.since;
    delete b.tooBig;
    delete b.rebase;
    const evt = parseEvent('#commit', b);
    if (evt.type !== '#commit') throw new Error('type');
    expect(evt.since).toBeNull();
    expect(evt.tooBig).toBe(false);
    expect(evt.ops[0]).toMatchObject({ action: 'delete', cid: null });
    expect(evt.warnings.join('\n')).toMatch(/\$type/);
    expect(evt.warnings.join('\n')).toMatch(/"time" "yesterday" is not a valid datetime/);
    expect(evt.warnings.join('\n')).toMatch(/"since" is missing/);
    expect(evt.warnings.join('\n')).toMatch(/"tooBig" is missing/);
    expect(evt.warnings.join('\n')).toMatch(/no "cid" key/);
  });

  it('a legacy event without prevData parses with prevData null; unknown fields are ignored', () => {
    const b: CborMap = { ...body, future: { x: 1 } };
    delete b.prevData;
    const evt = parseEvent('#commit', b);
    expect(evt).toMatchObject({ type: '#commit', prevData: null });
  });
});

describe('#sync, #identity, #account, #info', () => {
  it('#sync parses; E23: blocks over 10,000 bytes is refused', () => {
    const repo = new TestRepo({ records: [] });
    const { evt } = repo.sync();
    const wire = { seq: evt.seq, did: evt.did, blocks: evt.blocks, rev: evt.rev, time };
    expect(viaWire('#sync', wire)).toMatchObject({ type: '#sync', seq: evt.seq, did: repo.did, rev: evt.rev });
    expect(eventError(() => parseEvent('#sync', { ...wire, blocks: new Uint8Array(10_001) })).message).toMatch(/10001 bytes, over the 10000-byte limit/);
  });

  it('#identity parses with and without a handle; a bad handle is only a warning', () => {
    expect(viaWire('#identity', { seq: 5, did, time, handle: 'alice.test' })).toEqual({ type: '#identity', seq: 5, did, time, handle: 'alice.test', warnings: [] });
    expect(viaWire('#identity', { seq: 5, did, time })).toMatchObject({ handle: null });
    expect(viaWire('#identity', { seq: 5, did, time, handle: 'handle.invalid' })).toMatchObject({ handle: 'handle.invalid', warnings: [] });
    const bad = viaWire('#identity', { seq: 5, did, time, handle: 'not a handle' });
    expect(bad.warnings[0]).toMatch(/not a valid handle/);
  });

  it('#account: known and unknown statuses are accepted (E24), active is required', () => {
    expect(viaWire('#account', { seq: 6, did, time, active: false, status: 'throttled' })).toEqual({ type: '#account', seq: 6, did, time, active: false, status: 'throttled', warnings: [] });
    const novel = viaWire('#account', { seq: 7, did, time, active: false, status: 'hibernating' });
    expect(novel).toMatchObject({ active: false, status: 'hibernating' });
    expect(novel.warnings[0]).toMatch(/unknown account status "hibernating"/);
    expect(viaWire('#account', { seq: 8, did, time, active: true })).toMatchObject({ active: true, status: null });
    expect(eventError(() => parseEvent('#account', { seq: 9, did, time })).message).toMatch(/"active" is missing/);
  });

  it('#info is not sequenced', () => {
    expect(viaWire('#info', { name: 'OutdatedCursor', message: 'too old' })).toEqual({ type: '#info', name: 'OutdatedCursor', message: 'too old', warnings: [] });
    expect(eventError(() => parseEvent('#info', { message: 'x' })).message).toMatch(/"name" is missing/);
  });

  it('errors carry seq and did for reporting', () => {
    const err = eventError(() => parseEvent('#identity', { seq: 11, did, time: 7 }));
    expect(err).toMatchObject({ code: 'InvalidEvent', eventType: '#identity', seq: 11, did });
    expect(err.message).toMatch(/invalid #identity event \(seq 11\)/);
  });
});

describe('checkCommitOps (F15, E16, E17)', () => {
  const op = (o: Partial<RepoOp>): RepoOp => ({ action: 'create', path: 'app.bsky.feed.post/3kaaaaaaaaaa2', cid: cidA, prev: null, ...o });

  it('accepts well-formed create, update and delete ops', () => {
    const ops = [
      op({}),
      op({ action: 'update', path: 'app.bsky.actor.profile/self', cid: cidA, prev: cidB }),
      op({ action: 'delete', path: 'app.bsky.feed.like/3kaaaaaaaaab2', cid: null, prev: cidB }),
    ];
    expect(checkCommitOps(ops)).toEqual({ problems: [], warnings: [] });
  });

  it.each<[string, RepoOp[], RegExp]>([
    ['E16 delete with cid set', [op({ action: 'delete', cid: cidA, prev: cidB })], /op delete app\.bsky\.feed\.post\/3kaaaaaaaaaa2: cid is set/],
    ['E16 create with prev', [op({ prev: cidB })], /op create .*: has prev/],
    ['E16 update with cid == prev', [op({ action: 'update', cid: cidA, prev: cidA })], /op update .*: cid equals prev/],
    ['create with cid null', [op({ cid: null })], /op create .*: cid is null/],
    ['update with cid null', [op({ action: 'update', cid: null, prev: cidA })], /op update .*: cid is null/],
    ['E17 duplicate path', [op({}), op({ action: 'delete', cid: null, prev: cidA })], /duplicate path/],
    ['unknown action', [op({ action: 'upsert' })], /unknown action "upsert"/],
    ['bad collection', [op({ path: 'notansid/3kaaaaaaaaaa2' })], /collection is not a valid NSID/],
    ['bad rkey', [op({ path: 'app.bsky.feed.post/..' })], /rkey is not valid/],
    ['three segments', [op({ path: 'app.bsky.feed.post/a/b' })], /not <collection>\/<rkey>/],
    ['no slash', [op({ path: 'app.bsky.feed.post' })], /not <collection>\/<rkey>/],
    ['1025-byte path', [op({ path: 'a.b.c/' + 'x'.repeat(1019) })], /1025 bytes/],
  ])('rejects %s', (_name, ops, re) => {
    const { problems } = checkCommitOps(ops);
    expect(problems.join('\n')).toMatch(re);
  });

  it('a legacy update/delete without prev is a problem in strict mode, a warning in lenient mode', () => {
    const ops = [op({ action: 'delete', cid: null, prev: null })];
    expect(checkCommitOps(ops).problems[0]).toMatch(/no prev \(pre-sync-1.1 delete/);
    expect(checkCommitOps(ops, { strict: false })).toMatchObject({ problems: [], warnings: [expect.stringMatching(/no prev/)] });
  });

  it('path validation can be switched off for generic MST keys', () => {
    const ops = [op({ path: 'A0/374913' })];
    expect(checkCommitOps(ops).problems).toHaveLength(1);
    expect(checkCommitOps(ops, { validatePaths: false }).problems).toEqual([]);
  });
});
