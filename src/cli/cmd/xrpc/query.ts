import { usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg, opt } from '../../flags.js';
import { formatBytes } from '../../render/text.js';
import { CALL_ARGS, MAX_BODY_BYTES, clientFor, parseWords, printBody } from './call.js';

export default defineCommand({
  description: 'Calls an XRPC query (HTTP GET <service>/xrpc/<nsid>?key=value…) and prints the response: JSON pretty-printed, text as is, binary bodies (CARs, blobs) only to a file or a pipe.',
  args: { ...CALL_ARGS, params: arg.variadic('params', 'key=value parameters (repeat a key for an array)') },
  options: {
    output: opt.value('-o, --output <path>', 'write the response body to a file (atomically)', { valueKind: 'file' }),
    force: opt.flag('-f, --force', 'replace an existing output file'),
  },
  uses: ['network', 'auth'],
  examples: [
    'atcli xrpc query https://public.api.bsky.app app.bsky.actor.getProfile actor=bsky.app',
    'atcli xrpc query @pds com.atproto.server.getSession',
    'atcli xrpc query https://bsky.social com.atproto.sync.getRepo did=did:plc:… -o repo.car',
  ],
  notes: 'Exit status: 0, the error\'s exit status otherwise (4 not found, 5 authentication needed, 1 the service failed), 2 an existing -o file without --force.',
  async run({ args, opts, out, err, f }) {
    const { params, bodyPath } = parseWords(args.params);
    if (bodyPath !== undefined) throw usage('InvalidArgument', 'a query has no body; use key=value parameters');
    const { fileExists, writeFileAtomic } = await import('../../../core/util/atomic-file.js');
    if (opts.output !== undefined && !opts.force && (await fileExists(opts.output))) throw usage('FileExists', `${opts.output} already exists`);
    const client = await clientFor(f, args.service);
    const res = await client.queryBytes(args.nsid, params, { maxBytes: MAX_BODY_BYTES });
    if (opts.output === undefined) return printBody(out, res.body, res.contentType);
    await writeFileAtomic(opts.output, res.body, { overwrite: opts.force });
    err.info(`wrote ${formatBytes(res.body.length)} (${res.contentType || 'no content type'}) to ${opts.output}`);
  },
});
