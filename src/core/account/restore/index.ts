/** Restoring an account from a backup onto a new PDS (docs/backup.md "Restore"). */
export { restoreAccount, restoreWhatToDo, type RestoreOptions, type RestorePreflight, type RestorePreflightCheck, type RestoreResult } from './restore.js';
export type { RestoreCallbacks, RestoreConfirmation, RestoreEvent } from './steps.js';
export { IRREVERSIBLE_STEPS, RESTORE_STEPS, RESTORE_STEP_TITLES, restoreJournalFileName, type RestoreReport, type RestoreStep } from './journal.js';
