/**
 * Step preferences (invariants §5.A.4): the private app.bsky preferences kept on the PDS are read
 * from the old host, saved in the backup folder, written to the new host (putPreferences replaces
 * the whole list, so repeating it is harmless) and read back to compare.
 */
import { createHash } from 'node:crypto';
import { runtime } from '../../errors.js';
import { getPreferences, putPreferences } from '../admin.js';
import { writeBackupFile } from '../journal.js';
import type { XrpcClient } from '../../xrpc/index.js';
import { done, type MigrationRun, type StepOutcome } from './context.js';

export const PREFERENCES_FILE = 'preferences.json';

/** Stable JSON (sorted keys) for comparing preference lists. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 of the canonical JSON of a preference list (hex). */
export function preferencesDigest(prefs: unknown[]): string {
  return createHash('sha256').update(canonicalJson(prefs)).digest('hex');
}

/**
 * Writes `prefs` to the host (putPreferences replaces the whole list, so repeating it is harmless)
 * and reads them back: they must come back the same. Throws runtime 'PreferencesMismatch'.
 */
export async function putPreferencesChecked(client: XrpcClient, prefs: unknown[], failureHint: string): Promise<void> {
  await putPreferences(client, prefs);
  const back = await getPreferences(client);
  if (canonicalJson(back) !== canonicalJson(prefs)) {
    throw runtime('PreferencesMismatch', `${new URL(client.service).host} stored different preferences than were sent (${back.length} vs ${prefs.length} entries)`, {
      hint: failureHint,
    });
  }
}

export async function preferencesStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const prefs = await getPreferences(run.oldClient);
  const text = `${JSON.stringify({ preferences: prefs }, null, 2)}\n`;
  const file = await writeBackupFile(j.backupDir, PREFERENCES_FILE, text);
  await putPreferencesChecked(await run.newClient(), prefs, 'the old account is untouched; try again with atcli account migrate --resume');
  j.preferences = { count: prefs.length, file: file.path, sha256: preferencesDigest(prefs) };
  return done(`${prefs.length} preference entr${prefs.length === 1 ? 'y' : 'ies'} copied and read back`);
}
