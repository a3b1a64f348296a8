// What to do next, in CLI terms, for each error code core throws. Core states what is wrong in
// protocol terms; these tables add the flags and commands that fix it. Each area of commands keeps
// its own table, consulted only for its own commands (the first word of the command path), then
// the network and general tables; a function receives the error and the command path.
import { AtcliError, type LocalErrorCode } from '../../core/errors.js';
import { ACCOUNT_HINTS } from './account.js';
import { BLOB_HINTS } from './blob.js';
import { FIREHOSE_HINTS } from './firehose.js';
import { GENERAL_HINTS } from './general.js';
import { LEX_HINTS } from './lex.js';
import { NETWORK_HINTS } from './network.js';
import { PLC_HINTS } from './plc.js';
import { OPS_HINTS } from './ops.js';
import { REPO_HINTS } from './repo.js';
import { SAFETY_HINTS } from './safety.js';
import { XRPC_HINTS } from './xrpc.js';

export type Hint = string | ((err: AtcliError, path: string) => string | undefined);
/** Error names servers send that the tables give hints for (they pass through as codes). */
type HintedServerError = 'AuthMissing';
export type HintTable = Readonly<Partial<Record<LocalErrorCode | HintedServerError, Hint>>>;

/** Command group (first word of the path) → its table. */
const AREAS: Readonly<Record<string, HintTable>> = {
  repo: REPO_HINTS,
  record: REPO_HINTS,
  plc: PLC_HINTS,
  lex: LEX_HINTS,
  account: ACCOUNT_HINTS,
  blob: BLOB_HINTS,
  xrpc: XRPC_HINTS,
  pds: OPS_HINTS,
  relay: OPS_HINTS,
  doctor: OPS_HINTS,
  firehose: FIREHOSE_HINTS,
  labels: FIREHOSE_HINTS,
  backup: SAFETY_HINTS,
  restore: SAFETY_HINTS,
  key: SAFETY_HINTS,
};

/** Consulted for every command after its area's table. */
const SHARED: readonly HintTable[] = [NETWORK_HINTS, GENERAL_HINTS];

/** Errors whose hint a command has already written in full: the tables are not consulted. */
const COMPLETE = new WeakSet<AtcliError>();

/** The same error with a hint the command composed itself (for example with the command that resumes). */
export function withCompleteHint(err: AtcliError, hint: string): AtcliError {
  const out = new AtcliError(err.kind, err.code, err.message, { hint, ...(err.details ? { details: err.details } : {}), cause: err });
  COMPLETE.add(out);
  return out;
}

function lookUp(table: HintTable | undefined, err: AtcliError, path: string): string | undefined {
  const hint = table?.[err.code as LocalErrorCode];
  return typeof hint === 'function' ? hint(err, path) : hint;
}

export function hintFor(err: AtcliError, path: string): string | undefined {
  if (COMPLETE.has(err)) return err.hint;
  const area = AREAS[path.split(' ')[0] ?? ''];
  let text = lookUp(area, err, path);
  for (const table of SHARED) text ??= lookUp(table, err, path);
  return text ?? err.hint;
}
