/**
 * The migration as an explicit plan of named steps (docs/account-migration.md). The order is the
 * contract: data is copied and verified before the identity moves, the identity moves before the
 * new account is activated, and the old account is deactivated only after the new one is
 * verified active.
 */
import type { PlanEntry as StepPlanEntry } from './steps/runner.js';

export const MIGRATION_STEPS = [
  'preflight',
  'service-auth',
  'create-account',
  'export-repo',
  'verify-repo',
  'import-repo',
  'blobs',
  'preferences',
  'verify-copy',
  'request-plc-token',
  'build-plc-op',
  'sign-plc-op',
  'check-plc-op',
  'submit-plc-op',
  'verify-identity',
  'activate',
  'verify-new',
  'deactivate-old',
  'report',
] as const;

export type MigrationStep = (typeof MIGRATION_STEPS)[number];

export function isMigrationStep(s: string): s is MigrationStep {
  return (MIGRATION_STEPS as readonly string[]).includes(s);
}

export const STEP_TITLES: Readonly<Record<MigrationStep, string>> = {
  preflight: 'check the account-password session, the identity (did:plc), that the new host accepts the DID and handle, invite rules',
  'service-auth': 'service auth from the old host for the new host (aud = its DID, lxm = createAccount)',
  'create-account': 'create the account (deactivated) on the new host, or find the one created earlier',
  'export-repo': 'export the repository from the old host (kept locally as a backup)',
  'verify-repo': 'verify the exported repository: every block, the tree, the commit signature with the current key, the DID',
  'import-repo': 'import the verified repository into the new host',
  blobs: "copy the blobs the new host lists as missing, with their MIME types (every failure retried)",
  preferences: 'copy the private preferences',
  'verify-copy': 'check the new host holds every record and blob (checkAccountStatus, listMissingBlobs) and the old repo has not changed since',
  'request-plc-token': 'request the PLC e-mail token from the old host (only now, so it cannot expire during the copy)',
  'build-plc-op': "build the identity update from the new host's recommended credentials, keeping your own keys and services",
  'sign-plc-op': 'show the update as a diff, confirm, and have the old host sign it with the e-mailed token',
  'check-plc-op': 'check the signed operation locally: signature, prev is the current head, exactly the planned fields',
  'submit-plc-op': 'submit the operation through the new host',
  'verify-identity': 'resolve the DID without cache: it must name the new host and its signing key',
  activate: 'activate the account on the new host and check it reports active',
  'verify-new': 'verify the new host: its repository (DID, signature) holds every record; every blob is there with the right hash',
  'deactivate-old': 'deactivate the old account (only now that the new one is verified active)',
  report: 'final report comparing both sides',
};

export type PlanEntry = StepPlanEntry<MigrationStep>;

export function stepIndex(step: MigrationStep): number {
  return MIGRATION_STEPS.indexOf(step);
}
