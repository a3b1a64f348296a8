// `<car|id>` arguments: real files, devices, pipes and directories on this machine.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileChunks } from '../../../src/core/codec/index.js';
import { parseDidKey } from '../../../src/core/crypto/index.js';
import { classifyRepoArgument } from '../../../src/core/repo/source.js';
import { verifyRepoCar } from '../../../src/core/repo/verify.js';

const example = new URL('../../../examples/alice.car', import.meta.url).pathname;
const alice = JSON.parse(readFileSync(new URL('../../../examples/alice.json', import.meta.url), 'utf8')) as { signingKey: string };
const dir = mkdtempSync(join(tmpdir(), 'atcli-source-'));

describe('classifyRepoArgument', () => {
  it('a regular file, with its size', async () => {
    expect(await classifyRepoArgument(example)).toEqual({ kind: 'file', path: example, size: readFileSync(example).length });
  });

  it('/dev/null is a readable file of unknown length, and an invalid (empty) CAR', async () => {
    expect(await classifyRepoArgument('/dev/null')).toEqual({ kind: 'file', path: '/dev/null', size: null });
    const report = await verifyRepoCar(fileChunks('/dev/null'), { key: parseDidKey(alice.signingKey) });
    expect(report.status).toBe('invalid');
    expect(report.errors.join()).toContain('empty CAR');
  });

  it('an empty regular file is an invalid CAR, not a missing one', async () => {
    const empty = join(dir, 'empty.car');
    writeFileSync(empty, '');
    expect(await classifyRepoArgument(empty)).toEqual({ kind: 'file', path: empty, size: 0 });
    expect((await verifyRepoCar(fileChunks(empty))).status).toBe('invalid');
  });

  it('a named pipe is read as it is written', async () => {
    const fifo = join(dir, 'pipe.car');
    execFileSync('mkfifo', [fifo]);
    expect(await classifyRepoArgument(fifo)).toEqual({ kind: 'file', path: fifo, size: null });
    const writer = createWriteStream(fifo);
    writer.end(readFileSync(example));
    const report = await verifyRepoCar(fileChunks(fifo), { key: parseDidKey(alice.signingKey) });
    expect(report.status).toBe('valid');
  });

  it('a missing path, a directory and a socket are usage errors', async () => {
    await expect(classifyRepoArgument(join(dir, 'nope.car'))).rejects.toMatchObject({ kind: 'usage', code: 'FileNotFound', message: expect.stringContaining('no such CAR file') });
    await expect(classifyRepoArgument('./nope')).rejects.toMatchObject({ kind: 'usage', code: 'FileNotFound' });
    await expect(classifyRepoArgument(join(dir, 'nope.car', 'below'))).rejects.toMatchObject({ kind: 'usage', code: 'FileNotFound' });
    await expect(classifyRepoArgument(dir)).rejects.toMatchObject({ kind: 'usage', code: 'NotAFile', message: expect.stringContaining('directory') });
  });

  it.skipIf(process.getuid?.() === 0)('a file that cannot be read is a runtime error', async () => {
    const locked = join(dir, 'locked.car');
    writeFileSync(locked, readFileSync(example));
    chmodSync(locked, 0o000);
    await expect(classifyRepoArgument(locked)).rejects.toMatchObject({ kind: 'runtime', code: 'FileUnreadable', message: expect.stringContaining('permission denied') });
  });

  it('accounts: handles, DIDs, @handles and at:// URIs', async () => {
    expect(await classifyRepoArgument('alice.example.com')).toEqual({ kind: 'account', id: 'alice.example.com' });
    expect(await classifyRepoArgument('@alice.example.com')).toEqual({ kind: 'account', id: 'alice.example.com' });
    expect(await classifyRepoArgument('did:plc:wrycimz2ktdntydj5z5qmpcq')).toEqual({ kind: 'account', id: 'did:plc:wrycimz2ktdntydj5z5qmpcq' });
    expect(await classifyRepoArgument('at://did:plc:wrycimz2ktdntydj5z5qmpcq')).toEqual({ kind: 'account', id: 'at://did:plc:wrycimz2ktdntydj5z5qmpcq' });
  });

  it('neither a file nor an account: a usage error saying why', async () => {
    await expect(classifyRepoArgument('not an id')).rejects.toMatchObject({ kind: 'usage', code: 'InvalidIdentifier', message: expect.stringContaining('neither a CAR file nor an account') });
    await expect(classifyRepoArgument('')).rejects.toMatchObject({ kind: 'usage', code: 'InvalidIdentifier' });
  });
});
