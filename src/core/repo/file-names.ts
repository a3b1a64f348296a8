/**
 * File names for records written to disk (`repo unpack`): a reversible mapping from a collection
 * and record key to a relative path that every common file system can hold. The mapping and the
 * reasons are in docs/repo-unpack.md.
 *
 * - Lower-case letters, digits, `-`, `_`, `.` and `~` stay as they are.
 * - An upper-case letter becomes `^` and the letter in lower case (`3Kx` → `3^kx`), so names that
 *   differ only in case stay distinct on case-insensitive file systems.
 * - Any other character becomes `%` and two lower-case hex digits (`:` → `%3a`): `:` is not
 *   allowed on Windows and shows as `/` in the macOS Finder. A leading `.` is written `%2e` (no
 *   hidden files), and so is the first letter of a name Windows reserves (`con` → `%63on`);
 *   both rules apply to every file and folder name written.
 * - A name longer than {@link MAX_COMPONENT} characters once encoded is cut into pieces of that
 *   length; every piece but the last is a folder whose name ends in `+`.
 *
 * `^`, `%` and `+` never occur in an NSID or a record key, so decoding is unambiguous.
 */

/** Longest file or folder name written (far below the 255 bytes of ext4, APFS and NTFS, and the 143 of eCryptfs). */
export const MAX_COMPONENT = 120;
const RECORD_SUFFIX = '.json';
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/;

function hex(code: number): string {
  return `%${code.toString(16).padStart(2, '0')}`;
}

/** One name (collection or record key) encoded with the escapes above, not yet cut. */
export function encodeName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] as string;
    const code = name.charCodeAt(i);
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch === '-' || ch === '_' || ch === '~' || (ch === '.' && i > 0)) out += ch;
    else if (ch >= 'A' && ch <= 'Z') out += `^${ch.toLowerCase()}`;
    else out += code < 0x80 ? hex(code) : encodeURIComponent(ch).toLowerCase();
  }
  return out;
}

/** The inverse of {@link encodeName}. */
export function decodeName(encoded: string): string {
  return encoded.replace(/\^([a-z])|((?:%[0-9a-f]{2})+)/g, (_m, upper: string | undefined, escaped: string | undefined) =>
    upper !== undefined ? upper.toUpperCase() : decodeURIComponent(escaped as string),
  );
}

/** An encoded name as path components: pieces of at most MAX_COMPONENT, folders ending in '+'. */
function components(encoded: string, suffix: string): string[] {
  const pieces: string[] = [];
  let rest = encoded;
  while (rest.length + suffix.length > MAX_COMPONENT) {
    // Never cut inside an escape: it would still decode, but names stay readable this way.
    // The last piece keeps at least one character of the name.
    let cut = Math.min(MAX_COMPONENT - 1, rest.length - 1);
    const escape = Math.max(rest.lastIndexOf('%', cut - 1), rest.lastIndexOf('^', cut - 1));
    if (escape >= 0 && escape > cut - 3) cut = escape;
    pieces.push(`${rest.slice(0, cut)}+`);
    rest = rest.slice(cut);
  }
  pieces.push(`${rest}${suffix}`);
  return pieces.map(guardPiece);
}

/**
 * A piece that would be hidden (a leading `.`, possible where a long name was cut) or whose name
 * Windows reserves gets its first character escaped; it still decodes the same.
 */
function guardPiece(piece: string): string {
  return piece.startsWith('.') || WINDOWS_RESERVED.test(piece) ? `${hex(piece.charCodeAt(0))}${piece.slice(1)}` : piece;
}

/** The relative path components of a record's file: the collection's folder(s), then the record's. */
export function recordFileComponents(collection: string, rkey: string): string[] {
  return [...components(encodeName(collection), ''), ...components(encodeName(rkey), RECORD_SUFFIX)];
}

/** The collection and record key of a path made by {@link recordFileComponents}, or null. */
export function recordFromComponents(parts: readonly string[]): { collection: string; rkey: string } | null {
  let i = 0;
  let collection = '';
  while (i < parts.length && (parts[i] as string).endsWith('+')) collection += (parts[i++] as string).slice(0, -1);
  if (i >= parts.length) return null;
  collection += parts[i++] as string;
  let rkey = '';
  while (i < parts.length && (parts[i] as string).endsWith('+')) rkey += (parts[i++] as string).slice(0, -1);
  const last = parts[i];
  if (last === undefined || i !== parts.length - 1 || !last.endsWith(RECORD_SUFFIX)) return null;
  rkey += last.slice(0, -RECORD_SUFFIX.length);
  return { collection: decodeName(collection), rkey: decodeName(rkey) };
}
