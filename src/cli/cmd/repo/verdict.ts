// What repo verify, export and import share: where the signing keys come from, the checklist
// with its one-line verdict, the warnings and hints that go with a verdict, and its exit code.
import type { ChalkInstance } from 'chalk';
import { EXIT_CODES } from '../../../core/errors.js';
import type { PublicKey } from '../../../core/crypto/index.js';
import type { AtprotoIdentity } from '../../../core/identity/index.js';
import type { RepoVerifyOptions, RepoVerifyReport } from '../../../core/repo/verify.js';
import type { Factory } from '../../factory.js';
import { renderChecks } from '../../render/checks.js';
import type { StderrWriter } from '../../render/stderr.js';
import { plural } from '../../render/text.js';

/**
 * The keys a commit is judged against: only the given key (--key), else the account's keys now and
 * over time (its DID document and, for did:plc, the directory's audit log).
 */
export async function signingKeyOptions(f: Factory, key: PublicKey | undefined, known?: AtprotoIdentity): Promise<Pick<RepoVerifyOptions, 'key' | 'signingKeys'>> {
  if (key !== undefined) return { key };
  const { resolverKeySource } = await import('../../../core/identity/signing-keys.js');
  return { signingKeys: resolverKeySource(await f.identity(), known === undefined ? {} : { known }) };
}

/** valid 0, could not verify 1, invalid 3. */
export function verdictExit(report: RepoVerifyReport): number {
  return report.status === 'valid' ? 0 : report.status === 'unchecked' ? EXIT_CODES.runtime : EXIT_CODES.invalid;
}

/** The checklist and the verdict line under it. */
export async function checklist(report: RepoVerifyReport, subject: string, c: ChalkInstance): Promise<string> {
  const failed = report.checks.filter((x) => x.status === 'failed').length;
  const verdict =
    report.status === 'valid'
      ? c.green(`${subject} is valid: ${plural(report.records, 'record')}, rev ${report.rev}${report.signature?.status === 'historical' ? ' (a historical snapshot)' : ''}`)
      : report.status === 'invalid'
        ? c.red(`${subject} is INVALID: ${plural(failed, 'check')} failed`)
        : c.yellow(`${subject} could NOT be verified: ${report.reason}`);
  return `${await renderChecks(report.checks, c)}\n${verdict}`;
}

export interface VerdictHints {
  /** The command has --current-key-only. */
  currentKeyOnly?: boolean;
  /** The command has --key. */
  key?: boolean;
}

/** Warnings that go with a verdict (a historical signature, notes on the key history) and what to do next. */
export function verdictNotes(err: StderrWriter, report: RepoVerifyReport, hints: VerdictHints = {}): void {
  const signature = report.signature;
  if (signature?.status === 'historical') {
    err.warn(`historical snapshot: ${signature.detail}`);
    if (hints.currentKeyOnly) err.hint('--current-key-only refuses commits signed by earlier keys');
  }
  for (const note of signature?.notes ?? []) err.warn(note);
  if (report.status === 'unchecked') {
    const sigUnchecked = report.checks.some((x) => x.name === 'signature' && x.status === 'unchecked');
    if (sigUnchecked) err.hint(`check the network or --plc${hints.key ? ', or give the key with --key' : ''}`);
    else err.hint('check the network and try again');
  }
}
