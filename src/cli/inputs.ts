// Where commands read their inputs from: small files or stdin ("-") with a size cap, JSON
// arguments, private keys (a file, an environment variable or a hidden prompt — never argv).
import { AtcliError, invalid, runtime, usage } from '../core/errors.js';
import type { KeyType, PrivateKey, PublicKey } from '../core/crypto/index.js';
import type { IO } from './io.js';
import type { Prompts } from './context.js';

/** Reads a whole small input ("-" = stdin) such as a key file or a JSON body, with a size cap. */
export async function readSmallInput(io: IO, path: string, maxBytes: number, what: string): Promise<string> {
  const { createReadStream } = await import('node:fs');
  const stream = path === '-' ? io.stdin : createReadStream(path);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) throw usage('InputTooLarge', `${what} is larger than ${maxBytes} bytes`);
      chunks.push(bytes);
    }
  } catch (err) {
    if (err instanceof AtcliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usage('FileNotFound', `${what}: no such file "${path}"`);
    if (code === 'EISDIR') throw usage('NotAFile', `${what}: "${path}" is a directory`);
    throw runtime('ReadFailed', `could not read ${what} "${path}": ${(err as Error).message}`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Refuses a private key typed as an argument: it would land in shell history and process lists. */
export async function refuseSecretArgument(value: string, provide: string): Promise<void> {
  const { looksLikePrivateKey } = await import('../core/plc/keys.js');
  if (looksLikePrivateKey(value)) {
    throw usage('SecretOnCommandLine', 'that looks like a private key: it must never be passed on the command line (shell history, process lists)', { hint: provide });
  }
}

/** A public key given as a flag value (did:key:z…); a private key there is refused, never echoed. */
export async function publicKeyArgument(value: string, flag: string): Promise<PublicKey> {
  await refuseSecretArgument(value, `${flag} takes the public key (did:key:z…); keep the private key out of the command line`);
  const { parseDidKey } = await import('../core/crypto/index.js');
  try {
    return parseDidKey(value);
  } catch (err) {
    if (!(err instanceof AtcliError)) throw err;
    throw usage('InvalidKey', `${flag}: ${err.message}`, { hint: 'give the public signing key as did:key:z…' });
  }
}

/**
 * A JSON document from a file or stdin ("-"); never echoes the content in errors. `inspect` may
 * refuse the text before it is parsed (a private key where a document belongs).
 */
export async function readJsonArgument(io: IO, path: string, what: string, maxBytes: number, inspect?: (text: string, where: string) => void): Promise<unknown> {
  const text = await readSmallInput(io, path, maxBytes, what);
  const where = path === '-' ? '(stdin)' : path;
  inspect?.(text, where);
  if (text.trim() === '') throw invalid('InvalidJson', `${what} ${where} is empty`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // JSON.parse messages quote the input: report the position only.
    const pos = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
    throw invalid('InvalidJson', `${what} ${where} is not valid JSON${pos !== undefined ? ` (error at position ${pos})` : ''}`);
  }
}

export interface KeySource {
  /** --key-file value, if given. */
  file: string | undefined;
  /** The environment variable that may hold the key. */
  envName: string;
  /** Curve for a hex key. */
  keyType?: KeyType;
  /** What the prompt asks for; no prompt when absent. */
  promptMessage?: string;
}

const KEY_FILE_MAX_BYTES = 8 * 1024;
const HOW_TO_GIVE_TYPE = 'add --key-type k256 or --key-type p256';

/** A private key from --key-file, else the environment variable, else a hidden prompt (if asked for). */
export async function loadPrivateKey(io: IO, prompts: Prompts, source: KeySource): Promise<PrivateKey | undefined> {
  const { parsePrivateKeyText } = await import('../core/crypto/index.js');
  const type = source.keyType !== undefined ? { type: source.keyType } : {};
  if (source.file !== undefined) {
    await refuseSecretArgument(source.file, `put it in a file and use --key-file <path>, or set ${source.envName}`);
    const text = await readSmallInput(io, source.file, KEY_FILE_MAX_BYTES, 'key file');
    return parsePrivateKeyText(text, { ...type, source: `--key-file ${source.file === '-' ? '(stdin)' : source.file}`, howToGiveType: HOW_TO_GIVE_TYPE });
  }
  const env = io.env[source.envName];
  if (env !== undefined && env.trim() !== '') return parsePrivateKeyText(env, { ...type, source: source.envName, howToGiveType: HOW_TO_GIVE_TYPE });
  if (source.promptMessage === undefined) return undefined;
  const text = await prompts.secret(source.promptMessage, `--key-file <path> or ${source.envName}`);
  return parsePrivateKeyText(text, { ...type, source: 'the key entered', howToGiveType: HOW_TO_GIVE_TYPE });
}

/** A secret (password) from an environment variable, else a hidden prompt. */
export async function secretFrom(io: IO, prompts: Prompts, envName: string, message: string): Promise<string> {
  const value = io.env[envName];
  if (value !== undefined && value !== '') return value;
  return prompts.secret(message, envName);
}
