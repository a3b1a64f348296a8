// What the plc commands share: the <id> argument as a did:plc, operation files, the private-key
// options, and how changes and warnings are shown on stderr.
import { invalid, usage } from '../../../core/errors.js';
import type { SigRequirement } from '../../../core/plc/operation.js';
import type { OperationFile } from '../../../core/plc/operation-file.js';
import type { PlcChange } from '../../../core/plc/update.js';
import { checkDidPlc } from '../../../core/syntax/index.js';
import type { Factory } from '../../factory.js';
import { arg, opt } from '../../flags.js';
import { readJsonArgument, refuseSecretArgument } from '../../inputs.js';
import type { IO } from '../../io.js';
import type { StderrWriter } from '../../render/stderr.js';
import { capped } from '../../render/text.js';
import type { OptionSpec } from '../../spec.js';

export const KEY_ENV = 'ATCLI_PLC_SIGNING_KEY';
/** How to give a private key instead of typing it as an argument. */
export const KEY_HOW = `put it in a file and use --key-file <path>, or set ${KEY_ENV}`;
export const KEY_SOURCES = `The private rotation key comes from --key-file (a file holding the private multikey z…, 64 hex characters with --key-type, or the JSON of "atcli key generate --json"), else ${KEY_ENV}, else a hidden prompt; never from a command-line argument.`;

/** Operations are at most a few KiB; anything bigger is not an operation. */
const OPERATION_FILE_MAX_BYTES = 256 * 1024;
/** How many items of a list from untrusted data are shown. */
export const SHOWN = 20;

export const idArg = arg.required('id', 'did:plc, handle or at:// URI');

export function keyFileOption(description: string): OptionSpec<string | undefined> {
  return opt.value('--key-file <path>', description, { valueKind: 'file' });
}

export const keyTypeOption = opt.choice('--key-type <type>', 'curve of a hex private key in --key-file', ['k256', 'p256']);

/**
 * The old -f/--force of sign and submit, which skipped checks: refused, naming the flags that say
 * which check to skip (-f only ever means "overwrite" in atcli).
 */
export function removedForce(replacements: string): OptionSpec<undefined> {
  return {
    flags: '-f, --force',
    description: 'removed: see the --skip / --allow flags',
    hidden: true,
    convert: (raw) => {
      if (raw === true) throw usage('RemovedFlag', '-f/--force no longer exists here: it skipped safety checks, and -f only ever means "overwrite" in atcli', { hint: replacements });
      return undefined;
    },
  };
}

function checkPlcDid(did: string): string {
  const reason = checkDidPlc(did);
  if (reason === null) return did;
  if (did.startsWith('did:') && !did.startsWith('did:plc:')) throw usage('NotPlcDid', `${did} is not a did:plc; only did:plc identities have a PLC log`);
  const lower = did.toLowerCase();
  throw usage('InvalidDid', `invalid did:plc ${JSON.stringify(did.slice(0, 120))}: ${reason}`, {
    hint: lower !== did && checkDidPlc(lower) === null ? `DIDs are case-sensitive; did you mean ${lower}?` : 'a did:plc is "did:plc:" followed by 24 characters a–z, 2–7',
  });
}

/** `<id>` as a did:plc: a DID as it is; a handle (or at:// URI) resolved to its DID. */
export async function plcDid(f: Factory, err: StderrWriter, id: string): Promise<string> {
  await refuseSecretArgument(id, KEY_HOW);
  const { parseIdentifierInput, resolveHandle } = await import('../../../core/identity/index.js');
  const parsed = parseIdentifierInput(id);
  if ('did' in parsed) return checkPlcDid(parsed.did);
  const identity = await f.identity();
  const resolved = await waitFor(err, `resolving ${parsed.handle}`, () => resolveHandle(identity, parsed.handle));
  for (const w of resolved.warnings) err.warn(w);
  if (!resolved.did.startsWith('did:plc:')) {
    throw usage('NotPlcDid', `${parsed.handle} belongs to ${resolved.did}, which is not a did:plc; only did:plc identities have a PLC log`);
  }
  err.debug(`${parsed.handle} → ${resolved.did} (${resolved.method})`);
  return checkPlcDid(resolved.did);
}

/** A wait of unknown length: a spinner on a terminal; nothing when stderr is not one (these waits are short). */
export async function waitFor<T>(err: StderrWriter, label: string, work: () => Promise<T>): Promise<T> {
  if (!err.interactive) return work();
  const spinner = err.spinner(label);
  try {
    return await work();
  } finally {
    spinner.stop();
  }
}

/** An operation file ("-" = stdin): a bare operation or the {did, operation} wrapper. */
export async function readOperationFile(io: IO, path: string, sig?: SigRequirement): Promise<OperationFile> {
  await refuseSecretArgument(path, KEY_HOW);
  const [{ looksLikePrivateKey }, { parseOperationFile }] = await Promise.all([import('../../../core/plc/keys.js'), import('../../../core/plc/operation-file.js')]);
  const json = await readJsonArgument(io, path, 'operation', OPERATION_FILE_MAX_BYTES, (text, where) => {
    if (looksLikePrivateKey(text.trim())) throw invalid('NotAnOperation', `operation ${where} holds what looks like a private key, not JSON`);
  });
  return parseOperationFile(json, sig !== undefined ? { sig } : {});
}

/** Refuses reading both the operation and the key from stdin. */
export function oneStdin(path: string, keyFile: string | undefined): void {
  if (path === '-' && keyFile === '-') throw usage('ConflictingInput', 'the operation and the key cannot both come from stdin');
}

const SYMBOL: Record<PlcChange['action'], string> = { added: '+', removed: '-', moved: '↕', changed: '~' };

/** What an operation changes, one line each, on stderr (not with -q). */
export function showChanges(err: StderrWriter, title: string, changes: readonly PlcChange[], omitted: number): void {
  const c = err.color;
  const lines = [title];
  if (changes.length === 0) lines.push('  (no changes)');
  for (const ch of changes) {
    const color = ch.action === 'added' ? c.green : ch.action === 'removed' ? c.red : c.yellow;
    lines.push(`  ${color(`${SYMBOL[ch.action]} ${ch.message}`)}`);
  }
  if (omitted > 0) lines.push(`  … and ${omitted} more`);
  err.info(lines.join('\n'));
}

/** Warnings on stderr: the first 20, and how many more (`omitted` counts those already left out). */
export function showWarnings(err: StderrWriter, warnings: readonly string[], omitted: number): void {
  const { shown, more } = capped(warnings, SHOWN);
  for (const w of shown) err.warn(w);
  if (more + omitted > 0) err.warn(`… and ${more + omitted} more warnings`);
}
