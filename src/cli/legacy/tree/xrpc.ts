import { type Command } from 'commander';
import { examples, type Act } from '../program.js';

export function registerXrpcCommands(xrpc: Command, act: Act): void {
  for (const kind of ['query', 'procedure'] as const) {
    const call = xrpc.command(kind);
    if (kind === 'query') call.option('-o, --output <file>', 'write the response body to a file (binary responses such as CARs and blobs)');
    call
      .description(kind === 'query' ? 'HTTP GET an XRPC query' : 'HTTP POST an XRPC procedure')
      .argument('<service>', 'service URL, or "@pds" for the logged-in account\'s PDS (authenticated)')
      .argument('<nsid>', 'method NSID, e.g. com.atproto.repo.describeRepo')
      .argument('[params...]', kind === 'query' ? 'key=value parameters (repeat a key for arrays)' : 'the JSON body: @file.json, @- for stdin, or key=value fields')
      .addHelpText(
        'after',
        examples(
          kind === 'query'
            ? ['atcli xrpc query https://public.api.bsky.app app.bsky.actor.getProfile actor=bsky.app', 'atcli xrpc query @pds com.atproto.server.getSession']
            : ['atcli xrpc procedure @pds com.atproto.repo.createRecord @record.json', 'echo \'{"handle":"alice.example.com"}\' | atcli xrpc procedure @pds com.atproto.identity.updateHandle @-'],
        ),
      )
      .action(act(async () => (await import('../commands/xrpc.js'))[kind === 'query' ? 'xrpcQueryCommand' : 'xrpcProcedureCommand']));
  }
}
