/**
 * Accounts on which two hosts disagree: listed by only one of them, or listed by both with a
 * different hosting status or rev. Like goat's `relay host diff`, but per account.
 *
 * Memory stays bounded whatever the size of the hosts:
 * - scope 'both' (two relays): both listings are read in step, and an account listed by one side
 *   waits in a window until the other side lists it too. Hosts that list in roughly the same order
 *   (both by age, as relays and PDSes do) keep the window small. When a side's window is full, its
 *   oldest account is asked of the other host directly (getRepoStatus) and leaves the window; at
 *   the end, what is left in a window is asked the same way. So that no account is reported twice
 *   without remembering every account settled, a's listing answers for every account a has: an
 *   account of b that leaves b's window unmatched is only reported when a does not have it.
 * - scope 'b' (b is a PDS, a relay or another PDS that should follow it): only the accounts b lists
 *   matter (a relay lists every PDS's accounts); each is asked of a directly, `concurrency` at a
 *   time, as b's listing streams.
 */
import type { XrpcClient } from '../xrpc/index.js';
import { findRepoStatus } from '../account/admin.js';
import { listRepos, type HostedRepo } from '../pds/repos.js';
import { mapUnordered } from '../util/concurrent.js';
import { repoView, type RepoView } from './accounts.js';
import { compareTids } from '../syntax/index.js';

export type DiffScope = 'both' | 'b';

export interface AccountDifference {
  did: string;
  /** only-in-a / only-in-b: the other host does not have it; status: hosting status differs; rev: both active, revs differ */
  difference: 'only-in-a' | 'only-in-b' | 'status' | 'rev';
  a: RepoView | null;
  b: RepoView | null;
  /** rev: the side with the newer rev */
  newer?: 'a' | 'b';
}

export interface DiffSummary {
  a: string;
  b: string;
  scope: DiffScope;
  /** accounts read from each listing */
  listedA: number;
  listedB: number;
  /** accounts both hosts have */
  compared: number;
  onlyInA: number;
  onlyInB: number;
  statusDiffers: number;
  revDiffers: number;
  /** getRepoStatus calls made to settle accounts directly */
  probes: number;
  /** true once every listing was read to the end */
  complete: boolean;
}

export interface DiffOptions {
  scope?: DiffScope;
  /** accounts per listRepos request (default 1000) */
  pageSize?: number;
  /** accounts one side may hold waiting for the other (default 50 000) */
  window?: number;
  /** parallel getRepoStatus calls (default 8) */
  concurrency?: number;
  onProgress?: (summary: Readonly<DiffSummary>) => void;
}

/** A running diff: iterate it for the differences; `summary` is complete once iteration ends. */
export interface AccountDiff extends AsyncIterable<AccountDifference> {
  readonly summary: DiffSummary;
}

function differenceOf(did: string, a: RepoView | null, b: RepoView | null): AccountDifference | null {
  if (a === null && b === null) return null;
  if (b === null) return { did, difference: 'only-in-a', a, b };
  if (a === null) return { did, difference: 'only-in-b', a, b };
  if (a.active !== b.active || (!a.active && (a.status ?? '') !== (b.status ?? ''))) return { did, difference: 'status', a, b };
  if (a.active && a.rev !== undefined && b.rev !== undefined && a.rev !== b.rev) {
    return { did, difference: 'rev', a, b, newer: compareTids(a.rev, b.rev) > 0 ? 'a' : 'b' };
  }
  return null;
}

function viewOf(r: HostedRepo): RepoView {
  return repoView(r);
}

export function diffAccounts(a: XrpcClient, b: XrpcClient, opts: DiffOptions = {}): AccountDiff {
  const scope = opts.scope ?? 'both';
  const pageSize = opts.pageSize ?? 1000;
  const window = Math.max(1, Math.floor(opts.window ?? 50_000));
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 8));
  const summary: DiffSummary = { a: a.service, b: b.service, scope, listedA: 0, listedB: 0, compared: 0, onlyInA: 0, onlyInB: 0, statusDiffers: 0, revDiffers: 0, probes: 0, complete: false };

  const count = (d: AccountDifference | null, bothHave: boolean): AccountDifference | null => {
    if (bothHave) summary.compared++;
    if (d === null) return null;
    if (d.difference === 'only-in-a') summary.onlyInA++;
    else if (d.difference === 'only-in-b') summary.onlyInB++;
    else if (d.difference === 'status') summary.statusDiffers++;
    else summary.revDiffers++;
    return d;
  };
  const probe = async (host: XrpcClient, did: string): Promise<RepoView | null> => {
    summary.probes++;
    const s = await findRepoStatus(host, did);
    return s === null ? null : repoView(s);
  };

  type Listed = { did: string; view: RepoView };
  /** a's listing answers for a's accounts: b's account found on a was (or will be) compared there. */
  const settle = async (side: 'a' | 'b', { did, view }: Listed, bAnswers: boolean): Promise<AccountDifference | null> => {
    const found = await probe(side === 'a' ? b : a, did);
    if (side === 'a') return count(differenceOf(did, view, found), found !== null);
    if (found !== null && !bAnswers) return null;
    return count(differenceOf(did, found, view), found !== null);
  };

  async function* probeEach(source: AsyncIterable<Listed> | Iterable<Listed>, side: 'a' | 'b', bAnswers = false): AsyncGenerator<AccountDifference> {
    for await (const d of mapUnordered(source, concurrency, (entry) => settle(side, entry, bAnswers))) {
      if (d !== null) yield d;
    }
  }

  async function* onlyB(): AsyncGenerator<AccountDifference> {
    const listed = (async function* () {
      for await (const r of listRepos(b, { pageSize })) {
        summary.listedB++;
        if (summary.listedB % 1000 === 0) opts.onProgress?.(summary);
        yield { did: r.did, view: viewOf(r) };
      }
    })();
    yield* probeEach(listed, 'b', true);
  }

  async function* both(): AsyncGenerator<AccountDifference> {
    const sides = {
      a: { it: listRepos(a, { pageSize })[Symbol.asyncIterator](), pending: new Map<string, RepoView>(), done: false },
      b: { it: listRepos(b, { pageSize })[Symbol.asyncIterator](), pending: new Map<string, RepoView>(), done: false },
    };
    try {
      while (!sides.a.done || !sides.b.done) {
        for (const name of ['a', 'b'] as const) {
          const me = sides[name];
          const other = sides[name === 'a' ? 'b' : 'a'];
          if (me.done) continue;
          const step = await me.it.next();
          if (step.done === true) {
            me.done = true;
            continue;
          }
          if (name === 'a') summary.listedA++;
          else summary.listedB++;
          const did = step.value.did;
          const view = viewOf(step.value);
          const partner = other.pending.get(did);
          if (partner !== undefined) {
            other.pending.delete(did);
            const d = count(name === 'a' ? differenceOf(did, view, partner) : differenceOf(did, partner, view), true);
            if (d !== null) yield d;
          } else {
            me.pending.set(did, view);
          }
          while (me.pending.size > window) {
            const [oldDid, oldView] = me.pending.entries().next().value as [string, RepoView];
            me.pending.delete(oldDid);
            const d = await settle(name, { did: oldDid, view: oldView }, false);
            if (d !== null) yield d;
          }
        }
        if ((summary.listedA + summary.listedB) % 2000 === 0) opts.onProgress?.(summary);
      }
    } finally {
      await sides.a.it.return?.();
      await sides.b.it.return?.();
    }
    // What one side listed and the other never did: ask the other host (it may have been added
    // while the listings ran).
    for (const name of ['a', 'b'] as const) {
      const left = [...sides[name].pending].map(([did, view]) => ({ did, view }));
      sides[name].pending.clear();
      yield* probeEach(left, name);
    }
  }

  return {
    summary,
    async *[Symbol.asyncIterator]() {
      yield* scope === 'b' ? onlyB() : both();
      summary.complete = true;
      opts.onProgress?.(summary);
    },
  };
}
