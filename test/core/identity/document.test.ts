import { base58btc } from 'multiformats/bases/base58';
import { describe, expect, it } from 'vitest';
import { AtcliError } from '../../../src/core/errors.js';
import { checkPdsEndpoint, parseDidDocument } from '../../../src/core/identity/document.js';

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';

// spec:did "Legacy Representation": one K-256 key, legacy (65-byte, no codec) and Multikey forms.
const LEGACY_K256_65 = 'zQYEBzXeuTM9UR3rfvNag6L3RNAs5pQZyYPsomTsgQhsxLdEgCrPTLgFna8yqCnxPpNT7DBk6Ym3dgPKNu86vt9GR';
const MULTIKEY_K256 = 'zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF';
const DIDKEY_K256 = `did:key:${MULTIKEY_K256}`;
// The same point compressed, without a codec (the form in the interop signature fixtures).
const LEGACY_K256_33 = base58btc.encode(base58btc.decode(MULTIKEY_K256).subarray(2));
// A second, different valid key (p256) for "which one was picked" tests.
const MULTIKEY_P256 = 'zDnaeTiq1PdzvZXUaMdezchcMJQpBdH2VN4pgrrEhMCCbmwSb';

function vm(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: `${DID}#atproto`, type: 'Multikey', controller: DID, publicKeyMultibase: MULTIKEY_K256, ...over };
}

function pdsService(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.example.com', ...over };
}

function doc(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: DID,
    alsoKnownAs: ['at://alice.example.com'],
    verificationMethod: [vm()],
    service: [pdsService()],
    ...over,
  };
}

describe('parseDidDocument', () => {
  it('reads a well-formed reference-PLC-style document', () => {
    const p = parseDidDocument(DID, doc());
    expect(p.claimedHandle).toBe('alice.example.com');
    expect(p.pds).toBe('https://pds.example.com');
    expect(p.signingKey?.did()).toBe(DIDKEY_K256);
    expect(p.warnings).toEqual([]);
  });

  it('parses the JSON the reference PLC directory serves', () => {
    const json = `{"@context":["https://www.w3.org/ns/did/v1","https://w3id.org/security/multikey/v1","https://w3id.org/security/suites/secp256k1-2019/v1"],
      "id":"${DID}","alsoKnownAs":["at://alice.test"],
      "verificationMethod":[{"id":"${DID}#atproto","type":"Multikey","controller":"${DID}","publicKeyMultibase":"${MULTIKEY_K256}"}],
      "service":[{"id":"#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":"http://localhost:2583"}]}`;
    const p = parseDidDocument(DID, JSON.parse(json), { dev: true });
    expect(p).toMatchObject({ claimedHandle: 'alice.test', pds: 'http://localhost:2583' });
    expect(p.signingKey?.did()).toBe(DIDKEY_K256);
    // Outside dev mode an http:// endpoint is not a PDS.
    expect(parseDidDocument(DID, JSON.parse(json)).pds).toBeUndefined();
  });

  // H1 / J1
  it('H1: rejects a document whose id is not the DID', () => {
    const err = catchErr(() => parseDidDocument(DID, doc({ id: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' })));
    expect(err).toMatchObject({ kind: 'invalid', code: 'DidDocumentMismatch' });
  });

  it.each([
    ['different case', DID.toUpperCase()],
    ['trailing space', `${DID} `],
    ['missing', undefined],
    ['number', 5],
  ])('J1: rejects id %s', (_name, id) => {
    const d = doc();
    if (id === undefined) delete d['id'];
    else d['id'] = id;
    expect(catchErr(() => parseDidDocument(DID, d))).toMatchObject({ kind: 'invalid', code: 'DidDocumentMismatch' });
  });

  it.each([[null], [[]], ['{}'], [42]])('J1: rejects a non-object document %j', (value) => {
    expect(catchErr(() => parseDidDocument(DID, value))).toMatchObject({ kind: 'invalid', code: 'InvalidDidDocument' });
  });

  // H2
  it('H2: skips an #atproto key with a foreign controller', () => {
    const p = parseDidDocument(DID, doc({ verificationMethod: [vm({ controller: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' })] }));
    expect(p.signingKey).toBeUndefined();
    expect(p.warnings.join('\n')).toMatch(/controller/);
    const p2 = parseDidDocument(
      DID,
      doc({ verificationMethod: [vm({ controller: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }), vm({ publicKeyMultibase: MULTIKEY_P256 })] }),
    );
    expect(p2.signingKey?.did()).toBe(`did:key:${MULTIKEY_P256}`);
  });

  // H3
  it.each([
    ['bad multibase', vm({ publicKeyMultibase: 'zzzz' })],
    ['no key', vm({ publicKeyMultibase: undefined })],
    ['wrong type', vm({ type: 'JsonWebKey2020' })],
    ['unusable curve (ed25519)', vm({ publicKeyMultibase: 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' })],
    ['not an object', 'did:key:zQ3s'],
  ])('H3: first #atproto key unusable (%s), second valid → second is used', (_name, first) => {
    const p = parseDidDocument(DID, doc({ verificationMethod: [first, vm({ publicKeyMultibase: MULTIKEY_P256 })] }));
    expect(p.signingKey?.did()).toBe(`did:key:${MULTIKEY_P256}`);
  });

  // H4
  it('H4: skips a VM whose id names another DID', () => {
    const p = parseDidDocument(DID, doc({ verificationMethod: [vm({ id: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa#atproto' })] }));
    expect(p.signingKey).toBeUndefined();
    expect(p.warnings.join('\n')).toMatch(/another DID/);
  });

  it.each([
    ['#atproto', true],
    [`${DID}#atproto`, true],
    ['#atproto_label', false],
    [`${DID}#other`, false],
    ['atproto', false],
    [`${DID}#ATPROTO`, false],
  ])('J2: VM id %s accepted: %s', (id, ok) => {
    const p = parseDidDocument(DID, doc({ verificationMethod: [vm({ id })] }));
    expect(p.signingKey !== undefined).toBe(ok);
  });

  // H5
  it('H5: accepts legacy k256 keys in the 65-byte and 33-byte forms', () => {
    for (const key of [LEGACY_K256_65, LEGACY_K256_33]) {
      const p = parseDidDocument(
        DID,
        doc({ verificationMethod: [{ id: '#atproto', type: 'EcdsaSecp256k1VerificationKey2019', controller: DID, publicKeyMultibase: key }] }),
      );
      expect(p.signingKey?.did()).toBe(DIDKEY_K256);
    }
  });

  // H6
  it.each([
    ['m (base64)', 'm' + Buffer.from(base58btc.decode(MULTIKEY_K256)).toString('base64').replace(/=+$/, '')],
    ['u (base64url)', 'u' + Buffer.from(base58btc.decode(MULTIKEY_K256)).toString('base64url')],
  ])('H6: rejects publicKeyMultibase with %s multibase', (_name, key) => {
    const p = parseDidDocument(DID, doc({ verificationMethod: [vm({ publicKeyMultibase: key })] }));
    expect(p.signingKey).toBeUndefined();
    expect(p.warnings.join('\n')).toMatch(/unusable/);
  });

  // H7
  it('H7: an unrelated service with an object serviceEndpoint is ignored', () => {
    const p = parseDidDocument(
      DID,
      doc({
        service: [
          { id: '#bsky_fg', type: 'BskyFeedGenerator', serviceEndpoint: { uri: 'https://x.example', nested: [1, 2] } },
          null,
          42,
          { id: 7 },
          pdsService(),
        ],
      }),
    );
    expect(p.pds).toBe('https://pds.example.com');
  });

  it('J4: unrelated verification methods and junk entries do not break parsing', () => {
    const p = parseDidDocument(
      DID,
      doc({
        verificationMethod: [
          { id: '#atproto_label', type: 'Multikey', controller: DID, publicKeyMultibase: { weird: true } },
          null,
          [],
          vm(),
        ],
        alsoKnownAs: [42, null, 'https://alice.example.com', 'at://alice.example.com'],
      }),
    );
    expect(p.signingKey?.did()).toBe(DIDKEY_K256);
    expect(p.claimedHandle).toBe('alice.example.com');
  });

  it('fields of the wrong type are ignored with a warning, never thrown', () => {
    const p = parseDidDocument(DID, doc({ alsoKnownAs: 'at://alice.example.com', verificationMethod: {}, service: 'x' }));
    expect([p.claimedHandle, p.pds, p.signingKey]).toEqual([undefined, undefined, undefined]);
    expect(p.warnings.length).toBeGreaterThanOrEqual(3);
  });

  // H8
  it('H8: PDS endpoint with userinfo, path and query is rejected', () => {
    const p = parseDidDocument(DID, doc({ service: [pdsService({ serviceEndpoint: 'https://u:p@pds.example/xrpc?x' })] }));
    expect(p.pds).toBeUndefined();
    const w = p.warnings.join('\n');
    expect(w).toMatch(/userinfo/);
    const q = parseDidDocument(DID, doc({ service: [pdsService({ serviceEndpoint: 'https://pds.example/xrpc?x' })] }));
    expect(q.pds).toBeUndefined();
    expect(q.warnings.join('\n')).toMatch(/query/);
    const r = parseDidDocument(DID, doc({ service: [pdsService({ serviceEndpoint: 'https://pds.example/xrpc' })] }));
    expect(r.pds).toBeUndefined();
    expect(r.warnings.join('\n')).toMatch(/path/);
  });

  // H9
  it('H9: the claimed handle is the first *valid* at:// entry', () => {
    const p = parseDidDocument(DID, doc({ alsoKnownAs: ['at://bad_handle', 'at://alice.example.com'] }));
    expect(p.claimedHandle).toBe('alice.example.com');
    expect(p.warnings.join('\n')).toMatch(/bad_handle/);
  });

  it('the claimed handle is normalized to lower case; later valid entries are ignored', () => {
    const p = parseDidDocument(DID, doc({ alsoKnownAs: ['at://Alice.Example.COM', 'at://bob.example.com'] }));
    expect(p.claimedHandle).toBe('alice.example.com');
  });

  it.each([['at://\u212Aelvin.example.com'], ['at://alice.example.com/app.bsky.feed.post'], ['at://did:plc:ewvi7nxzyoun6zhxrhs64oiz'], ['at://alice.example.com.']])(
    'no claimed handle from %s',
    (aka) => {
      expect(parseDidDocument(DID, doc({ alsoKnownAs: [aka] })).claimedHandle).toBeUndefined();
    },
  );

  // J3
  it.each([
    ['#atproto_pds', 'AtprotoPersonalDataServer', true],
    [`${DID}#atproto_pds`, 'AtprotoPersonalDataServer', true],
    ['#atproto_pds', 'BskyFeedGenerator', false],
    ['did:plc:aaaaaaaaaaaaaaaaaaaaaaaa#atproto_pds', 'AtprotoPersonalDataServer', false],
    ['#atproto_labeler', 'AtprotoLabeler', false],
  ])('J3: service id %s type %s is the PDS: %s', (id, type, ok) => {
    expect(parseDidDocument(DID, doc({ service: [pdsService({ id, type })] })).pds !== undefined).toBe(ok);
  });

  it('J3: the first service matching id and type wins', () => {
    const p = parseDidDocument(
      DID,
      doc({
        service: [
          pdsService({ type: 'Wrong' }),
          pdsService({ serviceEndpoint: 'https://first.example.com' }),
          pdsService({ serviceEndpoint: 'https://second.example.com' }),
        ],
      }),
    );
    expect(p.pds).toBe('https://first.example.com');
  });
});

describe('checkPdsEndpoint', () => {
  it.each([
    ['https://pds.example.com', 'https://pds.example.com'],
    ['https://pds.example.com/', 'https://pds.example.com'],
    ['https://PDS.Example.com:8443', 'https://pds.example.com:8443'],
    ['HTTPS://morel.us-east.host.bsky.network', 'https://morel.us-east.host.bsky.network'],
  ])('accepts %s', (input, want) => {
    expect(checkPdsEndpoint(input)).toEqual({ url: want });
  });

  it.each([
    ['http://pds.example.com'],
    ['http://localhost:2583'],
    ['https://pds.example.com/xrpc'],
    ['https://pds.example.com?x=1'],
    ['https://pds.example.com#frag'],
    ['https://user@pds.example.com'],
    ['https://pds.example.com:0'],
    ['https://pds.example.com:99999'],
    ['https://127.0.0.1'],
    ['https://0x7f.1'],
    ['https://2130706433'],
    ['https://[::1]'],
    ['https://pds_example.com'],
    ['ftp://pds.example.com'],
    ['wss://pds.example.com'],
    ['pds.example.com'],
    ['//pds.example.com'],
    ['https://'],
    [''],
    [['https://pds.example.com']],
    [{ uri: 'https://pds.example.com' }],
    [null],
  ])('rejects %j', (input) => {
    expect(checkPdsEndpoint(input)).toHaveProperty('reason');
  });

  it.each([['http://localhost:2583'], ['http://127.0.0.1:2583'], ['http://[::1]:2583'], ['https://localhost:2583']])(
    'accepts loopback %s in dev mode',
    (input) => {
      expect(checkPdsEndpoint(input, { dev: true })).toHaveProperty('url');
    },
  );

  it('dev mode allows http:// and private addresses (a local network), but never ambiguous hosts', () => {
    expect(checkPdsEndpoint('http://pds.example.com', { dev: true })).toHaveProperty('url');
    expect(checkPdsEndpoint('http://10.0.0.5:2583', { dev: true })).toHaveProperty('url');
    expect(checkPdsEndpoint('http://0x7f.1:2583', { dev: true })).toHaveProperty('reason');
  });
});

function catchErr(fn: () => unknown): AtcliError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AtcliError);
    return err as AtcliError;
  }
  throw new Error('expected an error');
}
