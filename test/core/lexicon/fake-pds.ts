// A small PDS for Lexicon resolution tests, served through the identity tests' local "internet"
// (world.ts: one HTTP server + a UDP DNS server). Repositories are rebuilt and re-signed with
// atcli's own MST and codec on every write, so every getRecord proof is real: commit, the MST
// path to the key, and the record block. Hooks let a test serve broken proofs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cborToJson, decodeCbor, jsonToCbor, type CborMap, type Cid } from '../../../src/core/codec/index.js';
import { generatePrivateKey, type PrivateKey } from '../../../src/core/crypto/index.js';
import { compareKeys, keyBytes, parseMstNode } from '../../../src/core/repo/mst.js';
import { buildRepo, carOf, tid, type Block, type BuiltRepo } from '../repo/repo-builder.js';
import { send, type World } from '../identity/world.js';

export const PDS_HOST = 'localhost';
export const PDS_URL = 'http://localhost:2583';
const COLLECTION = 'com.atproto.lexicon.schema';

export interface FakeRepo {
  did: string;
  key: PrivateKey;
  /** path (collection/rkey) → record */
  records: Map<string, CborMap>;
  built: BuiltRepo;
  revCounter: number;
}

export interface FakePds {
  repos: Map<string, FakeRepo>;
  /** Creates an account: DID document in the PLC directory pointing here. */
  account(did: string, key?: PrivateKey): FakeRepo;
  /** Stores a schema record (JSON, `$type` added) directly, as another writer would. */
  putSchema(did: string, nsid: string, json: Record<string, unknown>): string;
  /** Rewrites the CAR a getRecord answer carries (to serve broken proofs). */
  tamper: ((car: { repo: FakeRepo; blocks: Block[]; root: Cid }) => Uint8Array | undefined) | undefined;
  /** Called before a putRecord is applied (to simulate a concurrent writer). */
  beforePut: (() => void) | undefined;
  calls: string[];
}

function rebuild(r: FakeRepo): void {
  r.revCounter++;
  r.built = buildRepo({ did: r.did, key: r.key, rev: tid(2_000_000 + r.revCounter), records: [...r.records].sort(([a], [b]) => (a < b ? -1 : 1)) });
}

/** The MST nodes a lookup of `path` visits, root first. */
function pathNodes(r: BuiltRepo, path: string): Block[] {
  const nodes = new Map(r.nodes.map((n) => [n.cid.key, n]));
  const target = keyBytes(path);
  const out: Block[] = [];
  let cid: Cid | null = r.data;
  while (cid) {
    const b = nodes.get(cid.key);
    if (!b) break;
    out.push(b);
    const { node } = parseMstNode(decodeCbor(b.bytes));
    let i = 0;
    while (i < node.entries.length && compareKeys(node.entries[i]!.key, target) < 0) i++;
    if (i < node.entries.length && compareKeys(node.entries[i]!.key, target) === 0) break;
    cid = i === 0 ? node.left : node.entries[i - 1]!.right;
  }
  return out;
}

function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://x').searchParams;
}

function xrpcError(res: ServerResponse, status: number, error: string, message: string): void {
  send(res, status, JSON.stringify({ error, message }), 'application/json');
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export function startFakePds(world: World): FakePds {
  const pds: FakePds = {
    repos: new Map(),
    tamper: undefined,
    beforePut: undefined,
    calls: [],
    account(did, key = generatePrivateKey('k256')) {
      const r = { did, key, records: new Map(), revCounter: 0 } as unknown as FakeRepo;
      rebuild(r);
      pds.repos.set(did, r);
      world.plcDoc(did, {
        '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
        id: did,
        alsoKnownAs: [],
        verificationMethod: [{ id: `${did}#atproto`, type: 'Multikey', controller: did, publicKeyMultibase: key.publicKey.multikey() }],
        service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: PDS_URL }],
      });
      return r;
    },
    putSchema(did, nsid, json) {
      const r = pds.repos.get(did);
      if (!r) throw new Error(`no repo ${did}`);
      const value = jsonToCbor({ ...json, $type: COLLECTION }) as CborMap;
      r.records.set(`${COLLECTION}/${nsid}`, value);
      rebuild(r);
      return r.built.records.get(`${COLLECTION}/${nsid}`)!.cid.toString();
    },
  };

  world.route(PDS_HOST, '/xrpc/com.atproto.sync.getRecord', (req, res) => {
    const q = query(req);
    pds.calls.push(`getRecord ${q.get('rkey')}`);
    const r = pds.repos.get(q.get('did') ?? '');
    if (!r) return xrpcError(res, 400, 'RepoNotFound', 'no such repo');
    const path = `${q.get('collection')}/${q.get('rkey')}`;
    const rec = r.built.records.get(path);
    const blocks = [r.built.commit, ...pathNodes(r.built, path), ...(rec ? [rec] : [])];
    const car = pds.tamper?.({ repo: r, blocks, root: r.built.commit.cid }) ?? carOf(r.built.commit.cid, blocks);
    send(res, 200, Buffer.from(car), 'application/vnd.ipld.car');
  });

  world.route(PDS_HOST, '/xrpc/com.atproto.repo.listRecords', (req, res) => {
    const q = query(req);
    pds.calls.push(`listRecords ${q.get('collection')}`);
    const r = pds.repos.get(q.get('repo') ?? '');
    if (!r) return xrpcError(res, 400, 'RepoNotFound', 'no such repo');
    const prefix = `${q.get('collection')}/`;
    const records = [...r.built.records]
      .filter(([p]) => p.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([p, b]) => ({ uri: `at://${r.did}/${p}`, cid: b.cid.toString(), value: cborToJson(r.records.get(p)!) }));
    send(res, 200, JSON.stringify({ records }), 'application/json');
  });

  world.route(PDS_HOST, '/xrpc/com.atproto.repo.putRecord', (req, res) => {
    void (async () => {
      const input = (await body(req)) as { repo: string; collection: string; rkey: string; record: unknown; swapRecord?: string | null };
      pds.calls.push(`putRecord ${input.rkey} swap=${input.swapRecord === undefined ? 'undefined' : String(input.swapRecord)}`);
      pds.beforePut?.();
      const r = pds.repos.get(input.repo);
      if (!r) return xrpcError(res, 400, 'RepoNotFound', 'no such repo');
      const path = `${input.collection}/${input.rkey}`;
      const current = r.built.records.get(path)?.cid.toString() ?? null;
      if (input.swapRecord !== undefined && input.swapRecord !== current) {
        return xrpcError(res, 400, 'InvalidSwap', `Record was at ${current ?? 'null'}`);
      }
      r.records.set(path, jsonToCbor(input.record) as CborMap);
      rebuild(r);
      send(res, 200, JSON.stringify({ uri: `at://${r.did}/${path}`, cid: r.built.records.get(path)!.cid.toString() }), 'application/json');
    })();
  });
  return pds;
}
