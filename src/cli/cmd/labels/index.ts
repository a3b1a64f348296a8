import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description: "A labeler is found through its DID document: the #atproto_labeler service gives its URL and #atproto_label the key each label must be signed with.",
  examples: ['atcli labels query moderation.bsky.app "at://did:plc:…/*"', 'atcli labels tail moderation.bsky.app --cursor 0 --limit 100'],
  commands: {
    tail: child("follow a labeler's label stream (com.atproto.label.subscribeLabels), each signature checked", () => import('./tail.js')),
    query: child("a labeler's labels for URI patterns (com.atproto.label.queryLabels), each signature checked", () => import('./query.js')),
  },
});
