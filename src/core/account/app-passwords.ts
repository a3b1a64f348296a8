/**
 * App passwords (`com.atproto.server.listAppPasswords`, `createAppPassword`, `revokeAppPassword`):
 * named secondary passwords that log in with reduced rights. Managing them needs a session made
 * with the account password. A new app password is returned once, in the result of
 * {@link createAppPassword}; it is never put in an error.
 */
import { authError, notFound, runtime, usage } from '../errors.js';
import { XrpcError, sanitizeRemoteText, type XrpcClient } from '../xrpc/index.js';

export interface AppPassword {
  name: string;
  createdAt: string;
  /** may also manage direct messages */
  privileged: boolean;
}

export interface CreatedAppPassword extends AppPassword {
  /** the password itself: shown once, stored nowhere */
  password: string;
}

function fullAccessRequired(err: unknown, nsid: string): never {
  if (err instanceof XrpcError && (err.status === 400 || err.status === 401 || err.status === 403) && /scope|app password|oauth|not supported/i.test(err.message)) {
    throw authError('FullAccessRequired', `${nsid} needs a session made with the account password, not an app password`, {
      hint: 'log in with the account password to manage app passwords',
      details: { nsid, status: err.status, xrpcError: err.xrpcError },
    });
  }
  throw err;
}

function parseAppPassword(v: unknown): AppPassword | undefined {
  if (typeof v !== 'object' || v === null || typeof (v as { name?: unknown }).name !== 'string') return undefined;
  const o = v as Record<string, unknown>;
  return {
    name: sanitizeRemoteText(o['name'] as string, 200),
    createdAt: typeof o['createdAt'] === 'string' ? sanitizeRemoteText(o['createdAt'], 40) : '',
    privileged: o['privileged'] === true,
  };
}

export async function listAppPasswords(client: XrpcClient): Promise<AppPassword[]> {
  const nsid = 'com.atproto.server.listAppPasswords';
  const out = await client.query<unknown>(nsid).catch((err: unknown) => fullAccessRequired(err, nsid));
  const list = (out as { passwords?: unknown } | null)?.passwords;
  if (!Array.isArray(list)) throw runtime('InvalidResponse', `${nsid}: the answer has no "passwords" list`);
  return list.map(parseAppPassword).filter((p): p is AppPassword => p !== undefined);
}

/** Names the reference PDS accepts: 1–100 printable characters. */
function checkName(name: string): string {
  const n = name.trim();
  if (n === '' || n.length > 100 || /[\u0000-\u001f\u007f]/.test(n)) {
    throw usage('InvalidAppPasswordName', 'an app password name is 1 to 100 printable characters');
  }
  return n;
}

export async function createAppPassword(client: XrpcClient, name: string, opts: { privileged?: boolean } = {}): Promise<CreatedAppPassword> {
  const nsid = 'com.atproto.server.createAppPassword';
  const body = { name: checkName(name), ...(opts.privileged === true ? { privileged: true } : {}) };
  const out = await client.procedure<unknown>(nsid, body).catch((err: unknown) => {
    if (err instanceof XrpcError && /already|exists|duplicate/i.test(err.message)) {
      throw usage('AppPasswordExists', `an app password named "${body.name}" already exists`, { details: { name: body.name } });
    }
    return fullAccessRequired(err, nsid);
  });
  const parsed = parseAppPassword(out);
  const password = (out as { password?: unknown } | null)?.password;
  if (parsed === undefined || typeof password !== 'string' || password === '') throw runtime('InvalidResponse', `${nsid}: the answer has no name and password`);
  return { ...parsed, password };
}

/**
 * Revokes the app password `name` (sessions made with it end). The PDS answers success for a
 * name that does not exist, so the list is read first: notFound 'AppPasswordNotFound' then.
 */
export async function revokeAppPassword(client: XrpcClient, name: string): Promise<{ name: string; revoked: true }> {
  const wanted = checkName(name);
  const existing = await listAppPasswords(client);
  if (!existing.some((p) => p.name === wanted)) {
    throw notFound('AppPasswordNotFound', `the account has no app password named "${sanitizeRemoteText(wanted, 100)}"`, {
      details: { name: wanted, existing: existing.slice(0, 50).map((p) => p.name) },
    });
  }
  const nsid = 'com.atproto.server.revokeAppPassword';
  await client.procedure(nsid, { name: wanted }).catch((err: unknown) => fullAccessRequired(err, nsid));
  return { name: wanted, revoked: true };
}
