/**
 * The account's private app.bsky preferences (`app.bsky.actor.getPreferences` /
 * `putPreferences`, kept by the PDS): export, and import checked against the lexicon
 * (`app.bsky.actor.defs#preferences`) with the difference from the current list computed before
 * anything is written. putPreferences replaces the whole list.
 */
import { invalid, isAtcliError, runtime } from '../errors.js';
import { jsonToCbor } from '../codec/index.js';
import { validateData, type LexiconCatalog, type ValidationError } from '../lexicon/index.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { XrpcClient } from '../xrpc/index.js';
import { getPreferences, putPreferences } from './admin.js';

export const PREFERENCES_REF = 'app.bsky.actor.defs#preferences';
/** Largest preferences document read for import (the reference PDS caps its request bodies lower). */
export const MAX_PREFERENCES_BYTES = 1024 * 1024;

export interface PreferencesExport {
  preferences: unknown[];
}

export async function exportPreferences(client: XrpcClient): Promise<PreferencesExport> {
  return { preferences: await getPreferences(client) };
}

/**
 * Reads an import document — `{"preferences": [...]}` as exported, or the bare list — and checks
 * it against the lexicon. Throws invalid 'InvalidPreferences' (the problems in `details.errors`,
 * at most 50) when it does not conform.
 */
export function parsePreferences(value: unknown, catalog: LexiconCatalog): unknown[] {
  const list = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? (value as { preferences?: unknown }).preferences : undefined;
  if (!Array.isArray(list)) throw invalid('InvalidPreferences', 'a preferences document is {"preferences": [...]} (as exported) or a JSON array of preference objects');
  let errors: ValidationError[];
  try {
    // The data model's JSON reader takes an object at the top; the list is checked inside one.
    const data = (jsonToCbor({ preferences: list }) as { preferences: unknown }).preferences;
    errors = validateData(catalog, PREFERENCES_REF, data);
  } catch (err) {
    if (isAtcliError(err) && err.code === 'LexiconNotFound') throw err;
    throw invalid('InvalidPreferences', `the preferences are not valid atproto JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  list.forEach((p, i) => {
    if (typeof p !== 'object' || p === null || typeof (p as { $type?: unknown }).$type !== 'string') errors.push({ path: `[${i}]`, message: 'a preference needs a "$type"' });
  });
  if (errors.length > 0) {
    const first = errors.slice(0, 3).map((e) => `${e.path === '' ? '(top)' : e.path}: ${e.message}`).join('; ');
    throw invalid('InvalidPreferences', `the preferences do not conform to ${PREFERENCES_REF}: ${first}${errors.length > 3 ? `; and ${errors.length - 3} more` : ''}`, {
      details: { errors: errors.slice(0, 50) },
    });
  }
  return list;
}

export interface PreferenceChange {
  /** the preference's $type */
  type: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

export interface PreferencesDiff {
  changes: PreferenceChange[];
  unchanged: number;
  /** the lists are equal in content */
  identical: boolean;
}

function typeOf(p: unknown): string {
  const t = typeof p === 'object' && p !== null ? (p as { $type?: unknown }).$type : undefined;
  return typeof t === 'string' ? t : '(no $type)';
}

/**
 * What replacing `current` with `next` changes, per preference type. Entries of one type are
 * paired in order (a list may hold a type more than once).
 */
export function diffPreferences(current: readonly unknown[], next: readonly unknown[]): PreferencesDiff {
  const group = (list: readonly unknown[]): Map<string, unknown[]> => {
    const m = new Map<string, unknown[]>();
    for (const p of list) {
      const entries = m.get(typeOf(p));
      if (entries === undefined) m.set(typeOf(p), [p]);
      else entries.push(p);
    }
    return m;
  };
  const before = group(current);
  const after = group(next);
  const changes: PreferenceChange[] = [];
  let unchanged = 0;
  for (const type of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = before.get(type) ?? [];
    const a = after.get(type) ?? [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= b.length) changes.push({ type, change: 'added', after: a[i] });
      else if (i >= a.length) changes.push({ type, change: 'removed', before: b[i] });
      else if (canonicalJson(a[i]) !== canonicalJson(b[i])) changes.push({ type, change: 'changed', before: b[i], after: a[i] });
      else unchanged++;
    }
  }
  return { changes, unchanged, identical: changes.length === 0 && current.length === next.length };
}

export interface PreferencesImportPlan extends PreferencesDiff {
  preferences: unknown[];
}

/** Reads the current preferences and compares them with `next` (already checked by {@link parsePreferences}). */
export async function planPreferencesImport(client: XrpcClient, next: unknown[]): Promise<PreferencesImportPlan> {
  return { preferences: next, ...diffPreferences(await getPreferences(client), next) };
}

/** Writes the planned list and reads it back; runtime 'PreferencesMismatch' when the PDS kept something else. */
export async function importPreferences(client: XrpcClient, plan: PreferencesImportPlan): Promise<{ written: number; identical: true }> {
  await putPreferences(client, plan.preferences);
  const back = await getPreferences(client);
  if (canonicalJson(back) !== canonicalJson(plan.preferences)) {
    throw runtime('PreferencesMismatch', `the PDS stored different preferences than were sent (${back.length} entries read back, ${plan.preferences.length} sent)`, {
      details: { diff: diffPreferences(plan.preferences, back).changes.slice(0, 20) },
    });
  }
  return { written: plan.preferences.length, identical: true };
}
