// `atcli plc …`: thin handlers over core/plc (offline checks) and core/plc/directory.ts (HTTP).
// Every refusal happens before anything is sent, and is exit 3 with the reason.
import { stat } from 'node:fs/promises';
import type { CommandRun } from '../program.js';
import type { Context } from '../context.js';
import { columns, ndjsonLine, printResult, stderrChalk, stdoutChalk, writeStdout } from '../output.js';
import { confirmAction, promptSecret, readSmallInput } from '../prompt.js';
import { AtcliError, EXIT_CODES, invalid, isAtcliError, usage } from '../../../core/errors.js';
import { parsePrivateKeyText, type KeyType, type PrivateKey } from '../../../core/crypto/index.js';
import { parseIdentifierInput, resolveHandle } from '../../../core/identity/index.js';
import { checkDidPlc } from '../../../core/syntax/index.js';
import {
  authorityForPrev,
  buildErrors,
  buildGenesis,
  buildUpdate,
  checkOperationCid,
  checkOperationForBuild,
  diffOperationData,
  didForGenesis,
  documentFromOperation,
  formatBuildIssue,
  isGenesis,
  isSigned,
  lockoutProblem,
  operationCid,
  operationData,
  operationRotationKeys,
  parseAnyOperation,
  parseOperation,
  signOperation,
  verifyAuditLog,
  verifyOperationSignature,
  withoutSig,
  type AnyOperation,
  type BuildIssue,
  type OperationData,
  type PlcChange,
  type PlcUpdateEdits,
} from '../../../core/plc/index.js';
import { looksLikePrivateKey, redactSecrets } from '../../../core/plc/keys.js';
import {
  AUDIT_LOG_MAX_BYTES,
  PlcDirectoryClient,
  compareDidDocuments,
  exportCursor,
  parseExportCursor,
  type ExportCursor,
} from '../../../core/plc/directory.js';
import {
  checkSubmission,
  fetchVerifiedLog,
  judgementTime,
  operationInLog,
  operationLabel,
  refusal,
  requireValidLog,
  submitChecked,
} from '../../../core/plc/submit.js';

const KEY_TYPE_HOW = 'add --key-type k256 or --key-type p256';

/** Operations are at most a few KiB; anything bigger is not an operation. */
const OPERATION_FILE_MAX_BYTES = 256 * 1024;
const KEY_FILE_MAX_BYTES = 8 * 1024;
const KEY_ENV = 'ATCLI_PLC_SIGNING_KEY';

// ------------------------------------------------------------------------------------------
// shared helpers

async function directory(ctx: Context): Promise<PlcDirectoryClient> {
  return new PlcDirectoryClient({ http: await ctx.httpConfig(), plcUrl: ctx.plcUrl });
}

function checkPlcDid(did: string, flag = 'DID'): string {
  const reason = checkDidPlc(did);
  if (reason === null) return did;
  if (did.startsWith('did:') && !did.startsWith('did:plc:')) {
    throw usage('NotPlcDid', `${did} is not a did:plc; only did:plc identities have a PLC log`);
  }
  const lower = did.toLowerCase();
  throw usage('InvalidDid', `invalid ${flag} ${JSON.stringify(redactSecrets(did)).slice(0, 120)}: ${reason}`, {
    hint: lower !== did && checkDidPlc(lower) === null ? `DIDs are case-sensitive; did you mean ${lower}?` : 'a did:plc is "did:plc:" followed by 24 characters a–z, 2–7',
  });
}

/** `<id>`: a did:plc as is; a handle (or at:// URI) resolved to its DID, which must be a did:plc. */
async function plcDidFor(ctx: Context, id: string): Promise<string> {
  if (looksLikePrivateKey(id)) throw secretOnCommandLine();
  const parsed = parseIdentifierInput(id);
  if ('did' in parsed) return checkPlcDid(parsed.did);
  const resolved = await resolveHandle(await ctx.identityConfig(), parsed.handle);
  for (const w of resolved.warnings) ctx.warn(w);
  if (!resolved.did.startsWith('did:plc:')) {
    throw usage('NotPlcDid', `${parsed.handle} belongs to ${resolved.did}, which is not a did:plc; only did:plc identities have a PLC log`);
  }
  ctx.debug(`${parsed.handle} → ${resolved.did} (${resolved.method})`);
  return checkPlcDid(resolved.did);
}

function secretOnCommandLine(): AtcliError {
  return usage('SecretOnCommandLine', 'that looks like a private key: it must never be passed on the command line (shell history, process lists)', {
    hint: `put it in a file and use --key-file <path>, or set ${KEY_ENV}`,
  });
}

/** Reads and parses a JSON file argument ("-" = stdin) without ever echoing its content. */
async function readJsonArg(path: string, what: string, maxBytes = OPERATION_FILE_MAX_BYTES): Promise<unknown> {
  if (looksLikePrivateKey(path)) throw secretOnCommandLine();
  const text = await readSmallInput(path, maxBytes, what);
  const trimmed = text.trim();
  if (trimmed === '') throw invalid('InvalidJson', `${what} ${path === '-' ? '(stdin)' : path} is empty`);
  if (looksLikePrivateKey(trimmed)) {
    throw invalid('NotAnOperation', `${what} ${path === '-' ? '(stdin)' : path} holds what looks like a private key, not JSON`, {
      hint: 'keys are read with --key-file; the argument is the operation',
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // JSON.parse messages quote the input: report the position only.
    const pos = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
    throw invalid('InvalidJson', `${what} ${path === '-' ? '(stdin)' : path} is not valid JSON${pos !== undefined ? ` (error at position ${pos})` : ''}`);
  }
}


/**
 * The private key from --key-file, else ATCLI_PLC_SIGNING_KEY, else (when `prompt`) a hidden
 * prompt. Undefined when none is given and `prompt` is false.
 */
async function loadPrivateKey(ctx: Context, opts: Record<string, unknown>, prompt: boolean): Promise<PrivateKey | undefined> {
  const keyType = opts.keyType as KeyType | undefined;
  const file = opts.keyFile as string | undefined;
  if (file !== undefined) {
    if (looksLikePrivateKey(file)) throw secretOnCommandLine();
    return parsePrivateKeyText(await readSmallInput(file, KEY_FILE_MAX_BYTES, 'key file'), { ...(keyType !== undefined ? { type: keyType } : {}), source: `--key-file ${file === '-' ? '(stdin)' : file}`, howToGiveType: KEY_TYPE_HOW });
  }
  const env = ctx.env[KEY_ENV];
  if (env !== undefined && env.trim() !== '') return parsePrivateKeyText(env, { ...(keyType !== undefined ? { type: keyType } : {}), source: KEY_ENV, howToGiveType: KEY_TYPE_HOW });
  if (!prompt) return undefined;
  const text = await promptSecret(ctx, 'Private rotation key (input hidden)', `--key-file <path> or ${KEY_ENV}`);
  return parsePrivateKeyText(text, { ...(keyType !== undefined ? { type: keyType } : {}), source: 'the key entered', howToGiveType: KEY_TYPE_HOW });
}

/** Build-check issues: warnings are printed, errors refuse the operation. */
function enforceBuildCheck(ctx: Context, issues: readonly BuildIssue[], what: string, hint?: string): void {
  for (const w of issues.filter((i) => i.level === 'warning')) ctx.warn(`${w.field === '' ? '' : `${w.field}: `}${w.message}`);
  const errors = buildErrors(issues);
  if (errors.length > 0) {
    throw refusal('InvalidPlcOperation', `refusing ${what}`, errors.map((i) => formatBuildIssue(i).replace(/^error: /, '')), hint);
  }
}

function changeSymbol(c: PlcChange): string {
  return c.action === 'added' ? '+' : c.action === 'removed' ? '-' : c.action === 'moved' ? '↕' : '~';
}

function printChanges(ctx: Context, title: string, changes: readonly PlcChange[]): void {
  if (ctx.quiet) return;
  const c = stderrChalk(ctx);
  const lines = [title];
  if (changes.length === 0) lines.push('  (no changes)');
  for (const ch of changes) {
    const color = ch.action === 'added' ? c.green : ch.action === 'removed' ? c.red : c.yellow;
    lines.push(`  ${color(`${changeSymbol(ch)} ${ch.message}`)}`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

function operationJson(op: AnyOperation): string {
  return `${JSON.stringify(op, null, 2)}\n`;
}

function writeInfo(ctx: Context, line: string): void {
  ctx.info(line);
}

// ------------------------------------------------------------------------------------------
// plc history

export async function plcHistoryCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const did = await plcDidFor(ctx, args[0] as string);
  const client = await directory(ctx);
  const log = await fetchVerifiedLog(client, did);
  const v = log.verification;
  const parsed = new Map<string, OperationData | null>();
  v.operations.forEach((r) => {
    try {
      parsed.set(r.cid, operationData(parseOperation((log.entries[r.index] as { operation?: unknown }).operation)));
    } catch {
      /* reported by the replay */
    }
  });
  const nullifiedBy = new Map<string, number>();
  for (const r of v.operations) for (const c of r.nullifies ?? []) nullifiedBy.set(c, r.index);
  const result = {
    did,
    valid: v.valid,
    head: v.head ? { index: v.head.index, cid: v.head.cid, createdAt: v.head.createdAt, type: v.head.type, tombstoned: v.head.tombstoned } : null,
    operations: v.operations.map((r) => {
      const after = parsed.get(r.cid);
      const before = r.prev === null || r.prev === undefined ? null : parsed.get(r.prev);
      const changes =
        after === undefined || (r.prev !== null && before === undefined) ? [] : diffOperationData(before ?? null, after).map((c) => c.message);
      return {
        index: r.index,
        createdAt: r.createdAt,
        cid: r.cid,
        type: r.type,
        prev: r.prev ?? null,
        signedBy: r.signedBy ?? null,
        nullified: r.nullified,
        nullifiedBy: nullifiedBy.get(r.cid) ?? null,
        nullifies: r.nullifies ?? [],
        valid: r.valid,
        changes,
        problems: r.problems,
        warnings: r.warnings,
      };
    }),
    problems: v.problems,
    warnings: v.warnings,
  };
  if (!v.valid) ctx.warn(`the audit log of ${did} does not verify (${v.problems.length} problem${v.problems.length === 1 ? '' : 's'}); "atcli plc verify ${did}" explains`);
  await printResult(ctx, result, (r) => {
    const c = stdoutChalk(ctx);
    const rows = r.operations.map((o) => [
      String(o.index),
      o.createdAt,
      o.cid,
      o.type,
      o.signedBy ? `#${o.signedBy.keyIndex}` : '-',
      o.nullified ? (o.nullifiedBy !== null ? `nullified by #${o.nullifiedBy}` : 'nullified') : '',
      o.valid ? c.green('✓') : c.red('✗'),
    ]);
    const out = [columns(ctx, rows, ['#', 'createdAt', 'cid', 'type', 'key', 'nullified', 'ok'])];
    if (opts.long === true) {
      for (const o of r.operations) {
        out.push('', `#${o.index} ${o.cid}${o.signedBy ? ` signed by rotation key #${o.signedBy.keyIndex} ${o.signedBy.key}` : ''}`);
        for (const ch of o.changes) out.push(`  ${ch}`);
      }
    }
    const problems = r.operations.flatMap((o) => o.problems.map((p) => `${c.red('✗')} #${o.index}: ${p}`));
    if (problems.length > 0) out.push('', ...problems);
    return out.join('\n');
  });
}

// ------------------------------------------------------------------------------------------
// plc data

function multiField(ctx: Context, entries: Array<[string, string[]]>): string {
  const c = stdoutChalk(ctx);
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  const out: string[] = [];
  for (const [k, values] of entries) {
    const shown = values.length === 0 ? ['(none)'] : values;
    shown.forEach((v, i) => out.push(`${c.dim((i === 0 ? k : '').padEnd(width))}  ${v}`));
  }
  return out.join('\n');
}

export async function plcDataCommand({ ctx, args }: CommandRun): Promise<void> {
  const did = await plcDidFor(ctx, args[0] as string);
  const client = await directory(ctx);
  const data = await client.getData(did);
  const handles = data.alsoKnownAs.filter((a) => a.startsWith('at://')).map((a) => a.slice(5));
  await printResult(ctx, data, (d) =>
    multiField(ctx, [
      ['did', [d.did]],
      ['handle', handles.length > 0 ? [handles[0]!] : []],
      ['alsoKnownAs', d.alsoKnownAs],
      ['rotation keys', d.rotationKeys.map((k, i) => `#${i} ${k}${i === 0 ? '  (highest priority)' : ''}`)],
      ['verification methods', Object.entries(d.verificationMethods).map(([n, k]) => `${n}  ${k}`)],
      ['services', Object.entries(d.services).map(([n, s]) => `${n}  ${s.type}  ${s.endpoint}`)],
    ]),
  );
}

// ------------------------------------------------------------------------------------------
// plc verify

async function isFileArg(arg: string): Promise<boolean> {
  if (arg === '-') return true;
  if (arg.startsWith('at://') || arg.startsWith('did:')) return false;
  const info = await stat(arg).catch(() => undefined);
  if (info?.isFile()) return true;
  if (info?.isDirectory()) throw usage('NotAFile', `${arg} is a directory, not an audit-log file`);
  if (arg.endsWith('.json') || arg.includes('/')) throw usage('FileNotFound', `no such audit-log file "${arg}"`);
  return false;
}

export async function plcVerifyCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  const arg = args[0] as string;
  const fromFile = await isFileArg(arg);
  let did: string;
  let entries: unknown[];
  let client: PlcDirectoryClient | undefined;
  if (fromFile) {
    const json = await readJsonArg(arg, 'audit log', AUDIT_LOG_MAX_BYTES);
    if (!Array.isArray(json)) {
      throw invalid('InvalidAuditLog', `${arg === '-' ? 'stdin' : arg} is not an audit log: expected a JSON array of {did, operation, cid, nullified, createdAt}`);
    }
    entries = json;
    const first = entries[0] as { did?: unknown } | undefined;
    const given = (opts.did as string | undefined) ?? (typeof first?.did === 'string' ? first.did : undefined);
    if (given === undefined) throw usage('MissingDid', 'cannot tell which DID the audit log belongs to', { hint: 'pass it with --did <did>' });
    did = checkPlcDid(given);
  } else {
    did = await plcDidFor(ctx, arg);
    client = await directory(ctx);
    entries = await client.getAuditLog(did);
  }
  const v = verifyAuditLog(did, entries);

  // Online: does the directory serve the document the log derives?
  const docProblems: string[] = [];
  let document: { checked: boolean; matches: boolean; differences: string[] } | null = null;
  if (client !== undefined && v.head !== undefined) {
    const head = v.head;
    let served: Record<string, unknown> | undefined;
    let missing = false;
    try {
      served = await client.getDocument(did);
    } catch (err) {
      if (!isAtcliError(err) || err.code !== 'DidNotFound') throw err;
      missing = true;
    }
    const differences: string[] = [];
    if (head.tombstoned) {
      if (!missing) differences.push(`the log ends in a tombstone (${operationLabel(head.index, head.cid)}), but the directory still serves a DID document`);
    } else if (missing || served === undefined) {
      differences.push(`the directory serves no DID document, but the log's head ${operationLabel(head.index, head.cid)} is active`);
    } else {
      differences.push(...compareDidDocuments(documentFromOperation(did, head.data!), served));
    }
    document = { checked: true, matches: differences.length === 0, differences };
    docProblems.push(...differences.map((d) => `DID document: ${d}`));
  }

  const nullified = v.operations
    .filter((r) => r.nullified)
    .map((r) => {
      const by = v.operations.find((o) => (o.nullifies ?? []).includes(r.cid));
      return { index: r.index, cid: r.cid, createdAt: r.createdAt, nullifiedBy: by ? { index: by.index, cid: by.cid } : null };
    });
  const problems = [...v.problems, ...docProblems];
  const result = {
    did,
    valid: problems.length === 0,
    source: fromFile ? 'file' : 'directory',
    operations: v.operations.length,
    nullified,
    head: v.head ? { index: v.head.index, cid: v.head.cid, createdAt: v.head.createdAt, type: v.head.type, tombstoned: v.head.tombstoned } : null,
    document,
    invalidOperations: v.operations.filter((r) => !r.valid).map((r) => ({ index: r.index, cid: r.cid, problems: r.problems })),
    problems,
    warnings: v.warnings,
  };
  for (const w of v.warnings) ctx.warn(w);
  await printResult(ctx, result, (r) => {
    const c = stdoutChalk(ctx);
    const out: string[] = [];
    if (r.valid) {
      out.push(
        c.green(`✓ ${r.did}: the log verifies (${r.operations} operation${r.operations === 1 ? '' : 's'}, ${r.nullified.length} nullified)`) +
          (r.head ? `; head ${operationLabel(r.head.index, r.head.cid)}${r.head.tombstoned ? ', a tombstone: the DID is deactivated' : ''}` : ''),
      );
    } else {
      out.push(c.red(`✗ ${r.did}: verification FAILED (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'})`));
      for (const p of r.problems) out.push(`  ${p}`);
    }
    for (const n of r.nullified) {
      out.push(`  operation #${n.index} (${n.cid}) is nullified${n.nullifiedBy ? ` by operation #${n.nullifiedBy.index} (${n.nullifiedBy.cid})` : ''}`);
    }
    if (r.document?.matches) out.push(c.green("✓ the directory's DID document matches the one the log derives"));
    else if (r.document === null && r.source === 'file') out.push('(offline: the DID document was not compared with a directory)');
    return out.join('\n');
  });
  return result.valid ? 0 : EXIT_CODES.invalid;
}

// ------------------------------------------------------------------------------------------
// plc genesis

export async function plcGenesisCommand({ ctx, opts }: CommandRun): Promise<void> {
  const rotationKeys = opts.rotationKey as string[];
  for (const k of [...rotationKeys, opts.signingKey as string]) if (looksLikePrivateKey(k)) throw secretOnCommandLine();
  const input = { rotationKeys, signingKey: opts.signingKey as string, handle: opts.handle as string, pds: opts.pds as string };
  let op;
  try {
    op = buildGenesis(input);
  } catch (err) {
    // Report every problem at once, not only the first one buildGenesis met.
    const raw = {
      type: 'plc_operation',
      rotationKeys: input.rotationKeys,
      verificationMethods: { atproto: input.signingKey },
      alsoKnownAs: [`at://${input.handle.replace(/^(at:\/\/|@)/, '')}`],
      services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: input.pds } },
      prev: null,
    };
    const errors = buildErrors(checkOperationForBuild(raw));
    if (errors.length > 1) enforceBuildCheck(ctx, errors, 'to build this genesis operation');
    throw err;
  }
  enforceBuildCheck(ctx, checkOperationForBuild(op), 'to build this genesis operation');
  printChanges(ctx, 'genesis operation:', diffOperationData(null, operationData(op)));
  writeInfo(ctx, 'next: sign it with one of its rotation keys: atcli plc sign genesis.json --key-file <rotation key> > signed.json');
  await writeStdout(operationJson(op));
}

// ------------------------------------------------------------------------------------------
// plc update

export async function plcUpdateCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const did = await plcDidFor(ctx, args[0] as string);
  const edits: Omit<PlcUpdateEdits, 'prev'> = {};
  if (opts.handle !== undefined) edits.handle = opts.handle as string;
  if (opts.pds !== undefined) edits.pds = opts.pds as string;
  if (opts.signingKey !== undefined) edits.signingKey = opts.signingKey as string;
  if (opts.addRotationKey !== undefined) edits.addRotationKeys = opts.addRotationKey as string[];
  if (opts.removeRotationKey !== undefined) edits.removeRotationKeys = opts.removeRotationKey as string[];
  if (opts.addRotationKeyFirst === true) edits.addRotationKeysAt = 'first';
  for (const k of [...(edits.addRotationKeys ?? []), ...(edits.removeRotationKeys ?? []), edits.signingKey ?? '']) {
    if (looksLikePrivateKey(k)) throw secretOnCommandLine();
  }
  if (Object.keys(edits).filter((k) => k !== 'addRotationKeysAt').length === 0) {
    throw usage('NothingToChange', 'nothing to change: give at least one of --handle, --pds, --signing-key, --add-rotation-key, --remove-rotation-key', {
      hint: `see the current state with: atcli plc data ${did}`,
    });
  }
  const prevFlag = opts.prev as string | undefined;
  if (prevFlag !== undefined) {
    const reason = checkOperationCid(prevFlag);
    if (reason !== null) throw usage('InvalidCid', `--prev: ${reason}`);
  }

  const client = await directory(ctx);
  const log = await fetchVerifiedLog(client, did);
  requireValidLog(log, did);
  const head = log.verification.head;
  if (head === undefined) throw refusal('AuditLogInvalid', `the audit log of ${did} has no active operation to build on`);
  if (head.tombstoned) {
    throw refusal('PlcDeactivated', `${did} is deactivated: its latest operation ${operationLabel(head.index, head.cid)} is a tombstone, and nothing may extend it`, [], 'a tombstone can only be undone by a recovery within 72 hours: --prev <the CID before it>');
  }
  const prev = prevFlag ?? head.cid;
  const auth = authorityForPrev(did, log.entries, prev, judgementTime(log));
  if (auth.problem !== undefined) throw refusal('InvalidPrev', `cannot build on ${prev}`, [auth.problem]);
  const base = operationInLog(log, prev);
  const state = base === undefined ? null : operationData(base.op);
  if (base === undefined || state === null) throw refusal('InvalidPrev', `cannot build on ${prev}: it is not an active operation of ${did}`);

  const op = buildUpdate(state, { ...edits, prev });
  enforceBuildCheck(ctx, checkOperationForBuild(op), 'to build this operation');
  // Shown against the current state (the head), which for a recovery is not the fork point.
  const headOp = operationInLog(log, head.cid);
  const current = headOp === undefined ? state : operationData(headOp.op) ?? state;
  const changes = diffOperationData(current, operationData(op));
  printChanges(
    ctx,
    auth.isHead
      ? `changes to ${did} (on top of the current ${operationLabel(base.index, prev)}):`
      : `changes to ${did} compared with its current state ${operationLabel(head.index, head.cid)} (the operation builds on ${operationLabel(base.index, prev)}):`,
    changes,
  );
  if (!auth.isHead) {
    const nullified = auth.wouldNullify.map((c) => {
      const r = log.verification.operations.find((o) => o.cid === c);
      return operationLabel(r?.index, c);
    });
    ctx.warn(`this is a RECOVERY: it forks at ${operationLabel(base.index, prev)} and nullifies ${nullified.join(', ')}`);
  }
  if (!op.rotationKeys.some((k) => state.rotationKeys.includes(k))) {
    ctx.warn('none of the current rotation keys remain: you must hold the private key of one of the new ones, or you lose control of this identity');
  }
  const allowed = auth.allowedKeys.map((k) => `#${auth.rotationKeys.indexOf(k)} ${k}`);
  writeInfo(ctx, `it must be signed by one of these rotation keys: ${allowed.join(', ')}`);
  writeInfo(ctx, `next: atcli plc sign op.json --did ${did} --key-file <rotation key> > signed.json && atcli plc submit signed.json --did ${did}`);
  await writeStdout(operationJson(op));
}

// ------------------------------------------------------------------------------------------
// plc sign

export async function plcSignCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const path = args[0] as string;
  if (path === '-' && opts.keyFile === '-') throw usage('ConflictingInput', 'the operation and the key cannot both come from stdin');
  const force = opts.force === true;
  const json = await readJsonArg(path, 'operation');
  const parsed = parseAnyOperation(json);
  if (isSigned(parsed)) ctx.warn('the operation is already signed: its signature will be replaced');
  const unsigned = withoutSig(parsed);
  enforceBuildCheck(ctx, checkOperationForBuild(unsigned), 'to sign this operation');
  const didFlag = opts.did === undefined ? undefined : checkPlcDid(opts.did as string, '--did');

  // Who may sign it?
  let allowed: string[] | undefined;
  let rotationKeys: string[] = [];
  let context = '';
  let before: OperationData | null = null;
  let did = didFlag;
  if (isGenesis(unsigned)) {
    rotationKeys = operationRotationKeys(unsigned);
    allowed = rotationKeys;
    context = 'its own rotation keys (a genesis operation)';
  } else if (didFlag === undefined) {
    if (!force) {
      throw usage('MissingDid', 'to check that the key may sign this update, atcli needs the DID it is for', {
        hint: 'add --did <did> (or --force to sign without the check)',
      });
    }
    ctx.warn('signing without checking the key against the audit log (no --did, --force)');
  } else {
    const client = await directory(ctx);
    const log = await fetchVerifiedLog(client, didFlag);
    const logWarning = requireValidLog(log, didFlag, force);
    if (logWarning !== undefined) ctx.warn(logWarning);
    const prev = unsigned.prev!;
    const auth = authorityForPrev(didFlag, log.entries, prev, judgementTime(log));
    rotationKeys = auth.rotationKeys;
    const base = operationInLog(log, prev);
    before = base === undefined ? null : operationData(base.op);
    context = `the rotation keys of ${operationLabel(auth.index, prev)} (its prev)`;
    if (auth.problem !== undefined) {
      if (!force) throw refusal('InvalidPrev', `refusing to sign: the operation cannot extend ${prev}`, [auth.problem], `build it again on the current state: atcli plc update ${didFlag} …`);
      ctx.warn(`${auth.problem} (signing anyway because of --force; the directory will refuse it)`);
    } else {
      allowed = auth.allowedKeys;
      if (!auth.isHead) {
        context = `the rotation keys of ${operationLabel(auth.index, prev)} that outrank the signer of the first operation it nullifies (a recovery)`;
        ctx.warn(`this operation is a RECOVERY: it would nullify ${auth.wouldNullify.length} operation${auth.wouldNullify.length === 1 ? '' : 's'}`);
      }
    }
  }

  const key = await loadPrivateKey(ctx, opts, true);
  const keyDid = key!.publicKey.did();
  const keyIndex = rotationKeys.indexOf(keyDid);
  if (allowed !== undefined && !allowed.includes(keyDid)) {
    const list = allowed.map((k) => `#${rotationKeys.indexOf(k)} ${k}`).join(', ');
    const reason =
      keyIndex >= 0
        ? `${keyDid} is rotation key #${keyIndex}, which does not outrank the signer of the operation this one would nullify; allowed: ${list || 'none'}`
        : `${keyDid} is not one of ${context}; allowed: ${list || 'none'}`;
    if (!force) throw refusal('UnauthorizedKey', 'refusing to sign with a key that is not authorised for this operation', [reason], 'use one of the allowed rotation keys (or --force to sign anyway; the directory will refuse it)');
    ctx.warn(`${reason} (signing anyway because of --force; the directory will refuse it)`);
  }
  const signed = signOperation(unsigned, key!);
  const cid = operationCid(signed);
  if (isGenesis(signed)) {
    did = didForGenesis(signed);
    if (didFlag !== undefined && didFlag !== did) {
      throw refusal('DidMismatch', `this genesis operation creates ${did}, not ${didFlag}`);
    }
  }
  const lockout = lockoutProblem(before, operationData(signed), [keyDid]);
  if (lockout !== null) ctx.warn(`${lockout}; "atcli plc submit" will refuse it unless --force (or unless you hold one of the new keys: --key-file)`);
  writeInfo(ctx, `signed with ${keyIndex >= 0 ? `rotation key #${keyIndex} ` : ''}${keyDid}; operation CID ${cid}${isGenesis(signed) ? `; it creates ${did}` : ''}`);
  await writeStdout(operationJson(signed));
}

// ------------------------------------------------------------------------------------------
// plc submit

export async function plcSubmitCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const path = args[0] as string;
  if (path === '-' && opts.keyFile === '-') throw usage('ConflictingInput', 'the operation and the key cannot both come from stdin');
  const json = await readJsonArg(path, 'operation');
  // Shape and strict signature encoding (padding, length), and a well-formed resulting document: no network yet.
  const op = parseOperation(json);
  enforceBuildCheck(ctx, checkOperationForBuild(op), 'to submit this operation');
  const did = opts.did === undefined ? undefined : checkPlcDid(opts.did as string, '--did');
  const extraKey = await loadPrivateKey(ctx, opts, false);
  const client = await directory(ctx);
  const check = await checkSubmission(client, op, {
    ...(did !== undefined ? { did } : {}),
    force: opts.force === true,
    heldKeys: extraKey !== undefined ? [extraKey.publicKey.did()] : [],
  });
  for (const note of check.forced) ctx.warn(note);
  printChanges(ctx, `operation ${check.cid} for ${check.did} (prev: ${check.prevLabel}; signed by rotation key #${check.signer.keyIndex} ${check.signer.key}); changes to the current state:`, check.changes);
  for (const n of check.nullifies) ctx.warn(`this RECOVERY nullifies ${n.label}`);
  const url = `${client.baseUrl}/${check.did}`;
  const changes = check.changes.map((c) => c.message);
  if (ctx.dryRun) {
    const plan = { dryRun: true, did: check.did, url, method: 'POST', cid: check.cid, prev: op.prev, signedBy: check.signer, nullifies: check.nullifies.map((n) => n.cid), changes, operation: op, submitted: false };
    await printResult(ctx, plan, (p) => `dry run: would POST to ${p.url}:\n${JSON.stringify(p.operation, null, 2)}`);
    return;
  }
  if (!(await confirmAction(ctx, `Submit this operation for ${check.did} to ${client.baseUrl}?`))) {
    throw new AtcliError('usage', 'Cancelled', 'not submitted: cancelled at the confirmation');
  }
  await submitChecked(client, check);
  const result = { did: check.did, cid: check.cid, submitted: true, confirmed: true, genesis: isGenesis(op), signedBy: check.signer, nullified: check.nullifies.map((n) => n.cid), changes };
  await printResult(ctx, result, (r) => `${stdoutChalk(ctx).green('✓')} submitted ${r.cid} for ${r.did}; the directory's latest operation is now this one`);
}

// ------------------------------------------------------------------------------------------
// plc calc-did

export async function plcCalcDidCommand({ ctx, args }: CommandRun): Promise<void> {
  const json = await readJsonArg(args[0] as string, 'operation');
  const op = parseOperation(json);
  const did = didForGenesis(op);
  const sig = verifyOperationSignature(op, operationRotationKeys(op));
  if (!sig.ok) {
    throw refusal('InvalidSignature', 'not a valid signed genesis operation: it is not signed by one of its own rotation keys', [sig.reason!], 'sign it with one of its rotation keys: atcli plc sign');
  }
  const result = { did, cid: operationCid(op), signedBy: { keyIndex: sig.keyIndex!, key: sig.key! } };
  await printResult(ctx, result, (r) => r.did);
}

// ------------------------------------------------------------------------------------------
// plc dump

function positiveInt(value: unknown, flag: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value);
  const n = Number(s);
  if (!/^[0-9]+$/.test(s) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw usage('InvalidNumber', `${flag} must be a whole number from 1 to ${max}, got ${JSON.stringify(s).slice(0, 40)}`);
  }
  return n;
}

export async function plcDumpCommand({ ctx, opts }: CommandRun): Promise<number> {
  const cursor = opts.cursor === undefined ? undefined : parseExportCursor(opts.cursor as string);
  const limit = positiveInt(opts.limit, '--limit');
  const count = positiveInt(opts.count, '--count', 1000) ?? 1000;
  const intervalSec = Number(opts.interval ?? 5);
  if (!Number.isFinite(intervalSec) || intervalSec <= 0) throw usage('InvalidNumber', `--interval must be a positive number of seconds, got ${JSON.stringify(String(opts.interval))}`);
  const client = await directory(ctx);
  let last: ExportCursor | undefined = cursor;
  let n = 0;
  const resume = (): string => (last === undefined ? 'atcli plc dump' : `atcli plc dump --cursor ${last}`);
  try {
    const stream = client.exportStream({
      ...(cursor !== undefined ? { cursor } : {}),
      tail: opts.tail === true,
      intervalMs: Math.round(intervalSec * 1000),
      count: limit !== undefined ? Math.min(count, limit) : count,
      signal: ctx.signal,
      onRetry: (err, attempt) => ctx.warn(`${err.message}; retrying (${attempt})`),
    });
    for await (const entry of stream) {
      await writeStdout(ndjsonLine(entry));
      last = exportCursor(entry);
      n++;
      if (limit !== undefined && n >= limit) break;
    }
  } catch (err) {
    if (ctx.signal.aborted || (isAtcliError(err) && err.kind === 'interrupted')) {
      process.stderr.write(`stopped after ${n} operation${n === 1 ? '' : 's'}; last cursor: ${last ?? '(none)'}; resume with: ${resume()}\n`);
      return EXIT_CODES.interrupted;
    }
    if (n > 0) process.stderr.write(`failed after ${n} operation${n === 1 ? '' : 's'}; last cursor: ${last}; resume with: ${resume()}\n`);
    throw err;
  }
  ctx.info(`${n} operation${n === 1 ? '' : 's'}; last cursor: ${last ?? '(none)'}; continue with: ${resume()}`);
  return 0;
}
