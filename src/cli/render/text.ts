// Small text helpers shared by every renderer.

/** "1 record", "2 records"; irregular plurals given explicitly: plural(n, 'entry', 'entries'). */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : pluralForm}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/**
 * Wraps text to `width` columns. Lines after the first start with `indent` spaces; the first line
 * is shorter by `firstOffset` (text already printed before it on that line).
 */
export function wrap(text: string, width: number, indent = 0, firstOffset = 0): string {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = lines.length === 0 ? '' : pad;
    let room = lines.length === 0 ? width - firstOffset : width;
    let empty = true;
    for (const word of paragraph.split(/ +/).filter((w) => w !== '')) {
      if (!empty && line.length + 1 + word.length > room) {
        lines.push(line);
        line = pad + word;
        room = width;
      } else {
        line = empty ? line + word : `${line} ${word}`;
      }
      empty = false;
    }
    lines.push(empty ? '' : line);
  }
  return lines.join('\n');
}

/** A list shown to a person: the first `max` items and a line saying how many more there are. */
export function capped<T>(items: readonly T[], max: number): { shown: readonly T[]; more: number } {
  return items.length <= max ? { shown: items, more: 0 } : { shown: items.slice(0, max), more: items.length - max };
}

/** A word of a command line as a POSIX shell reads it back (quoted only when it needs to be). */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
