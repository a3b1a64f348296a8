import { describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { checkServiceUrl, checkUrlPolicy, type UrlPolicy } from '../../../src/core/net/url-policy.js';
import { XrpcClient } from '../../../src/core/xrpc/client.js';
import { PlcDirectoryClient } from '../../../src/core/plc/directory.js';
import { subscribeReposUrl } from '../../../src/core/firehose/subscriber.js';
import { baseConfig } from './helpers.js';

const user: UrlPolicy = { dev: false, source: 'user' };
const remote: UrlPolicy = { dev: false, source: 'remote' };
const dev: UrlPolicy = { dev: true, source: 'remote' };

function problem(raw: string, policy: UrlPolicy): string | undefined {
  const r = checkUrlPolicy(raw, policy);
  return 'problem' in r ? r.problem.code : undefined;
}

// Hosts the WHATWG URL parser silently rewrites into 127.0.0.1, and credentials.
const AMBIGUOUS = [
  'http://2130706433',
  'http://0x7f.0.0.1',
  'http://0x7f.1',
  'http://127.1',
  'http://0177.0.0.1',
  'http://127.0.0.1.',
  'http://%31%32%37.0.0.1',
  'https://ex%61mple.com',
  'http://user:pw@127.0.0.1',
  'https://user:pw@pds.example.com',
  'https://exa\tmple.com',
  'https:\\\\example.com',
  'https://example.com\\@evil.com',
];

describe('the URL policy', () => {
  it.each(AMBIGUOUS)('refuses %j in every mode, before parsing', (raw) => {
    for (const policy of [user, remote, dev, { dev: true, source: 'user' } as UrlPolicy]) {
      expect(problem(raw, policy)).toBe('InvalidUrl');
    }
  });

  it.each([
    ['https://pds.example.com', user],
    ['https://pds.example.com:8443/', remote],
    ['HTTPS://PDS.Example.com', remote],
    ['https://93.184.216.34', remote],
    ['http://localhost:2583', user],
    ['http://127.0.0.1:2583/xrpc', user],
    ['http://[::1]:2583', user],
    ['https://localhost', user],
    ['http://pds:2583', dev],
    ['http://10.0.0.5', dev],
    ['http://localhost:2583', dev],
  ] as const)('accepts %s (%o)', (raw, policy) => {
    expect(problem(raw, policy)).toBeUndefined();
  });

  it('keeps loopback for URLs the user typed, and private addresses for development mode', () => {
    expect(problem('http://localhost:2583', remote)).toBe('InsecureUrl');
    expect(problem('https://localhost:2583', remote)).toBe('PrivateAddress');
    expect(problem('https://127.0.0.1', remote)).toBe('PrivateAddress');
    expect(problem('https://10.0.0.1', user)).toBe('PrivateAddress');
    expect(problem('https://169.254.169.254', user)).toBe('PrivateAddress');
    expect(problem('https://[::ffff:127.0.0.1]', user)).toBe('PrivateAddress');
    expect(problem('https://[fe80::1]', user)).toBe('PrivateAddress');
    expect(problem('http://example.com', user)).toBe('InsecureUrl');
    expect(problem('https://intranet', remote)).toBe('InvalidUrl');
  });

  it('checks the shape: origin only, a base path, or a full request', () => {
    expect(problem('https://pds.example.com/xrpc', { ...remote, shape: 'origin' })).toBe('InvalidUrl');
    expect(problem('https://pds.example.com/', { ...remote, shape: 'origin' })).toBeUndefined();
    expect(problem('https://plc.example.com/prefix', user)).toBeUndefined();
    expect(problem('https://plc.example.com/?x=1', user)).toBe('InvalidUrl');
    expect(problem('https://plc.example.com/p?x=1', { ...user, shape: 'request' })).toBeUndefined();
    expect(problem('https://plc.example.com/#f', { ...user, shape: 'request' })).toBe('InvalidUrl');
  });

  it('refuses oversized strings at once', () => {
    expect(problem(`https://${'a'.repeat(100_000)}.com`, user)).toBe('InvalidUrl');
  });

  it('turns a problem into a usage error that names no command-line flag', () => {
    let err: unknown;
    try {
      checkServiceUrl('http://2130706433', { dev: false }, 'the service URL');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AtcliError);
    expect((err as AtcliError).exitCode).toBe(2);
    expect((err as AtcliError).message).toContain('ambiguous');
    expect((err as AtcliError).message).not.toContain('--');
  });
});

describe('every place a service URL is accepted applies the same policy', () => {
  it.each(AMBIGUOUS)('XRPC targets, the PLC directory and the relay refuse %j', (raw) => {
    const http = baseConfig();
    expect(() => new XrpcClient({ service: raw, http })).toThrow(AtcliError);
    expect(() => new PlcDirectoryClient({ plcUrl: raw, http })).toThrow(AtcliError);
    expect(() => subscribeReposUrl(raw)).toThrow(AtcliError);
  });

  it('an XRPC target keeps the host as written', () => {
    expect(new XrpcClient({ service: 'http://127.0.0.1:2583/', http: baseConfig() }).service).toBe('http://127.0.0.1:2583');
  });
});
