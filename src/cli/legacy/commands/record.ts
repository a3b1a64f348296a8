import type { CommandRun } from '../program.js';
import type { Context } from '../context.js';
import { fields, jsonReplacer, ndjsonLine, printResult, stderrChalk, writeStdout } from '../output.js';
import { confirmAction, readSmallInput } from '../prompt.js';
import { openSession } from '../session.js';
import { AtcliError, invalid, isAtcliError, notFound, usage } from '../../../core/errors.js';
import { parseDidKey, type PublicKey } from '../../../core/crypto/index.js';
import { resolveIdentity, type AtprotoIdentity } from '../../../core/identity/index.js';
import { parseAtUri } from '../../../core/syntax/index.js';
import { XrpcClient } from '../../../core/xrpc/index.js';
import type { ProofCheck } from '../../../core/repo/proof.js';
import {
  MAX_RECORD_JSON_BYTES,
  checkCidArgument,
  checkCollection,
  checkRkey,
  checkServedRecord,
  createRecord,
  deleteRecord,
  fetchRecordProof,
  getRecord,
  listCollections,
  listRecords,
  parseRecordBody,
  putRecord,
  recordUri,
  type FetchedRecord,
  type RecordBody,
} from '../../../core/repo/records.js';

// --- shared helpers ---

function parseRecordAtUri(uri: string): { authority: string; collection: string; rkey: string } {
  const parsed = parseAtUri(uri);
  if (parsed.collection === undefined || parsed.rkey === undefined) {
    throw usage('InvalidAtUri', `"${uri}" does not name a record`, { hint: 'a record URI has a collection and a record key: at://<handle or DID>/<collection>/<rkey>' });
  }
  return { authority: parsed.authority, collection: parsed.collection, rkey: parsed.rkey };
}

async function resolveAccount(ctx: Context, id: string): Promise<{ identity: AtprotoIdentity; client: XrpcClient }> {
  const identity = await resolveIdentity(await ctx.identityConfig(), id);
  if (!identity.pds) throw notFound('NoPds', `${identity.did} has no PDS in its DID document`, { hint: 'the account may have been deleted or never set up' });
  return { identity, client: new XrpcClient({ service: identity.pds, http: await ctx.httpConfig() }) };
}

function parseKeyFlag(key: string): PublicKey {
  try {
    return parseDidKey(key);
  } catch (err) {
    throw usage('InvalidKey', `--key: ${isAtcliError(err) ? err.message : String(err)}`, { hint: 'pass the signing key as did:key:z…' });
  }
}

function renderChecks(ctx: Context, checks: ProofCheck[]): string {
  const c = stderrChalk(ctx);
  const width = Math.max(...checks.map((x) => x.name.length));
  return checks
    .filter((x) => !ctx.quiet || !x.ok)
    .map((x) => `${x.ok ? c.green('✓') : c.red('✗')} ${x.name.padEnd(width)}  ${x.detail}`)
    .join('\n');
}

async function readBody(ctx: Context, file: string | undefined, collection: string): Promise<RecordBody> {
  const path = file ?? '-';
  if (path === '-' && process.stdin.isTTY === true) {
    throw usage('InputRequired', 'no record body: give a JSON file, or pipe the record into stdin', { hint: `atcli record create ${collection} record.json` });
  }
  const text = await readSmallInput(path, MAX_RECORD_JSON_BYTES, 'record body');
  const body = parseRecordBody(text, collection, path === '-' ? 'record from stdin' : path);
  ctx.debug(`record body: ${body.cid.toString()}`);
  return body;
}

function validateFlag(opts: Record<string, unknown>): boolean | undefined {
  return opts.validate === false ? false : undefined;
}

function warnIfReencoded(ctx: Context, body: RecordBody, cid: string): void {
  if (cid !== body.cid.toString()) ctx.warn(`note: the PDS stored the record as ${cid}, not ${body.cid.toString()} (it changed the record's encoding or content)`);
}

// --- record get ---

export async function recordGetCommand({ ctx, args, opts }: CommandRun): Promise<number> {
  const uri = args[0] as string;
  const target = parseRecordAtUri(uri);
  const keyFlag = opts.key as string | undefined;
  const flagKey = keyFlag === undefined ? undefined : parseKeyFlag(keyFlag);
  const verify = opts.verify === true || flagKey !== undefined;
  const cid = opts.cid === undefined ? undefined : checkCidArgument('--cid', opts.cid as string);
  const { identity, client } = await resolveAccount(ctx, target.authority);
  const ref = { did: identity.did, collection: target.collection, rkey: target.rkey };
  if (!verify) {
    const fetched = await getRecord(client, ref, cid === undefined ? {} : { cid });
    await printResult(ctx, { uri: fetched.uri, cid: fetched.cid, value: fetched.value }, (r) => JSON.stringify(r, jsonReplacer, 2));
    return 0;
  }

  let key = flagKey;
  if (key === undefined) {
    if (!identity.signingKey) {
      throw invalid('NoSigningKey', `the DID document of ${identity.did} has no atproto signing key, so the proof cannot be checked`, { hint: 'pass the key with --key did:key:z…' });
    }
    key = parseDidKey(identity.signingKey);
  }
  const identityConfig = await ctx.identityConfig();
  const fresh =
    flagKey === undefined
      ? async (): Promise<PublicKey | undefined> => {
          const again = await resolveIdentity(identityConfig, identity.did, { noCache: true });
          return again.signingKey ? parseDidKey(again.signingKey) : undefined;
        }
      : undefined;
  const keys = fresh === undefined ? { key } : { key, fresh };
  let fetched: FetchedRecord;
  try {
    fetched = await getRecord(client, ref, cid === undefined ? {} : { cid });
  } catch (err) {
    // Not found: when the PDS also serves a valid signed proof of absence, say so.
    if (!(isAtcliError(err) && err.kind === 'notFound') || cid !== undefined) throw err;
    const absence = await fetchRecordProof(client, ref, keys).catch(() => undefined);
    if (absence?.valid && absence.present === false) {
      throw notFound(err.code, `${err.message}; the PDS's signed proof (rev ${absence.commit?.rev}, key ${absence.signingKey}) confirms the record is absent`, {
        ...(err.hint === undefined ? {} : { hint: err.hint }),
        details: { absenceProven: true, rev: absence.commit?.rev },
      });
    }
    throw err;
  }
  const shown = { uri: fetched.uri, cid: fetched.cid, value: fetched.value };
  const proof = await fetchRecordProof(client, ref, keys);
  const checks = [...proof.checks, checkServedRecord(fetched, proof)];
  const verified = checks.every((x) => x.ok);
  const errors = checks.filter((x) => !x.ok).map((x) => `${x.name}: ${x.detail}`);

  if (ctx.json) {
    const result = {
      ...shown,
      verified,
      proof: { did: proof.commit?.did ?? null, rev: proof.commit?.rev ?? null, data: proof.commit?.data ?? null, signingKey: proof.signingKey, checks, errors },
    };
    await printResult(ctx, result, () => undefined);
  } else {
    await printResult(ctx, shown, (r) => JSON.stringify(r, jsonReplacer, 2));
    const c = stderrChalk(ctx);
    const lines = renderChecks(ctx, checks);
    const summary = verified
      ? c.green(`proof valid: ${recordUri(ref)} is in ${identity.did}'s repository at rev ${proof.commit?.rev}, signed by ${proof.signingKey}`)
      : c.red(`proof INVALID: ${errors.length} check${errors.length === 1 ? '' : 's'} failed`);
    if (!ctx.quiet || !verified) process.stderr.write(`${lines === '' ? '' : `${lines}\n`}${summary}\n`);
  }
  return verified ? 0 : 3;
}

// --- record ls ---

export async function recordLsCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const id = args[0] as string;
  const wanted = (opts.collection as string[] | undefined) ?? [];
  for (const c of wanted) checkCollection(c);
  let limit: number | undefined;
  if (opts.limit !== undefined) {
    limit = Number(opts.limit);
    if (!Number.isSafeInteger(limit) || limit < 1) throw usage('InvalidLimit', `--limit must be a positive integer, got "${String(opts.limit)}"`);
  }
  const { identity, client } = await resolveAccount(ctx, id);
  const did = identity.did;

  if (opts.collections === true) {
    const collections = await listCollections(client, did);
    await printResult(ctx, { did, collections }, (r) => r.collections.join('\n'));
    if (!ctx.json && collections.length === 0) ctx.info(`${did} has no records`);
    return;
  }

  const collections = wanted.length > 0 ? [...new Set(wanted)] : await listCollections(client, did);
  let count = 0;
  for (const collection of collections) {
    const remaining = limit === undefined ? undefined : limit - count;
    if (remaining !== undefined && remaining <= 0) break;
    const records = listRecords(client, did, collection, {
      ...(remaining === undefined ? {} : { limit: remaining }),
      onPage: (p) => ctx.debug(`${collection}: page ${p.page}, ${p.records} records${p.cursor ? '' : ' (last)'}`),
    });
    for await (const r of records) {
      count++;
      await writeStdout(ctx.json ? ndjsonLine({ collection: r.collection, rkey: r.rkey, cid: r.cid, uri: r.uri }) : `${r.collection}/${r.rkey}  ${r.cid}\n`);
    }
  }
  if (!ctx.json) ctx.info(`${count} record${count === 1 ? '' : 's'} in ${collections.length} collection${collections.length === 1 ? '' : 's'} of ${did}${limit !== undefined && count >= limit ? ` (stopped at --limit ${limit})` : ''}`);
}

// --- writes ---

export async function recordCreateCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const [collection, file] = args as [string, string | undefined];
  checkCollection(collection);
  const rkey = opts.rkey as string | undefined;
  if (rkey !== undefined) checkRkey(rkey);
  const body = await readBody(ctx, file, collection);
  const { client, session } = await openSession(ctx);
  if (ctx.dryRun) {
    const plan = { dryRun: true, uri: rkey === undefined ? null : recordUri({ did: session.did, collection, rkey }), cid: body.cid.toString(), record: body.json };
    await printResult(ctx, plan, (p) => `would create ${p.uri ?? `a record in ${session.did}/${collection} (key chosen by the PDS)`}\n${fields(ctx, [['cid', p.cid]])}`);
    return;
  }
  const validate = validateFlag(opts);
  const result = await createRecord(client, {
    repo: session.did,
    collection,
    record: body.json,
    ...(rkey === undefined ? {} : { rkey }),
    ...(validate === undefined ? {} : { validate }),
  });
  warnIfReencoded(ctx, body, result.cid);
  await printResult(ctx, result, (r) => fields(ctx, [['uri', r.uri], ['cid', r.cid]]));
}

export async function recordPutCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const [collection, rkey, file] = args as [string, string, string | undefined];
  checkCollection(collection);
  checkRkey(rkey);
  const swap = opts.swap === undefined ? undefined : checkCidArgument('--swap', opts.swap as string);
  const body = await readBody(ctx, file, collection);
  const { client, session } = await openSession(ctx);
  const uri = recordUri({ did: session.did, collection, rkey });
  if (ctx.dryRun) {
    const plan = { dryRun: true, uri, cid: body.cid.toString(), swap: swap ?? null, record: body.json };
    await printResult(ctx, plan, (p) => `would write ${p.uri}${p.swap ? ` (if it is still ${p.swap})` : ''}\n${fields(ctx, [['cid', p.cid]])}`);
    return;
  }
  const validate = validateFlag(opts);
  const result = await putRecord(client, {
    repo: session.did,
    collection,
    rkey,
    record: body.json,
    ...(swap === undefined ? {} : { swapRecord: swap }),
    ...(validate === undefined ? {} : { validate }),
  });
  warnIfReencoded(ctx, body, result.cid);
  await printResult(ctx, result, (r) => fields(ctx, [['uri', r.uri], ['cid', r.cid]]));
}

export async function recordDeleteCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const target = parseRecordAtUri(args[0] as string);
  const swap = opts.swap === undefined ? undefined : checkCidArgument('--swap', opts.swap as string);
  const { client, session } = await openSession(ctx);
  const own = target.authority === session.did || target.authority.toLowerCase() === session.handle.toLowerCase();
  if (!own) {
    throw usage('NotYourRepository', `${target.authority} is not the logged-in account (${session.handle}, ${session.did})`, {
      hint: 'records can only be deleted from your own repository; log in as that account first',
    });
  }
  const ref = { did: session.did, collection: target.collection, rkey: target.rkey };
  const uri = recordUri(ref);
  if (ctx.dryRun) {
    let current: string | null = null;
    try {
      current = (await getRecord(client, ref)).cid;
    } catch (err) {
      if (!(isAtcliError(err) && err.kind === 'notFound')) throw err;
    }
    const plan = { dryRun: true, uri, cid: current, exists: current !== null, deleted: false };
    await printResult(ctx, plan, (p) => (p.exists ? `would delete ${p.uri} (${p.cid})${swap && swap !== p.cid ? `; but it is no longer ${swap}, so the delete would fail` : ''}` : `${p.uri} does not exist; nothing would be deleted`));
    return;
  }
  if (!(await confirmAction(ctx, `Delete ${uri}${swap ? ` (if it is still ${swap})` : ''}?`))) {
    throw new AtcliError('usage', 'Cancelled', 'delete cancelled; nothing was deleted');
  }
  const result = await deleteRecord(client, { repo: session.did, collection: ref.collection, rkey: ref.rkey, ...(swap === undefined ? {} : { swapRecord: swap }) });
  await printResult(ctx, result, (r) => `deleted ${r.uri}`);
}
