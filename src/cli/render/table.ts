// Listings: aligned columns on a terminal (cli-table3, borderless, measuring wide characters and
// emoji), tab-separated values when piped so `cut -f` and `awk -F'\t'` work.

export interface TableOptions {
  header?: readonly string[];
  /** Whether stdout is a terminal (aligned, header shown) or not (TSV, no header). */
  tty: boolean;
  /** Styles the header cells on a terminal. */
  bold?: (s: string) => string;
}

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** Sanitises a cell from untrusted data: no tabs or line breaks (they would break rows and columns). */
function cell(value: string): string {
  return value.replace(/[\t\r\n]+/g, ' ');
}

export async function renderTable(rows: readonly (readonly string[])[], opts: TableOptions): Promise<string> {
  if (!opts.tty) return rows.map((r) => r.map(cell).join('\t')).join('\n');
  if (rows.length === 0 && !opts.header) return '';
  const { default: Table } = await import('cli-table3');
  const bold = opts.bold ?? ((s: string) => s);
  const table = new Table({
    chars: NO_BORDERS,
    style: { 'padding-left': 0, 'padding-right': 0, head: [], border: [], compact: true },
    ...(opts.header ? { head: opts.header.map((h) => bold(h)) } : {}),
  });
  for (const r of rows) table.push(r.map(cell));
  return table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}
