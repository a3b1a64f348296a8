// Every key form the built atcli writes is read back by the one key-text parser in core.
import { describe, expect, it } from 'vitest';
import { describeKeyText, parsePrivateKeyText } from '../../src/core/crypto/index.js';
import { runCli, stdoutJson } from './run-cli.js';

const src = { source: 'key file' };

describe.each(['k256', 'p256'])('%s keys written by key generate / key inspect', (type) => {
  it('generate --json and generate (text) read back as the same private key', async () => {
    const json = await runCli(['key', 'generate', '--type', type, '--json']);
    expect(json.code).toBe(0);
    const written = stdoutJson<{ privateKey: string; publicKey: string }>(json);
    expect(describeKeyText(json.stdout, src)).toMatchObject({ type, private: true, publicKey: written.publicKey, layout: 'json' });
    expect(parsePrivateKeyText(json.stdout, src).multikey()).toBe(written.privateKey);

    const text = await runCli(['key', 'generate', '--type', type], { env: { FORCE_COLOR: '1', NO_COLOR: undefined } });
    expect(text.code).toBe(0);
    const d = describeKeyText(text.stdout, src);
    expect(d).toMatchObject({ type, private: true, layout: 'fields' });
    expect(text.stdout).toContain(d.publicKey);
  });

  it('inspect --json and inspect (text) read back as the public key', async () => {
    const { publicKey } = stdoutJson<{ publicKey: string }>(await runCli(['key', 'generate', '--type', type, '--json']));
    for (const args of [['--json'], []]) {
      const r = await runCli(['key', 'inspect', publicKey, ...args]);
      expect(r.code).toBe(0);
      expect(describeKeyText(r.stdout, src)).toMatchObject({ type, private: false, publicKey });
    }
  });
});
