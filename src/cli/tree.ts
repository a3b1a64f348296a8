// The command tree: the root's children with their summaries, and loading of nodes. Only the
// nodes on the invoked path are loaded; help, man pages, completion and the contract test load all.
import { child, defineGroup, type ChildRef, type GroupSpec, type NodeSpec } from './spec.js';

export const ROOT: GroupSpec = defineGroup({
  description: 'A command-line multitool for the AT Protocol (atproto): identities, repositories, PLC, lexicons, firehose, accounts and blobs.',
  examples: [
    'atcli resolve alice.bsky.social',
    'atcli repo verify alice.bsky.social',
    'atcli syntax check handle alice.example.com',
    'atcli key generate --type p256 --json',
    'atcli xrpc query https://public.api.bsky.app app.bsky.actor.getProfile actor=bsky.app',
  ],
  notes: 'Exit codes: 0 ok, 1 runtime failure or could not check, 2 usage error, 3 data invalid, 4 not found, 5 authentication needed, 130 interrupted.',
  commands: {
    resolve: child('resolve a handle or DID: DID document, PDS, signing key, handle verified both ways', () => import('./cmd/resolve.js')),
    repo: child('export, verify and explore repositories (CAR files or live accounts)', () => import('./cmd/repo/index.js')),
    record: child('read, list and write individual records (writes use the logged-in account)', () => import('./cmd/record/index.js')),
    plc: child('did:plc identities: history, data, verification; build, sign and submit operations', () => import('./cmd/plc/index.js')),
    lex: child('Lexicon schemas: lint, validate records, scaffold, compare versions, publish', () => import('./cmd/lex/index.js')),
    firehose: child('tail, filter, verify and record com.atproto.sync.subscribeRepos', () => import('./cmd/firehose/index.js')),
    labels: child("a labeler's labels: query them or follow its stream, each signature checked", () => import('./cmd/labels/index.js')),
    account: child('log in and manage accounts; migrate between PDS hosts', () => import('./cmd/account/index.js')),
    blob: child("an account's blobs (media): list, verified incremental sync, get, upload", () => import('./cmd/blob/index.js')),
    backup: child('back up an account into a folder (incremental, verified) and check a backup offline', () => import('./cmd/backup/index.js')),
    restore: child('recreate an account from its backup on a new PDS with your own rotation key (journalled, resumable)', () => import('./cmd/restore/index.js')),
    key: child('generate and inspect atproto keys (k256, p256)', () => import('./cmd/key/index.js')),
    pds: child('operate a PDS: describe, health, hosted accounts; administration with the admin password', () => import('./cmd/pds/index.js')),
    relay: child('ask a relay which accounts and hosts it follows; request crawls; compare relays', () => import('./cmd/relay/index.js')),
    doctor: child("why can't anyone see this account? every link from handle to profile, checked", () => import('./cmd/doctor.js')),
    syntax: child('check atproto identifiers offline; generate and inspect TIDs', () => import('./cmd/syntax/index.js')),
    xrpc: child('raw XRPC calls to any service', () => import('./cmd/xrpc/index.js')),
    completion: child('print a shell completion script (bash, zsh, fish)', () => import('./cmd/completion.js')),
    help: child('help for a command, or "help globals" for the global options', () => import('./cmd/help.js')),
    version: child('print the version (with --json: version, Node.js, platform)', () => import('./cmd/version.js')),
  },
});

/** A node of the tree with its place in it. `spec` is absent until loaded. */
export interface TreeNode {
  name: string;
  path: string[];
  summary: string;
  hidden: boolean;
  spec: NodeSpec | undefined;
  children: TreeNode[];
}

function stub(name: string, path: string[], ref: ChildRef): TreeNode {
  return { name, path, summary: ref.summary, hidden: ref.hidden === true, spec: undefined, children: [] };
}

function refsOf(spec: NodeSpec | undefined): Array<[string, ChildRef]> {
  return spec?.kind === 'group' ? Object.entries(spec.commands) : [];
}

async function load(node: TreeNode, ref: ChildRef): Promise<void> {
  node.spec = (await ref.load()).default;
  node.children = refsOf(node.spec).map(([name, r]) => stub(name, [...node.path, name], r));
}

export function rootNode(): TreeNode {
  return { name: 'atcli', path: [], summary: ROOT.description ?? '', hidden: false, spec: ROOT, children: refsOf(ROOT).map(([n, r]) => stub(n, [n], r)) };
}

/**
 * Loads the nodes named by `words` (the command words of an argv), as far as they name commands.
 * Returns the root and the deepest node reached.
 */
export async function loadPath(words: readonly string[]): Promise<{ root: TreeNode; target: TreeNode; consumed: number }> {
  const root = rootNode();
  let node = root;
  let consumed = 0;
  for (const word of words) {
    if (node.spec?.kind !== 'group') break;
    const ref = node.spec.commands[word];
    const next = node.children.find((c) => c.name === word);
    if (!ref || !next || !Object.prototype.hasOwnProperty.call(node.spec.commands, word)) break;
    await load(next, ref);
    node = next;
    consumed++;
  }
  return { root, target: node, consumed };
}

/** Loads every node (help of everything, man pages, completion, the contract test). */
export async function loadAll(): Promise<TreeNode> {
  const root = rootNode();
  const visit = async (node: TreeNode): Promise<void> => {
    for (const [name, ref] of refsOf(node.spec)) {
      const next = node.children.find((c) => c.name === name) as TreeNode;
      await load(next, ref);
      await visit(next);
    }
  };
  await visit(root);
  return root;
}
