import { usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { openRepoSource } from '../../repo-source.js';
import { plural } from '../../render/text.js';

/** Beside the CAR: its name without ".car" (or with "-unpacked" when it has no such suffix). */
function defaultFolder(file: string): string {
  return file.endsWith('.car') ? file.slice(0, -'.car'.length) : `${file}-unpacked`;
}

export default defineCommand({
  description: 'Writes one JSON file per record (<folder>/<collection>/<rkey>.json, in the atproto JSON form) and the commit as _commit.json. The repository is checked first (every block hash and the tree); nothing is written for corrupted data.',
  args: { car: arg.required('car', 'a CAR file', { valueKind: 'file' }) },
  options: {
    output: opt.value('-o, --output <folder>', 'where to write (default: the CAR path without .car)', { valueKind: 'dir' }),
    force: opt.flag('-f, --force', 'write into a folder that is not empty'),
  },
  examples: ['atcli repo unpack repo.car', 'atcli repo unpack repo.car -o records --json'],
  notes: 'Exit status: 0 unpacked, 2 the folder is not empty (without --force), 3 the repository is corrupted.',
  async run({ args, opts, io, out, err, f }) {
    const source = await openRepoSource(args.car, { io, f, err }, { fileOnly: true });
    const dir = opts.output ?? defaultFolder(args.car);
    const { readdir } = await import('node:fs/promises');
    const existing = await readdir(dir).catch(() => [] as string[]);
    if (existing.length > 0 && !opts.force) throw usage('DirectoryNotEmpty', `${dir} exists and is not empty`);
    const { unpackRepo } = await import('../../../core/repo/read.js');
    const result = await unpackRepo(source.open, dir, source.what);
    await out.result({ dir: result.dir, records: result.records, files: result.files.length }, (r) => `unpacked ${plural(r.records, 'record')} into ${r.dir}/ (${plural(r.files, 'file')})`);
  },
});
