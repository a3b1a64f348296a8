import { usage } from '../../../core/errors.js';
import { defineCommand } from '../../spec.js';
import { arg } from '../../flags.js';
import { readJsonArgument } from '../../inputs.js';
import { CALL_ARGS, MAX_BODY_BYTES, clientFor, parseWords } from './call.js';
import { jsonReplacer } from '../../render/output.js';

export default defineCommand({
  description: 'Calls an XRPC procedure (HTTP POST <service>/xrpc/<nsid>) with a JSON body, from a file (@body.json), stdin (@-) or key=value fields, and prints the JSON response.',
  args: { ...CALL_ARGS, params: arg.variadic('params', 'the JSON body: @file.json, @- for stdin, or key=value fields') },
  uses: ['network', 'auth'],
  examples: ['atcli xrpc procedure @pds com.atproto.repo.createRecord @record.json', 'echo \'{"handle":"alice.example.com"}\' | atcli xrpc procedure @pds com.atproto.identity.updateHandle @-'],
  notes: 'Exit status: 0, the error\'s exit status otherwise (3 a body that is not JSON, 4 not found, 5 authentication needed, 1 the service failed).',
  async run({ args, io, out, f }) {
    const { params, bodyPath } = parseWords(args.params);
    let body: unknown;
    if (bodyPath !== undefined) {
      if (Object.keys(params).length > 0) throw usage('InvalidArgument', 'give the body either as @file.json or as key=value fields, not both');
      body = await readJsonArgument(io, bodyPath, 'request body', MAX_BODY_BYTES);
    } else if (Object.keys(params).length > 0) {
      body = params;
    }
    const result = await (await clientFor(f, args.service)).procedure<unknown>(args.nsid, body);
    if (result !== undefined && result !== null && result !== '') await out.text(`${JSON.stringify(result, jsonReplacer, 2)}\n`);
  },
});
