import { child, defineGroup } from '../../spec.js';

export default defineGroup({
  description:
    'Offline: lint, validate, new, diff and breaking work on files. Over the network: resolve, pull, publish, status and check-dns follow Lexicon resolution (DNS _lexicon TXT → DID → PDS → signed com.atproto.lexicon.schema record); validate also checks live records. The project folder is ./lexicons unless --lexicons names another.',
  examples: [
    'atcli lex lint',
    'atcli lex validate post.json',
    'atcli lex validate at://alice.example.com/app.bsky.feed.post/3k2…',
    'atcli lex validate --all alice.example.com',
    'atcli lex new record com.example.calendar.event',
    'atcli lex publish --dry-run',
  ],
  commands: {
    lint: child('check Lexicon files: schema validity and style rules, each with a short code (exit 3 on errors, and on warnings with --strict)', () => import('./lint.js')),
    rules: child('list the lint rules and the evolution (breaking-change) rules with their codes', () => import('./rules.js')),
    validate: child('validate records against their schemas: a JSON file, a live record by AT-URI, or a whole repository with --all', () => import('./validate.js')),
    new: child('write a new Lexicon file from a template that lints clean (<dir>/a/b/c.json for a.b.c)', () => import('./new.js')),
    diff: child('show every change between two versions of a Lexicon and which ones break compatibility; with one schema, against the published version', () => import('./diff.js')),
    breaking: child('check that a new version of a Lexicon keeps the evolution rules (exit 3 when a change breaks them)', () => import('./breaking.js')),
    resolve: child('fetch a published schema by Lexicon resolution, with its signed proof verified', () => import('./resolve.js')),
    pull: child('fetch published schemas and what they reference into the project folder, recording each CID in lexicons.lock.json', () => import('./pull.js')),
    publish: child('publish schemas to the logged-in account: lint, DNS and breaking-change gates, then compare-and-swap writes, verified', () => import('./publish.js')),
    status: child('compare each local schema with the published one: in-sync, differs, local-only, remote-only, unresolved', () => import('./status.js')),
    'check-dns': child('check that every authority of the project has a _lexicon TXT record naming one DID; print the records to add', () => import('./check-dns.js')),
  },
});
