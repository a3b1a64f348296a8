import { AtcliError, invalid, isAtcliError } from '../errors.js';
import type { KeyType } from './curves.js';
import { parsePrivateKey, type PrivateKey } from './private-key.js';

/**
 * A private key as people keep it in a file or an environment variable: the private multikey
 * (z…), 64-character hex (with its curve given), or the JSON that `atcli key generate --json`
 * writes. `source` names where it came from in errors, which never repeat the key.
 */
export function parsePrivateKeyText(
  text: string,
  opts: { type?: KeyType; source: string; /** what to tell the user when a hex key needs its curve */ howToGiveType?: string },
): PrivateKey {
  let t = text.trim();
  let type = opts.type;
  if (t.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(t) as unknown;
    } catch {
      throw invalid('InvalidPrivateKey', `${opts.source}: not a private key (it starts with "{" but is not valid JSON)`);
    }
    const pk = typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)['privateKey'] : undefined;
    if (typeof pk !== 'string') throw invalid('InvalidPrivateKey', `${opts.source}: the JSON has no "privateKey" string (as written by "atcli key generate --json")`);
    const jt = (obj as Record<string, unknown>)['type'];
    if (type === undefined && (jt === 'k256' || jt === 'p256')) type = jt;
    t = pk;
  }
  try {
    return parsePrivateKey(t, type === undefined ? {} : { type });
  } catch (err) {
    if (!isAtcliError(err)) throw invalid('InvalidPrivateKey', `${opts.source}: not a usable private key`);
    const hint =
      err.code === 'AmbiguousKeyType'
        ? `a hex key does not say its curve: ${opts.howToGiveType ?? 'give the key type (k256 or p256)'}`
        : (err.hint ?? 'use the private multikey (z…) printed by "atcli key generate"');
    throw new AtcliError(err.kind, err.code, `${opts.source}: ${err.message}`, { hint });
  }
}
