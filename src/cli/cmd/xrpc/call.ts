// What `xrpc query` and `xrpc procedure` share: the service argument, key=value words, the
// client, and printing a response body by its content type.
import { usage } from '../../../core/errors.js';
import type { XrpcClient, XrpcParams } from '../../../core/xrpc/index.js';
import type { Factory } from '../../factory.js';
import { arg, nsid, serviceUrl, type Parser } from '../../flags.js';
import { jsonReplacer, type Output } from '../../render/output.js';

/** The most a response (or a request body) may hold. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

const httpUrl = serviceUrl(['http:', 'https:']);
const service: Parser<string> = (text, name) => (text === '@pds' ? text : httpUrl(text, name));

export const CALL_ARGS = {
  service: arg.requiredParsed('service', 'service URL, or "@pds" for the logged-in account\'s PDS (authenticated)', service),
  nsid: arg.requiredParsed('nsid', 'method NSID, e.g. com.atproto.repo.describeRepo', nsid),
};

/** key=value words as parameters (a repeated key makes an array); at most one @body word. */
export function parseWords(words: readonly string[]): { params: XrpcParams; bodyPath?: string } {
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

/** "@pds": the logged-in account's PDS with its session; else an unauthenticated client. */
export async function clientFor(f: Factory, target: string): Promise<XrpcClient> {
  return target === '@pds' ? (await f.session()).client : f.xrpc(target);
}

/** A response on stdout: JSON pretty-printed, text as is, binary only when stdout is not a terminal. */
export async function printBody(out: Output, body: Uint8Array, contentType: string): Promise<void> {
  if (contentType.startsWith('application/json') || contentType === '') {
    const text = Buffer.from(body).toString('utf8');
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return out.text(text.endsWith('\n') ? text : `${text}\n`);
    }
    return out.text(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
  }
  if (contentType.startsWith('text/')) return out.text(Buffer.from(body).toString('utf8'));
  if (out.tty) {
    throw usage('BinaryOutput', `the response is binary (${contentType}, ${body.length} bytes) and stdout is a terminal`, { hint: 'write it to a file with -o <path>, or redirect stdout' });
  }
  return out.bytes(body);
}
