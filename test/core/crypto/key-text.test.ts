// One key-text parser for every form atcli writes: bare keys, the JSON and text of key
// generation, and the JSON and text of key inspection (the built CLI's own output is read back
// in test/cli/key-formats.test.ts).
import { describe, expect, it } from 'vitest';
import { describeKeyText, generatePrivateKey, parseKeyText, parsePrivateKeyText, type KeyType } from '../../../src/core/crypto/index.js';

const src = { source: 'key file k' };

/** What `key generate` prints: `label  value` lines, labels padded to one width. */
function fieldsText(entries: Array<[string, string]>, color = false): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return `${entries.map(([k, v]) => `${color ? `\u001b[2m${k.padEnd(width)}\u001b[22m` : k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

describe.each<KeyType>(['k256', 'p256'])('%s: every form atcli writes', (type) => {
  const key = generatePrivateKey(type);
  const did = key.publicKey.did();
  const generated = { type, privateKey: key.multikey(), publicKey: did };

  it.each([
    ['the bare private multikey', `${key.multikey()}\n`],
    ['generate --json', `${JSON.stringify(generated, null, 2)}\n`],
    ['generate (text)', fieldsText([['type', type], ['public key', did], ['private key', key.multikey()]])],
    ['generate (text, coloured on a terminal)', fieldsText([['type', type], ['public key', did], ['private key', key.multikey()]], true)],
    ['a "private key: z…" line', `private key: ${key.multikey()}\n`],
  ])('%s is read as the private key', (_name, text) => {
    const parsed = parseKeyText(text, src);
    expect(parsed.private).toBe(true);
    expect(parsed.publicKey.did()).toBe(did);
    expect(parsePrivateKeyText(text, src).multikey()).toBe(key.multikey());
    const d = describeKeyText(text, src);
    expect(d).toMatchObject({ type, publicKey: did, private: true, form: 'private-multikey' });
    expect(JSON.stringify(d)).not.toContain(key.multikey());
  });

  it.each([
    ['a bare did:key', did, 'did:key'],
    ['a bare multikey', key.publicKey.multikey(), 'multikey'],
    ['inspect --json', JSON.stringify({ type, publicKey: did, multikey: key.publicKey.multikey(), private: false, form: 'did:key' }, null, 2), 'did:key'],
    ['inspect (text)', fieldsText([['type', type], ['kind', 'public key (did:key)'], ['did:key', did], ['multikey', key.publicKey.multikey()]]), 'did:key'],
  ])('%s is read as the public key', (_name, text, form) => {
    const parsed = parseKeyText(text, src);
    expect(parsed).toMatchObject({ private: false, form });
    expect(parsed.publicKey.did()).toBe(did);
    expect(() => parsePrivateKeyText(text, src)).toThrow(/public key/);
  });

  it('hex with its curve, from the option or the JSON type field', () => {
    expect(parseKeyText(key.hex(), { ...src, type }).publicKey.did()).toBe(did);
    expect(describeKeyText(JSON.stringify({ type, privateKey: key.hex() }), src)).toMatchObject({ publicKey: did, form: 'private-hex', layout: 'json' });
    expect(() => parseKeyText(key.hex(), src)).toThrow(expect.objectContaining({ code: 'AmbiguousKeyType', kind: 'usage' }));
  });
});

describe('key text that does not hold together', () => {
  const a = generatePrivateKey('k256');
  const b = generatePrivateKey('k256');
  const p = generatePrivateKey('p256');

  it('a private key beside a public key that is not its own', () => {
    const text = JSON.stringify({ type: 'k256', privateKey: a.multikey(), publicKey: b.publicKey.did() });
    expect(() => parseKeyText(text, src)).toThrow(expect.objectContaining({ code: 'InvalidKeyText', message: expect.stringContaining('not its public key') }));
  });

  it('a type field that is not the key type, or unknown', () => {
    expect(() => parseKeyText(JSON.stringify({ type: 'k256', privateKey: p.multikey() }), src)).toThrow(/p256/);
    expect(() => parseKeyText(JSON.stringify({ type: 'ed25519', publicKey: a.publicKey.did() }), src)).toThrow(/unknown key type/);
  });

  it('no key at all, JSON that is not an object, or an empty file', () => {
    expect(() => parseKeyText('{"name": "x"}', src)).toThrow(/holds no key/);
    expect(() => parseKeyText('{not json', src)).toThrow(/not valid JSON/);
    expect(() => parseKeyText('hello there\nsecond line', src)).toThrow(/none of them labelled/);
    expect(() => parseKeyText('  \n', src)).toThrow(/empty/);
  });

  it('a value longer than any key is refused before it is decoded', () => {
    const started = performance.now();
    expect(() => parseKeyText(`z${'Q3sh'.repeat(10_000)}`, src)).toThrow(/no key is longer than/);
    expect(() => parsePrivateKeyText(`{"privateKey": "z${'Q3sh'.repeat(10_000)}"}`, src)).toThrow(/no key is longer than/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('errors never repeat a private key', () => {
    const text = JSON.stringify({ type: 'k256', privateKey: a.multikey(), publicKey: b.publicKey.did() });
    try {
      parseKeyText(text, src);
      expect.unreachable();
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(a.multikey());
    }
  });
});
