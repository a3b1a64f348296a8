import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description: 'Raw XRPC calls to any atproto service: a query is an HTTP GET with key=value parameters, a procedure an HTTP POST with a JSON body. "@pds" calls the logged-in account\'s PDS with its session.',
  examples: ['atcli xrpc query https://public.api.bsky.app app.bsky.actor.getProfile actor=bsky.app', 'atcli xrpc query @pds com.atproto.server.getSession'],
  commands: {
    query: child('HTTP GET an XRPC query', () => import('./query.js')),
    procedure: child('HTTP POST an XRPC procedure', () => import('./procedure.js')),
  },
});
