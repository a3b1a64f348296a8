import { writeFile } from 'node:fs/promises';
import type { CommandRun } from '../program.js';
import type { Context } from '../context.js';
import { jsonReplacer, writeStdout } from '../output.js';
import { readSmallInput } from '../prompt.js';
import { openSession } from '../session.js';
import { usage } from '../../../core/errors.js';
import { checkNsid } from '../../../core/syntax/index.js';
import { XrpcClient, type XrpcParams } from '../../../core/xrpc/index.js';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

function parseParams(words: string[]): { params: XrpcParams; bodyPath?: string } {
  const params: Record<string, string | string[]> = {};
  let bodyPath: string | undefined;
  for (const word of words) {
    if (word.startsWith('@')) {
      if (bodyPath !== undefined) throw usage('InvalidArgument', 'only one @body argument is allowed');
      bodyPath = word.slice(1);
      continue;
    }
    const eq = word.indexOf('=');
    if (eq <= 0) throw usage('InvalidArgument', `"${word}" is not key=value or @file`, { hint: 'for example: actor=alice.example.com' });
    const key = word.slice(0, eq);
    const value = word.slice(eq + 1);
    const prev = params[key];
    params[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return bodyPath === undefined ? { params } : { params, bodyPath };
}

async function clientFor(ctx: Context, service: string): Promise<XrpcClient> {
  if (service === '@pds') return (await openSession(ctx)).client;
  if (!/^https?:\/\//.test(service)) throw usage('InvalidUrl', `service must be an http(s) URL or "@pds", got "${service}"`);
  return new XrpcClient({ service: service.replace(/\/+$/, ''), http: await ctx.httpConfig() });
}

async function render(ctx: Context, body: Uint8Array, contentType: string, output: string | undefined): Promise<void> {
  if (output !== undefined) {
    await writeFile(output, body);
    ctx.info(`wrote ${body.length} bytes (${contentType || 'no content type'}) to ${output}`);
    return;
  }
  if (contentType.startsWith('application/json') || contentType === '') {
    const text = Buffer.from(body).toString('utf8');
    if (text.trim() === '') return;
    try {
      await writeStdout(`${JSON.stringify(JSON.parse(text), jsonReplacer, 2)}\n`);
    } catch {
      await writeStdout(text.endsWith('\n') ? text : `${text}\n`);
    }
    return;
  }
  if (contentType.startsWith('text/')) {
    await writeStdout(Buffer.from(body).toString('utf8'));
    return;
  }
  if (ctx.stdoutIsTTY) {
    throw usage('BinaryOutput', `the response is binary (${contentType}, ${body.length} bytes) and stdout is a terminal`, { hint: 'add --output <file>, or redirect stdout to a file' });
  }
  await new Promise<void>((resolve, reject) => process.stdout.write(body, (err) => (err ? reject(err) : resolve())));
}

function checkMethod(nsid: string): void {
  const reason = checkNsid(nsid);
  if (reason) throw usage('InvalidNsid', `"${nsid}" is not a method NSID: ${reason}`);
}

export async function xrpcQueryCommand({ ctx, args, opts }: CommandRun): Promise<void> {
  const [service, nsid, words] = args as [string, string, string[]];
  checkMethod(nsid);
  const { params, bodyPath } = parseParams(words ?? []);
  if (bodyPath !== undefined) throw usage('InvalidArgument', 'a query has no body; use key=value parameters');
  const client = await clientFor(ctx, service);
  const res = await client.queryBytes(nsid, params, { maxBytes: MAX_BODY_BYTES });
  await render(ctx, res.body, res.contentType, opts.output as string | undefined);
}

export async function xrpcProcedureCommand({ ctx, args }: CommandRun): Promise<void> {
  const [service, nsid, words] = args as [string, string, string[]];
  checkMethod(nsid);
  const { params, bodyPath } = parseParams(words ?? []);
  let body: unknown;
  if (bodyPath !== undefined) {
    if (Object.keys(params).length > 0) throw usage('InvalidArgument', 'give the body either as @file.json or as key=value fields, not both');
    const text = await readSmallInput(bodyPath, MAX_BODY_BYTES, 'request body');
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw usage('InvalidJson', `request body ${bodyPath === '-' ? 'from stdin' : bodyPath} is not JSON: ${(err as Error).message}`);
    }
  } else if (Object.keys(params).length > 0) {
    body = params;
  }
  const client = await clientFor(ctx, service);
  const result = await client.procedure<unknown>(nsid, body);
  if (result !== undefined && result !== null && result !== '') await writeStdout(`${JSON.stringify(result, jsonReplacer, 2)}\n`);
}
