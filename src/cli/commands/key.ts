import type { CommandRun } from '../program.js';
import { fields, printResult } from '../output.js';
import { readSmallInput } from '../prompt.js';
import { generatePrivateKey, parseAnyPublicKey, parsePrivateKey, type KeyType, type PublicKeyForm } from '../../core/crypto/index.js';
import { usage } from '../../core/errors.js';

export interface GeneratedKey {
  type: KeyType;
  privateKey: string;
  publicKey: string;
}

export async function keyGenerateCommand({ ctx, opts }: CommandRun): Promise<void> {
  const key = generatePrivateKey(opts.type as KeyType);
  const result: GeneratedKey = { type: key.type, privateKey: key.multikey(), publicKey: key.publicKey.did() };
  if (ctx.stdoutIsTTY) ctx.warn('the private key is printed once and not stored by atcli: save it somewhere safe now');
  await printResult(ctx, result, (r) =>
    fields(ctx, [
      ['type', r.type],
      ['public key', r.publicKey],
      ['private key', r.privateKey],
    ]),
  );
}

export interface InspectedKey {
  type: KeyType;
  publicKey: string;
  multikey: string;
  private: boolean;
  /** How the input was encoded: did:key, multikey, legacy raw point, or a private multikey. */
  form: PublicKeyForm | 'private-multikey';
}

/** Private multikeys start with these multicodec prefixes once base58-decoded; checked by parse. */
function looksPrivate(text: string): boolean {
  try {
    parsePrivateKey(text);
    return true;
  } catch {
    return false;
  }
}

export async function keyInspectCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const arg = args[0] as string | undefined;
  const file = opts.keyFile as string | undefined;
  if (arg !== undefined && file !== undefined) throw usage('ConflictingArguments', 'give the key either as an argument or with --key-file, not both');
  let text: string;
  let fromArgv = false;
  if (file !== undefined) text = await readSmallInput(file, 4096, 'key file');
  else if (arg === '-' ) text = await readSmallInput('-', 4096, 'key from stdin');
  else if (arg !== undefined) {
    text = arg;
    fromArgv = true;
  } else throw usage('MissingArgument', 'no key given', { hint: 'pass a public key as the argument, or a private key with --key-file <path> or "-" for stdin' });
  text = text.trim();

  let result: InspectedKey;
  if (looksPrivate(text)) {
    if (fromArgv) {
      throw usage('SecretOnCommandLine', 'that is a private key: it must not be passed on the command line (shell history, process lists)', {
        hint: 'use --key-file <path>, or pipe it: atcli key inspect - < key.txt',
      });
    }
    const key = parsePrivateKey(text);
    result = { type: key.type, publicKey: key.publicKey.did(), multikey: key.publicKey.multikey(), private: true, form: 'private-multikey' };
  } else {
    const { key, form } = parseAnyPublicKey(text, opts.type ? { type: opts.type as KeyType } : {});
    result = { type: key.type, publicKey: key.did(), multikey: key.multikey(), private: false, form };
  }
  await printResult(ctx, result, (r) =>
    fields(ctx, [
      ['type', r.type],
      ['kind', r.private ? 'private key' : `public key (${r.form}${r.form === 'legacy' ? ' raw-point multibase' : ''})`],
      ['did:key', r.publicKey],
      ['multikey', r.multikey],
    ]),
  );
}
