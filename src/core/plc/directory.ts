/**
 * A PLC directory client on the http layer (the routes of packages/server/src/routes.ts in the
 * reference implementation, github.com/did-method-plc/did-method-plc):
 * `GET /{did}`, `/{did}/data`, `/{did}/log`, `/{did}/log/audit`, `/{did}/log/last`, `POST /{did}`,
 * and `GET /export` (paged NDJSON, with a tail mode).
 *
 * - No redirects are followed: a directory that redirects is misconfigured or not a directory.
 * - Every body has a size cap (audit log and log 10 MiB, documents and single operations 64 KiB).
 * - 404 / 410 → notFound 'DidNotFound' (with `details.deactivated` when the directory says the DID
 *   is not available, i.e. tombstoned); 429 → runtime 'RateLimited'; 5xx → runtime.
 * - Submission: 400 → invalid 'PlcOperationRejected' with the directory's reason; 409 → invalid
 *   'StalePrev' (another operation landed first, so `prev` is no longer the head).
 *
 * Nothing is printed; messages never contain secrets (directory messages are redacted and cut).
 * Imports: net, syntax, crypto and the rest of plc.
 */
import { AtcliError, invalid, notFound, runtime, usage } from '../errors.js';
import { httpRequest, type HttpConfig, type HttpResponse } from '../net/http.js';
import { checkServiceUrl } from '../net/url-policy.js';
import { checkDatetime, checkDidPlc } from '../syntax/index.js';
import { publicKeyFromVerificationMethod } from '../crypto/index.js';
import { redactSecrets } from './keys.js';
import { parseOperation, quoteValue } from './operation.js';
import type { Operation, PlcData, PlcDidDocument, PlcService } from './types.js';
import { sleep } from '../util/sleep.js';

/** Cap for `/log/audit` and `/log` (a few thousand operations at most in practice). */
export const AUDIT_LOG_MAX_BYTES = 10 * 1024 * 1024;
/** Cap for a DID document, `/data`, `/log/last` and submission responses. */
export const DOCUMENT_MAX_BYTES = 64 * 1024;
/** Cap for one `/export` page (≤ 1000 operations of ≤ ~10 KiB of JSON each). */
export const EXPORT_PAGE_MAX_BYTES = 32 * 1024 * 1024;
/** The directory's own page limit for `/export`. */
export const EXPORT_MAX_COUNT = 1000;
/** Default poll interval of the tail mode. */
export const EXPORT_TAIL_INTERVAL_MS = 5000;

export interface PlcDirectoryConfig {
  http: HttpConfig;
  /** Base URL, e.g. https://plc.directory (a trailing slash is ignored). */
  plcUrl: string;
}

/** One line of `/export`: `{did, operation, cid, nullified, createdAt}`, plus `seq`/`type` in the sequenced format. */
export interface ExportEntry {
  did: string;
  operation: unknown;
  cid: string;
  nullified?: boolean;
  createdAt: string;
  /** Sequence number (the sequenced export format, `type: "sequenced_op"`). */
  seq?: number;
  type?: string;
  [key: string]: unknown;
}

/** Where an export continues: a sequence number, or a createdAt timestamp (the legacy format). */
export type ExportCursor = number | string;

export interface ExportPage {
  entries: ExportEntry[];
  /** The cursor after the last entry (unchanged when the page is empty). */
  cursor: ExportCursor | undefined;
}

export interface ExportPageOptions {
  /** Continue after this sequence number or createdAt timestamp; omitted: from the beginning. */
  after?: ExportCursor;
  /** Entries per page, 1–1000 (default 1000). */
  count?: number;
}

export interface ExportStreamOptions {
  cursor?: ExportCursor;
  /** Keep polling for new entries once the export is exhausted. */
  tail?: boolean;
  /** Poll interval in tail mode (default 5 s). */
  intervalMs?: number;
  /** Entries per request (default 1000). */
  count?: number;
  /** Stops the stream (the generator then throws an 'interrupted' AtcliError). */
  signal?: AbortSignal;
  /** In tail mode a failed poll is retried this many times in a row before giving up (default 5). */
  maxRetries?: number;
  /** Called before a retry in tail mode. */
  onRetry?: (error: AtcliError, attempt: number) => void;
}

/** The next-page cursor an entry stands for: its `seq` when it has one, else its `createdAt`. */
export function exportCursor(entry: ExportEntry): ExportCursor {
  return typeof entry.seq === 'number' ? entry.seq : entry.createdAt;
}

/**
 * Parse a user-supplied export cursor: a non-negative integer is a sequence number, anything
 * else must be an RFC 3339 datetime. Throws usage 'InvalidCursor'.
 */
export function parseExportCursor(text: string): ExportCursor {
  const t = text.trim();
  if (/^[0-9]{1,16}$/.test(t)) {
    const n = Number(t);
    if (Number.isSafeInteger(n)) return n;
  }
  const reason = checkDatetime(t);
  if (reason !== null) {
    throw usage('InvalidCursor', `invalid export cursor ${quoteValue(t)}: not a sequence number, and ${reason}`, {
      hint: 'give a sequence number (e.g. 12345) or a datetime (e.g. 2024-01-01T00:00:00.000Z)',
    });
  }
  return t;
}

function directoryMessage(body: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: false }).decode(body.subarray(0, 4096));
  } catch {
    return undefined;
  }
  let msg: unknown = text;
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json === 'object' && json !== null) {
      const o = json as Record<string, unknown>;
      msg = typeof o['message'] === 'string' ? o['message'] : typeof o['error'] === 'string' ? o['error'] : undefined;
    }
  } catch {
    if (/^\s*</.test(text)) return undefined; // an HTML error page says nothing useful
  }
  if (typeof msg !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  let s = redactSecrets(msg.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim());
  if (s.length > 300) s = `${s.slice(0, 299)}…`;
  return s === '' ? undefined : s;
}

function parseJsonBody(res: HttpResponse, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(res.body);
  } catch {
    throw invalid('InvalidPlcResponse', `${what} from ${res.url} is not valid UTF-8`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid('InvalidPlcResponse', `${what} from ${res.url} is not JSON${/^\s*</.test(text) ? ' (it looks like HTML)' : ''}`, {
      hint: 'the URL must be that of a PLC directory',
    });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}

function isServiceMap(v: unknown): v is Record<string, PlcService> {
  return isRecord(v) && Object.values(v).every((s) => isRecord(s) && typeof s['type'] === 'string' && typeof s['endpoint'] === 'string');
}


function interrupted(): AtcliError {
  return new AtcliError('interrupted', 'Interrupted', 'the export stream was interrupted');
}

export class PlcDirectoryClient {
  readonly baseUrl: string;
  readonly #http: HttpConfig;

  constructor(config: PlcDirectoryConfig) {
    this.#http = config.http;
    // Checked as written, before anything normalises it (url-policy.ts).
    checkServiceUrl(config.plcUrl, { dev: config.http.allowPrivateNetwork }, 'the PLC directory URL');
    this.baseUrl = config.plcUrl.replace(/\/+$/, '');
  }

  #didUrl(did: string, suffix = ''): string {
    const reason = checkDidPlc(did);
    if (reason !== null) {
      const lower = typeof did === 'string' ? did.toLowerCase() : '';
      throw usage('InvalidDid', `not a did:plc: ${quoteValue(did)}: ${reason}`, {
        hint: lower !== did && checkDidPlc(lower) === null ? `DIDs are case-sensitive; did you mean ${lower}?` : 'a did:plc is "did:plc:" and 24 characters a–z, 2–7',
      });
    }
    return `${this.baseUrl}/${did}${suffix}`;
  }

  async #get(url: string, maxBytes: number, http: HttpConfig = this.#http, accept = 'application/json'): Promise<HttpResponse> {
    return httpRequest(http, { url, method: 'GET', headers: { accept }, maxBytes, maxRedirects: 0 });
  }

  /** Status handling shared by every GET; returns only for 2xx. */
  #check(res: HttpResponse, what: string, did?: string): void {
    if (res.status >= 200 && res.status < 300) return;
    const msg = directoryMessage(res.body);
    if ((res.status === 404 || res.status === 410) && did !== undefined) {
      const deactivated = res.status === 410 || (msg !== undefined && /not available|tombstone|deactivated/i.test(msg));
      throw notFound(
        'DidNotFound',
        deactivated
          ? `${did} is deactivated: the directory ${this.baseUrl} has no current DID document for it (${msg ?? `HTTP ${res.status}`})`
          : `${did} is not registered in the directory ${this.baseUrl}${msg !== undefined ? ` (${msg})` : ''}`,
        {
          hint: deactivated
            ? 'its history is still in its audit log'
            : 'check the DID, and that this is the directory it is registered in',
          details: { did, status: res.status, deactivated, url: res.url },
        },
      );
    }
    this.#failStatus(res, what, msg);
  }

  #failStatus(res: HttpResponse, what: string, msg: string | undefined): never {
    if (res.status >= 300 && res.status < 400) {
      throw runtime('PlcRedirect', `${what}: ${res.url} answered HTTP ${res.status} (redirect to ${quoteValue(res.headers['location'] ?? '?', 120)}); redirects are not followed`, {
        hint: 'give the directory\'s final URL',
        details: { status: res.status, url: res.url },
      });
    }
    if (res.status === 429) {
      const after = res.headers['retry-after'];
      throw runtime('RateLimited', `${what}: the directory ${this.baseUrl} is rate-limiting requests (HTTP 429)${msg ? `: ${msg}` : ''}`, {
        hint: after !== undefined ? `try again in ${quoteValue(after, 40)} seconds` : 'wait a while and try again (the directory allows 10 operations per hour per DID)',
        details: { status: 429, url: res.url },
      });
    }
    throw runtime('PlcDirectoryError', `${what}: ${res.url} answered HTTP ${res.status}${msg ? `: ${msg}` : ''}`, {
      hint: res.status >= 500 ? 'the directory may be down; try again later' : 'check the directory URL and the DID',
      details: { status: res.status, url: res.url },
    });
  }

  /** `GET /{did}`: the current DID document, as the directory renders it (not checked beyond `id`). */
  async getDocument(did: string): Promise<Record<string, unknown>> {
    const url = this.#didUrl(did);
    const res = await this.#get(url, DOCUMENT_MAX_BYTES, this.#http, 'application/did+ld+json, application/json;q=0.9');
    this.#check(res, `fetching the DID document of ${did}`, did);
    const doc = parseJsonBody(res, 'the DID document');
    if (!isRecord(doc)) throw invalid('InvalidPlcResponse', `the DID document of ${did} from ${res.url} is not a JSON object`);
    if (doc['id'] !== did) {
      throw invalid('InvalidPlcResponse', `the directory answered for ${did} with a document whose id is ${quoteValue(doc['id'])}`);
    }
    return doc;
  }

  /** `GET /{did}/data`: the current state (rotation keys, verification methods, alsoKnownAs, services). */
  async getData(did: string): Promise<PlcData> {
    const url = this.#didUrl(did, '/data');
    const res = await this.#get(url, DOCUMENT_MAX_BYTES);
    this.#check(res, `fetching the PLC data of ${did}`, did);
    const data = parseJsonBody(res, 'the PLC data');
    if (
      !isRecord(data) ||
      !isStringArray(data['rotationKeys']) ||
      !isStringMap(data['verificationMethods']) ||
      !isStringArray(data['alsoKnownAs']) ||
      !isServiceMap(data['services'])
    ) {
      throw invalid('InvalidPlcResponse', `the PLC data of ${did} from ${res.url} does not have the expected shape {did, rotationKeys, verificationMethods, alsoKnownAs, services}`);
    }
    if (data['did'] !== undefined && data['did'] !== did) {
      throw invalid('InvalidPlcResponse', `the directory answered for ${did} with data for ${quoteValue(data['did'])}`);
    }
    const services: Record<string, PlcService> = {};
    for (const [k, v] of Object.entries(data['services'])) services[k] = { type: v.type, endpoint: v.endpoint };
    return {
      did,
      rotationKeys: [...data['rotationKeys']],
      verificationMethods: { ...data['verificationMethods'] },
      alsoKnownAs: [...data['alsoKnownAs']],
      services,
    };
  }

  /** `GET /{did}/log`: the active (non-nullified) operations, oldest first (not checked). */
  async getLog(did: string): Promise<unknown[]> {
    const url = this.#didUrl(did, '/log');
    const res = await this.#get(url, AUDIT_LOG_MAX_BYTES);
    this.#check(res, `fetching the operation log of ${did}`, did);
    const log = parseJsonBody(res, 'the operation log');
    if (!Array.isArray(log)) throw invalid('InvalidPlcResponse', `the operation log of ${did} from ${res.url} is not a JSON array`);
    return log;
  }

  /**
   * `GET /{did}/log/audit`: every operation with its CID, `nullified` flag and `createdAt`,
   * oldest first (capped at 10 MiB). The entries are not checked here: use `verifyAuditLog`.
   */
  async getAuditLog(did: string): Promise<unknown[]> {
    const url = this.#didUrl(did, '/log/audit');
    const res = await this.#get(url, AUDIT_LOG_MAX_BYTES);
    this.#check(res, `fetching the audit log of ${did}`, did);
    const log = parseJsonBody(res, 'the audit log');
    if (!Array.isArray(log)) throw invalid('InvalidPlcResponse', `the audit log of ${did} from ${res.url} is not a JSON array`);
    return log;
  }

  /** `GET /{did}/log/last`: the latest active operation, strictly parsed. */
  async getLastOperation(did: string): Promise<Operation> {
    const url = this.#didUrl(did, '/log/last');
    const res = await this.#get(url, DOCUMENT_MAX_BYTES);
    this.#check(res, `fetching the last operation of ${did}`, did);
    const op = parseJsonBody(res, 'the last operation');
    try {
      return parseOperation(op);
    } catch (err) {
      throw invalid('InvalidPlcResponse', `the last operation of ${did} from ${res.url} is not a valid signed operation: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * `POST /{did}` with the signed operation as JSON. The operation is parsed strictly first (a
   * malformed one is never sent). All the checks that decide whether it *should* be sent
   * (authority, prev freshness, lock-out) belong to the caller. Resolves when the directory
   * answers 2xx.
   */
  async submitOperation(did: string, signedOp: unknown): Promise<void> {
    const url = this.#didUrl(did);
    const op = parseOperation(signedOp);
    const res = await httpRequest(this.#http, {
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(op),
      maxBytes: DOCUMENT_MAX_BYTES,
      maxRedirects: 0,
    });
    if (res.status >= 200 && res.status < 300) return;
    const msg = directoryMessage(res.body);
    if (res.status === 409) {
      throw invalid('StalePrev', `the directory refused the operation for ${did}: its prev is no longer the latest operation (another operation was accepted first)${msg ? `: ${msg}` : ''}`, {
        details: { did, status: 409 },
      });
    }
    if (res.status === 400) {
      throw invalid('PlcOperationRejected', `the directory rejected the operation for ${did}${msg ? `: ${msg}` : ' (HTTP 400)'}`, {
        hint: 'nothing was changed',
        details: { did, status: 400 },
      });
    }
    if (res.status === 404) {
      throw notFound('DidNotFound', `the directory ${this.baseUrl} does not know ${did}${msg ? ` (${msg})` : ''}`, { details: { did, status: 404 } });
    }
    this.#failStatus(res, `submitting an operation for ${did}`, msg);
  }

  /**
   * One page of `GET /export?count=N[&after=cursor]`: NDJSON, one entry per line. A numeric
   * cursor asks for the sequenced format (`after=<seq>`), a datetime for the legacy createdAt
   * paging. A page longer than `count` is cut to `count` (old directories ignore `count`); the
   * returned cursor is that of the last entry returned, so nothing is skipped.
   */
  async exportPage(options: ExportPageOptions = {}, signal?: AbortSignal): Promise<ExportPage> {
    const count = options.count ?? EXPORT_MAX_COUNT;
    if (!Number.isSafeInteger(count) || count < 1 || count > EXPORT_MAX_COUNT) {
      throw usage('InvalidCount', `export page size must be an integer from 1 to ${EXPORT_MAX_COUNT}, got ${quoteValue(count)}`);
    }
    const params = new URLSearchParams({ count: String(count) });
    const after = options.after;
    if (after !== undefined) {
      if (typeof after === 'number') {
        if (!Number.isSafeInteger(after) || after < 0) throw usage('InvalidCursor', `export cursor must be a non-negative integer, got ${after}`);
        params.set('after', String(after));
      } else {
        params.set('after', String(parseExportCursor(after)));
      }
    }
    const url = `${this.baseUrl}/export?${params.toString()}`;
    const http: HttpConfig =
      signal === undefined ? this.#http : { ...this.#http, signal: this.#http.signal ? AbortSignal.any([this.#http.signal, signal]) : signal };
    const res = await this.#get(url, EXPORT_PAGE_MAX_BYTES, http, 'application/jsonlines, application/x-ndjson, application/json;q=0.5');
    if (res.status < 200 || res.status >= 300) this.#failStatus(res, 'exporting operations', directoryMessage(res.body));
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(res.body);
    } catch {
      throw invalid('InvalidPlcResponse', `the export page from ${res.url} is not valid UTF-8`);
    }
    const entries: ExportEntry[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length && entries.length < count; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line) as unknown;
      } catch {
        throw invalid('InvalidPlcResponse', `line ${i + 1} of the export page from ${res.url} is not JSON`);
      }
      if (!isRecord(value) || typeof value['did'] !== 'string' || typeof value['cid'] !== 'string' || typeof value['createdAt'] !== 'string') {
        throw invalid('InvalidPlcResponse', `line ${i + 1} of the export page from ${res.url} is not an export entry {did, operation, cid, createdAt}`);
      }
      if (value['seq'] !== undefined && (typeof value['seq'] !== 'number' || !Number.isSafeInteger(value['seq']))) {
        throw invalid('InvalidPlcResponse', `line ${i + 1} of the export page from ${res.url} has a non-integer seq`);
      }
      entries.push(value as ExportEntry);
    }
    const last = entries[entries.length - 1];
    return { entries, cursor: last === undefined ? after : exportCursor(last) };
  }

  /**
   * Every export entry from `cursor` on, fetched page by page only as the consumer asks for more
   * (back-pressure). Without `tail` the stream ends at the first empty page; with `tail` it then
   * polls every `intervalMs` for new entries until `signal` aborts (which throws an
   * 'interrupted' AtcliError). Transient failures while tailing are retried.
   */
  async *exportStream(options: ExportStreamOptions = {}): AsyncGenerator<ExportEntry, void, undefined> {
    let cursor = options.cursor;
    const interval = options.intervalMs ?? EXPORT_TAIL_INTERVAL_MS;
    const maxRetries = options.maxRetries ?? 5;
    let failures = 0;
    for (;;) {
      if (options.signal?.aborted) throw interrupted();
      let page: ExportPage;
      try {
        page = await this.exportPage({ ...(cursor !== undefined ? { after: cursor } : {}), ...(options.count !== undefined ? { count: options.count } : {}) }, options.signal);
        failures = 0;
      } catch (err) {
        if (options.signal?.aborted) throw interrupted();
        const retryable = options.tail === true && err instanceof AtcliError && err.kind === 'runtime' && failures < maxRetries;
        if (!retryable) throw err;
        failures++;
        options.onRetry?.(err, failures);
        await sleep(Math.min(interval * 2 ** (failures - 1), 60_000), options.signal);
        continue;
      }
      for (const entry of page.entries) {
        yield entry;
        cursor = exportCursor(entry);
      }
      if (page.entries.length === 0) {
        if (options.tail !== true) return;
        await sleep(interval, options.signal);
      }
    }
  }
}

// -------------------------------------------------------------------------------------------
// Comparing the document a log derives with the one the directory serves (docs/plc-operations.md).

interface NormalizedDoc {
  id: unknown;
  alsoKnownAs: unknown;
  verificationMethods: Map<string, { controller: unknown; key: string }>;
  services: Map<string, { type: unknown; endpoint: unknown }>;
}

function fragment(id: unknown, did: string): string | undefined {
  if (typeof id !== 'string') return undefined;
  if (id.startsWith('#')) return id.slice(1);
  if (id.startsWith(`${did}#`)) return id.slice(did.length + 1);
  return undefined;
}

function normalizeDoc(doc: Record<string, unknown>, did: string, problems: string[], side: string): NormalizedDoc {
  const verificationMethods = new Map<string, { controller: unknown; key: string }>();
  const vms = doc['verificationMethod'];
  if (vms !== undefined && !Array.isArray(vms)) problems.push(`${side}: verificationMethod is not an array`);
  for (const vm of Array.isArray(vms) ? vms : []) {
    if (!isRecord(vm)) {
      problems.push(`${side}: a verification method is not an object`);
      continue;
    }
    const name = fragment(vm['id'], did);
    if (name === undefined) {
      problems.push(`${side}: verification method id ${quoteValue(vm['id'])} is not "#name" or "${did}#name"`);
      continue;
    }
    let key: string;
    try {
      key = publicKeyFromVerificationMethod(vm).did();
    } catch {
      key = `(unparsed ${quoteValue(vm['publicKeyMultibase'])})`;
    }
    verificationMethods.set(name, { controller: vm['controller'], key });
  }
  const services = new Map<string, { type: unknown; endpoint: unknown }>();
  const svcs = doc['service'];
  if (svcs !== undefined && !Array.isArray(svcs)) problems.push(`${side}: service is not an array`);
  for (const svc of Array.isArray(svcs) ? svcs : []) {
    if (!isRecord(svc)) {
      problems.push(`${side}: a service is not an object`);
      continue;
    }
    const name = fragment(svc['id'], did);
    if (name === undefined) {
      problems.push(`${side}: service id ${quoteValue(svc['id'])} is not "#name" or "${did}#name"`);
      continue;
    }
    services.set(name, { type: svc['type'], endpoint: svc['serviceEndpoint'] });
  }
  return { id: doc['id'], alsoKnownAs: doc['alsoKnownAs'] ?? [], verificationMethods, services };
}

/**
 * Differences between the document the audit log derives (`expected`) and the one the directory
 * serves (`actual`), compared by meaning: the id, alsoKnownAs (in order), each verification
 * method by name (its key compared as a did:key, so the legacy `EcdsaSecp256k1VerificationKey2019`
 * rendering of old directories matches its Multikey form) and controller, and each service by
 * name. `@context` is not compared. An empty list means they agree.
 */
export function compareDidDocuments(expected: PlcDidDocument, actual: Record<string, unknown>): string[] {
  const did = expected.id;
  const out: string[] = [];
  const e = normalizeDoc(expected as unknown as Record<string, unknown>, did, out, 'derived document');
  const a = normalizeDoc(actual, did, out, "directory's document");
  if (a.id !== e.id) out.push(`id: the directory says ${quoteValue(a.id)}, the log ${quoteValue(e.id)}`);
  if (JSON.stringify(a.alsoKnownAs) !== JSON.stringify(e.alsoKnownAs)) {
    out.push(`alsoKnownAs: the directory says ${quoteValue(a.alsoKnownAs, 200)}, the log ${quoteValue(e.alsoKnownAs, 200)}`);
  }
  for (const [name, vm] of e.verificationMethods) {
    const other = a.verificationMethods.get(name);
    if (other === undefined) out.push(`verification method #${name} (${vm.key}) is missing from the directory's document`);
    else {
      if (other.key !== vm.key) out.push(`verification method #${name}: the directory says ${other.key}, the log ${vm.key}`);
      if (other.controller !== vm.controller) out.push(`verification method #${name}: controller ${quoteValue(other.controller)}, expected ${quoteValue(vm.controller)}`);
    }
  }
  for (const [name, vm] of a.verificationMethods) {
    if (!e.verificationMethods.has(name)) out.push(`the directory's document has an extra verification method #${name} (${vm.key})`);
  }
  for (const [name, svc] of e.services) {
    const other = a.services.get(name);
    if (other === undefined) out.push(`service #${name} is missing from the directory's document`);
    else if (other.type !== svc.type || other.endpoint !== svc.endpoint) {
      out.push(`service #${name}: the directory says ${quoteValue(other.type)} ${quoteValue(other.endpoint)}, the log ${quoteValue(svc.type)} ${quoteValue(svc.endpoint)}`);
    }
  }
  for (const name of a.services.keys()) {
    if (!e.services.has(name)) out.push(`the directory's document has an extra service #${name}`);
  }
  return out.map(redactSecrets);
}
