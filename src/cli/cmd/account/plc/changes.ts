import type { StderrWriter } from '../../../render/stderr.js';

/** An identity update's changes on stderr, under a title. */
export function showChanges(err: StderrWriter, title: string, changes: readonly { message: string }[]): void {
  err.info(title);
  if (changes.length === 0) err.info('  (no changes)');
  for (const c of changes) err.info(`  ${c.message}`);
}
