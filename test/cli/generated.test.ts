import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { generatedFiles } from '../../src/cli/docs.js';

const root = new URL('../../', import.meta.url);

describe('generated man pages and completion scripts', async () => {
  const files = await generatedFiles();

  it('cover every command with a man page', () => {
    for (const page of ['man/atcli.1', 'man/atcli-resolve.1', 'man/atcli-key-generate.1', 'man/atcli-syntax-check.1', 'man/atcli-syntax-tid-inspect.1', 'man/atcli-help.1', 'man/atcli-version.1', 'man/atcli-completion.1']) {
      expect(files.has(page), page).toBe(true);
    }
    expect(files.get('man/atcli-resolve.1')).toContain('.SH EXIT STATUS');
  });

  it('are up to date in the repository (run `npm run gen` after changing commands)', () => {
    const stale: string[] = [];
    for (const [path, content] of files) {
      const url = new URL(path, root);
      if (!existsSync(url) || readFileSync(url, 'utf8') !== content) stale.push(path);
    }
    for (const dir of ['man', 'completions']) {
      for (const name of readdirSync(new URL(`${dir}/`, root))) {
        if (!files.has(`${dir}/${name}`)) stale.push(`${dir}/${name} (no longer generated)`);
      }
    }
    expect(stale, `stale generated files: ${stale.join(', ')}`).toEqual([]);
  });
});
