import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description: 'Records are named by AT-URIs (at://<handle or DID>/<collection>/<rkey>). Reads work on any account; writes go to the logged-in account (atcli account login).',
  examples: ['atcli record get at://alice.example.com/app.bsky.actor.profile/self --verify', 'atcli record ls alice.example.com -c app.bsky.feed.post', 'atcli record create app.bsky.feed.post post.json'],
  commands: {
    get: child("print a record as JSON; --verify checks the PDS's signed inclusion proof (com.atproto.sync.getRecord)", () => import('./get.js')),
    ls: child('list the records of an account (NDJSON rows collection, rkey, cid, uri with --json)', () => import('./ls.js')),
    create: child('create a record in the logged-in account from an atproto JSON file (or stdin)', () => import('./create.js')),
    put: child('create or replace the record at <collection>/<rkey> in the logged-in account', () => import('./put.js')),
    delete: child('delete a record of the logged-in account (asks first unless --yes)', () => import('./delete.js')),
  },
});
