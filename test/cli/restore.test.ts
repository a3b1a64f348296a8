// restore in-process: what is refused before any key is asked for or any request is made.
import { describe, expect, it } from 'vitest';
import { tempDir } from './run-cli.js';
import { runIn } from '../support/test-io.js';

describe('restore', () => {
  it('needs --to unless resuming, and a backup folder (exit 2)', async () => {
    const noTo = await runIn(['restore', tempDir('atcli-restore-')]);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toContain('--to');
    const notBackup = await runIn(['restore', tempDir('atcli-restore-'), '--to', 'https://pds.example']);
    expect(notBackup.code).toBe(2);
    expect(notBackup.stderr).toContain('not an atcli backup');
    expect((await runIn(['restore', 'd', '--to', 'not a url'])).code).toBe(2);
  });

  it('a damaged backup manifest is refused before any key is asked for (exit 3)', async () => {
    const dir = tempDir('atcli-restore-');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/backup.json`, '{}');
    expect((await runIn(['restore', dir, '--to', 'https://pds.example'])).code).toBe(3);
  });
});
