// What to do next, in CLI terms, for each error code core throws. Core states what is wrong in
// protocol terms; these tables add the flags and commands that fix it. Each area of commands keeps
// its own table, consulted only for its own commands (the first word of the command path), then
// the general table; a function receives the error and the command path ("repo verify").
import type { AtcliError } from '../../core/errors.js';
import { GENERAL_HINTS } from './general.js';
import { LEX_HINTS } from './lex.js';
import { PLC_HINTS } from './plc.js';
import { REPO_HINTS } from './repo.js';

export type Hint = string | ((err: AtcliError, path: string) => string | undefined);
export type HintTable = Readonly<Record<string, Hint>>;

/** Command group (first word of the path) → its table. */
const AREAS: Readonly<Record<string, HintTable>> = {
  repo: REPO_HINTS,
  record: REPO_HINTS,
  plc: PLC_HINTS,
  lex: LEX_HINTS,
};

function lookUp(table: HintTable | undefined, err: AtcliError, path: string): string | undefined {
  const hint = table?.[err.code];
  return typeof hint === 'function' ? hint(err, path) : hint;
}

export function hintFor(err: AtcliError, path: string): string | undefined {
  const area = AREAS[path.split(' ')[0] ?? ''];
  return lookUp(area, err, path) ?? lookUp(GENERAL_HINTS, err, path) ?? err.hint;
}
