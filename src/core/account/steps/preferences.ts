/**
 * Step preferences (docs/account-migration.md): the private app.bsky preferences kept on the PDS are read
 * from the old host, saved in the backup folder, written to the new host (putPreferences replaces
 * the whole list, so repeating it is harmless) and read back to compare.
 */
import { createHash } from 'node:crypto';
import { getPreferences } from '../admin.js';
import { importPreferences, planPreferencesImport } from '../preferences.js';
import { writeBackupFile } from '../journal.js';
import { done, type MigrationRun, type StepOutcome } from './context.js';
import { canonicalJson } from '../../util/canonical-json.js';

export const PREFERENCES_FILE = 'preferences.json';

export async function preferencesStep(run: MigrationRun): Promise<StepOutcome> {
  const j = run.journal;
  const prefs = await getPreferences(run.oldClient);
  const text = `${JSON.stringify({ preferences: prefs }, null, 2)}\n`;
  const file = await writeBackupFile(j.backupDir, PREFERENCES_FILE, text);
  const client = await run.newClient();
  await importPreferences(client, await planPreferencesImport(client, prefs));
  j.preferences = { count: prefs.length, file: file.path, sha256: createHash('sha256').update(canonicalJson(prefs)).digest('hex') };
  return done(`${prefs.length} preference entr${prefs.length === 1 ? 'y' : 'ies'} copied and read back`);
}
