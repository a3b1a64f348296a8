/**
 * Inter-service auth tokens (spec:xrpc "Inter-Service Authentication"): short-lived JWTs signed
 * with the account's atproto signing key, `{iss, aud, exp, iat, lxm?, jti}`, alg ES256K (k256) or
 * ES256 (p256), the signature the 64-byte compact low-S r‖s (base64url), over the UTF-8 bytes of
 * `<header>.<payload>`.
 *
 * Either requested from the account's PDS (`com.atproto.server.getServiceAuth`), or signed offline
 * with a local copy of the signing key (self-managed identities, a dead old PDS).
 */
import { randomBytes } from 'node:crypto';
import { invalid, runtime, usage } from '../errors.js';
import { JWT_ALG, parseDidKey, type PrivateKey, type PublicKey } from '../crypto/index.js';
import { checkDid, checkNsid } from '../syntax/index.js';
import { XrpcClient, XrpcError } from '../xrpc/index.js';

/** Longest lifetime the reference PDS grants (an hour), and the default we ask for. */
export const SERVICE_AUTH_MAX_EXP_SECONDS = 3600;
export const SERVICE_AUTH_DEFAULT_EXP_SECONDS = 60;

export interface ServiceAuthRequest {
  /** The service the token is for: a DID, or a DID#service reference. */
  aud: string;
  /** Restrict the token to one method (NSID). */
  lxm?: string;
  /** Lifetime in seconds (default 60). */
  expSeconds?: number;
}

export interface ServiceAuthToken {
  token: string;
  iss: string;
  aud: string;
  lxm?: string;
  /** Seconds since the epoch. */
  exp: number;
}

function checkRequest(req: ServiceAuthRequest): number {
  const audDid = req.aud.split('#')[0] ?? '';
  const audProblem = checkDid(audDid);
  if (audProblem !== null) throw usage('InvalidAudience', `the audience (aud) must be a DID or DID#service: ${audProblem}`, { hint: 'a PDS names its DID in com.atproto.server.describeServer (e.g. did:web:pds.example.com)' });
  if (req.lxm !== undefined) {
    const p = checkNsid(req.lxm);
    if (p !== null) throw usage('InvalidLxm', `the method (lxm) must be an NSID: ${p}`, { hint: 'for example com.atproto.server.createAccount' });
  }
  const exp = req.expSeconds ?? SERVICE_AUTH_DEFAULT_EXP_SECONDS;
  if (!Number.isInteger(exp) || exp < 1 || exp > SERVICE_AUTH_MAX_EXP_SECONDS) {
    throw usage('InvalidExpiry', `the lifetime must be a whole number of seconds from 1 to ${SERVICE_AUTH_MAX_EXP_SECONDS}`, { hint: 'PDSes refuse tokens that live longer than an hour' });
  }
  if (req.lxm === undefined && exp > 60) {
    throw usage('InvalidExpiry', 'a token not restricted to one method (lxm) may live at most 60 seconds', { hint: 'restrict it to one method, or shorten its lifetime' });
  }
  return exp;
}

/** Asks the logged-in account's PDS for a token (`com.atproto.server.getServiceAuth`). */
export async function requestServiceAuth(client: XrpcClient, req: ServiceAuthRequest, now = Date.now()): Promise<ServiceAuthToken> {
  const lifetime = checkRequest(req);
  const exp = Math.floor(now / 1000) + lifetime;
  let out: unknown;
  try {
    out = await client.query<unknown>('com.atproto.server.getServiceAuth', { aud: req.aud, lxm: req.lxm, exp });
  } catch (err) {
    if (err instanceof XrpcError && /insufficient access|scope/i.test(err.message)) {
      throw invalid('AppPasswordNotAllowed', `the PDS refused the service-auth token: ${err.message}`, {
        hint: 'this needs a session made with the account password, not an app password',
      });
    }
    throw err;
  }
  const token = typeof out === 'object' && out !== null ? (out as { token?: unknown }).token : undefined;
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw runtime('InvalidResponse', 'com.atproto.server.getServiceAuth: the answer has no JWT "token"');
  }
  const claims = decodeJwt(token).payload;
  return {
    token,
    iss: typeof claims['iss'] === 'string' ? claims['iss'] : '',
    aud: req.aud,
    ...(req.lxm !== undefined ? { lxm: req.lxm } : {}),
    exp: typeof claims['exp'] === 'number' ? claims['exp'] : exp,
  };
}

export interface OfflineServiceAuthRequest extends ServiceAuthRequest {
  /** The account (DID) the token speaks for; its DID document must list the key's public half. */
  iss: string;
}

/** Signs a token locally with the account's atproto signing key. */
export function signServiceAuth(key: PrivateKey, req: OfflineServiceAuthRequest, now = Date.now()): ServiceAuthToken {
  const lifetime = checkRequest(req);
  const issDid = req.iss.split('#')[0] ?? '';
  const issProblem = checkDid(issDid);
  if (issProblem !== null) throw usage('InvalidIssuer', `the issuer (iss) must be a DID: ${issProblem}`, { hint: 'the DID of the account the token speaks for' });
  const iat = Math.floor(now / 1000);
  const exp = iat + lifetime;
  const header = { typ: 'JWT', alg: JWT_ALG[key.type] };
  const payload: Record<string, unknown> = { iat, iss: req.iss, aud: req.aud, exp, jti: randomBytes(16).toString('hex') };
  if (req.lxm !== undefined) payload['lxm'] = req.lxm;
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = key.sign(new TextEncoder().encode(signingInput));
  return {
    token: `${signingInput}.${Buffer.from(sig).toString('base64url')}`,
    iss: req.iss,
    aud: req.aud,
    ...(req.lxm !== undefined ? { lxm: req.lxm } : {}),
    exp,
  };
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Uint8Array;
}

/** Splits and decodes a JWT without checking it. Throws invalid 'InvalidJwt'. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('InvalidJwt', 'not a JWT (expected three dot-separated parts)');
  const [h, p, s] = parts as [string, string, string];
  const parse = (part: string, what: string): Record<string, unknown> => {
    try {
      const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* fall through */
    }
    throw invalid('InvalidJwt', `the JWT ${what} is not a base64url JSON object`);
  };
  return { header: parse(h, 'header'), payload: parse(p, 'payload'), signingInput: `${h}.${p}`, signature: Uint8Array.from(Buffer.from(s, 'base64url')) };
}

/**
 * Checks a service-auth token against a public key (a did:key or PublicKey): algorithm matches
 * the key type, signature valid, not expired (with `now`), and optionally aud/lxm. Returns the
 * claims; throws invalid 'InvalidServiceAuth' otherwise.
 */
export function verifyServiceAuth(
  token: string,
  key: PublicKey | string,
  expect: { aud?: string; lxm?: string; now?: number } = {},
): Record<string, unknown> {
  const pub = typeof key === 'string' ? parseDidKey(key) : key;
  const jwt = decodeJwt(token);
  const fail = (why: string): never => {
    throw invalid('InvalidServiceAuth', `service-auth token rejected: ${why}`);
  };
  if (jwt.header['alg'] !== JWT_ALG[pub.type]) fail(`alg ${String(jwt.header['alg'])} does not match a ${pub.type} key (${JWT_ALG[pub.type]})`);
  if (!pub.verify(new TextEncoder().encode(jwt.signingInput), jwt.signature)) fail('the signature does not verify with the key');
  const now = Math.floor((expect.now ?? Date.now()) / 1000);
  const exp = jwt.payload['exp'];
  if (typeof exp !== 'number' || exp <= now) fail('expired');
  if (expect.aud !== undefined && jwt.payload['aud'] !== expect.aud) fail(`aud is ${String(jwt.payload['aud'])}, expected ${expect.aud}`);
  if (expect.lxm !== undefined && jwt.payload['lxm'] !== expect.lxm) fail(`lxm is ${String(jwt.payload['lxm'])}, expected ${expect.lxm}`);
  return jwt.payload;
}
