import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { openRepoSource } from '../../repo-source.js';
import { plural } from '../../render/text.js';

/** Beside the CAR: its name without ".car" (or with "-unpacked" when it has no such suffix). */
function defaultFolder(file: string): string {
  return file.endsWith('.car') ? file.slice(0, -'.car'.length) : `${file}-unpacked`;
}

export default defineCommand({
  description: 'Writes one JSON file per record (<folder>/<collection>/<rkey>.json, in the atproto JSON form) and the commit as _commit.json. Names a file system cannot hold (too long, reserved, differing only in case) are mapped to safe, reversible names. The folder is written beside the target and moved into place, never through a symlink; nothing is left on failure. The repository is checked first (every block hash and the tree); nothing is written for corrupted data.',
  args: { car: arg.required('car', 'a CAR file', { valueKind: 'file' }) },
  options: {
    output: opt.value('-o, --output <folder>', 'where to write (default: the CAR path without .car)', { valueKind: 'dir' }),
    force: opt.flag('-f, --force', 'replace the folder of an earlier unpack (a folder holding anything else is never replaced)'),
  },
  examples: ['atcli repo unpack repo.car', 'atcli repo unpack repo.car -o records --json'],
  notes: 'Exit status: 0 unpacked, 2 the folder exists and is not empty (--force replaces only an earlier unpack) or -o is not a folder, 3 the repository is corrupted.',
  async run({ args, opts, io, out, err, f }) {
    const source = await openRepoSource(args.car, { io, f, err }, { fileOnly: true });
    const dir = opts.output ?? defaultFolder(args.car);
    const { unpackRepo } = await import('../../../core/repo/read.js');
    const result = await unpackRepo(source.open, dir, source.what, { replace: opts.force });
    await out.result({ dir: result.dir, records: result.records, files: result.files.length, renamed: result.renamed }, (r) =>
      `unpacked ${plural(r.records, 'record')} into ${r.dir}/ (${plural(r.files, 'file')}${r.renamed > 0 ? `; ${plural(r.renamed, 'name')} mapped to safe file names, see docs/repo-unpack.md` : ''})`,
    );
  },
});
