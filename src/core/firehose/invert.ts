/**
 * Sync 1.1 operation inversion.
 *
 * Undoing a commit's ops on the partial tree its `blocks` carry must give back the previous MST
 * root (`prevData`). The result does not depend on the order of the ops (the TS reference tests
 * every permutation). The tree is edited in place: pass a clone to keep the original.
 */
import type { Cid } from '../codec/cid.js';
import { isAtcliError } from '../errors.js';
import { IncompleteProofError, InvalidMstError, type MutableMst } from '../repo/mst-edit.js';
import { opLabel, type RepoOp } from './events.js';

function show(cid: Cid | null): string {
  return cid === null ? 'nothing' : cid.toString();
}

function treeProblem(err: unknown): string {
  if (err instanceof IncompleteProofError) return `incomplete proof: MST node ${err.cid.toString()} is missing from blocks`;
  if (err instanceof InvalidMstError) return err.message;
  if (isAtcliError(err)) return err.message;
  throw err;
}

/**
 * Undo one op on `tree`: create → remove(path) must return `cid`; update → insert(path, prev)
 * must return `cid`; delete → insert(path, prev) must find nothing. Returns null, or the reason it
 * failed. The op's shape must already have been checked (`checkCommitOps`).
 */
export function invertOp(tree: MutableMst, op: RepoOp): string | null {
  const label = opLabel(op);
  try {
    switch (op.action) {
      case 'create': {
        if (op.cid === null) return `${label}: cannot invert (cid is null)`;
        const removed = tree.remove(op.path);
        if (removed === null) return `${label}: inversion found no ${op.path} in the tree`;
        if (!removed.equals(op.cid)) return `${label}: inversion removed ${removed.toString()}, but the op says ${op.cid.toString()}`;
        return null;
      }
      case 'update': {
        if (op.cid === null || op.prev === null) return `${label}: cannot invert (needs cid and prev)`;
        const old = tree.insert(op.path, op.prev);
        if (old === null || !old.equals(op.cid)) return `${label}: inversion replaced ${show(old)}, but the op says ${op.cid.toString()}`;
        return null;
      }
      case 'delete': {
        if (op.prev === null) return `${label}: cannot invert (prev is missing)`;
        const old = tree.insert(op.path, op.prev);
        if (old !== null) return `${label}: inversion found ${old.toString()} still in the tree`;
        return null;
      }
      default:
        return `${label}: unknown action`;
    }
  } catch (err) {
    return `${label}: ${treeProblem(err)}`;
  }
}

/**
 * Undo `ops` in order on `tree` and return the root it ends at, or why it could not (the first
 * op that failed).
 * An empty op list returns the tree's own root (an empty commit must have `prevData == data`).
 */
export function invertOps(tree: MutableMst, ops: readonly RepoOp[]): { root: Cid | null; reasons: string[] } {
  for (const op of ops) {
    const reason = invertOp(tree, op);
    // Stop at the first failure: later ops would run on a tree already known to be wrong.
    if (reason !== null) return { root: null, reasons: [reason] };
  }
  try {
    return { root: tree.rootCid(), reasons: [] };
  } catch (err) {
    return { root: null, reasons: [`inverted tree: ${treeProblem(err)}`] };
  }
}
