import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { writeFileAtomic } from '../../../src/core/util/atomic-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atcli-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('refuses an existing file unless overwriting is asked for', async () => {
    const target = join(dir, 'out.json');
    writeFileSync(target, 'old');
    const err = await writeFileAtomic(target, 'new').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtcliError);
    expect((err as AtcliError).code).toBe('FileExists');
    expect((err as AtcliError).exitCode).toBe(2);
    expect(`${(err as AtcliError).message} ${(err as AtcliError).hint ?? ''}`).not.toContain('--');
    expect(readFileSync(target, 'utf8')).toBe('old');
    await writeFileAtomic(target, 'new', { overwrite: true });
    expect(readFileSync(target, 'utf8')).toBe('new');
  });

  it('does not replace a file that appears while the data is still being written', async () => {
    const target = join(dir, 'race.bin');
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([1, 2, 3]);
      // Another program takes the name in the middle of the download.
      writeFileSync(target, 'theirs');
      yield new Uint8Array([4, 5, 6]);
    }
    const err = await writeFileAtomic(target, slow()).catch((e: unknown) => e);
    expect((err as AtcliError).code).toBe('FileExists');
    expect(readFileSync(target, 'utf8')).toBe('theirs');
    // No temp file is left behind.
    expect(await readdir(dir)).toEqual(['race.bin']);
  });

  it('writes a new file and leaves no temp file', async () => {
    const target = join(dir, 'fresh.txt');
    expect(await writeFileAtomic(target, 'hello')).toBe(5);
    expect(readFileSync(target, 'utf8')).toBe('hello');
    expect(await readdir(dir)).toEqual(['fresh.txt']);
  });
});
