import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description: 'The firehose is com.atproto.sync.subscribeRepos, the event stream of a relay or PDS (--relay; default wss://bsky.network, also ATCLI_RELAY_URL): commits, syncs, identity and account events, each optionally verified.',
  examples: ['atcli firehose tail --limit 100', 'atcli firehose tail --verify --record sample.fh --limit 1000', 'atcli firehose replay sample.fh --verify --json'],
  commands: {
    tail: child('follow the event stream of a relay or PDS (--relay): one line per event; reconnects and resumes without gaps', () => import('./tail.js')),
    replay: child('feed a recording made with "tail --record" through the same pipeline offline (same flags, same output)', () => import('./replay.js')),
  },
});
