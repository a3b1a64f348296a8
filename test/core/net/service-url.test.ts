import { describe, expect, it } from 'vitest';
import { serviceHostname, serviceOrigin } from '../../../src/core/net/service-url.js';

describe('service URLs as users write them', () => {
  it.each([
    ['https://pds.example.com', 'https://pds.example.com'],
    ['https://pds.example.com/', 'https://pds.example.com'],
    ['pds.example.com', 'https://pds.example.com'],
    ['  PDS.Example.COM  ', 'https://pds.example.com'],
    ['wss://bsky.network', 'https://bsky.network'],
    ['wss://bsky.network/xrpc/com.atproto.sync.subscribeRepos', 'https://bsky.network'],
    ['ws://localhost:2470', 'http://localhost:2470'],
    ['http://127.0.0.1:2583', 'http://127.0.0.1:2583'],
    ['https://relay.example.com:8443', 'https://relay.example.com:8443'],
  ])('%j → %s', (input, origin) => {
    expect(serviceOrigin(input)).toBe(origin);
  });

  it.each(['', 'ftp://x.example', 'https://user:pw@x.example', 'https://x.example/some/path', 'https://x.example/?q=1', 'https://x.example/#f', 'http://[bad'])('refuses %j', (input) => {
    expect(() => serviceOrigin(input)).toThrow(expect.objectContaining({ code: 'InvalidServiceUrl', kind: 'usage' }));
  });

  it('a credential in the URL is not echoed', () => {
    expect(() => serviceOrigin('https://admin:topsecret@x.example')).toThrow();
    try {
      serviceOrigin('https://admin:topsecret@x.example');
    } catch (err) {
      expect((err as Error).message).not.toContain('topsecret');
    }
  });

  it('the hostname a relay knows a host by', () => {
    expect(serviceHostname('wss://pds.example.com')).toBe('pds.example.com');
    expect(serviceHostname('http://localhost:2583')).toBe('localhost:2583');
  });
});
