import { describe, expect, it } from 'vitest';
import {
  K256_CONTEXT,
  MULTIKEY_CONTEXT,
  P256_CONTEXT,
  dataFromOperation,
  documentFromOperation,
  parseOperation,
  signOperation,
} from '../../../src/core/plc/index.js';
import { BSKY_RECOVERY_KEY, BSKY_SIGNING_KEY, DHOLMS_DID, DHOLMS_GENESIS, JAY_DID, JAY_OPS } from './fixtures/vectors.js';
import { atprotoOp, makeKeys } from './helpers.js';

const ED25519 = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

describe('dataFromOperation', () => {
  it('returns /data shape; legacy create normalised (P11)', () => {
    expect(dataFromOperation(DHOLMS_DID, parseOperation(DHOLMS_GENESIS))).toEqual({
      did: DHOLMS_DID,
      rotationKeys: [BSKY_RECOVERY_KEY, BSKY_SIGNING_KEY],
      verificationMethods: { atproto: BSKY_SIGNING_KEY },
      alsoKnownAs: ['at://dan.bsky.social'],
      services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://bsky.social' } },
    });
  });

  it('legacy handle/service normalisation adds the at:// and https:// prefixes as the directory does', () => {
    const keys = makeKeys();
    const legacy = signOperation(
      {
        type: 'create',
        signingKey: keys.signing.publicKey.did(),
        recoveryKey: keys.r0.publicKey.did(),
        handle: 'https://old.example.com',
        service: 'pds.example.com',
        prev: null,
      },
      keys.signing,
    );
    const data = dataFromOperation('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', legacy)!;
    expect(data.alsoKnownAs).toEqual(['at://old.example.com']);
    expect(data.services['atproto_pds']!.endpoint).toBe('https://pds.example.com');
    expect(data.rotationKeys).toEqual([keys.r0.publicKey.did(), keys.signing.publicKey.did()]);
  });

  it('is null for a tombstone', () => {
    const keys = makeKeys();
    const tomb = signOperation({ type: 'plc_tombstone', prev: 'bafyreigcxay6ucqlwowfpu35alyxqtv3c4vsj7gmdtmnidsnqs6nblyarq' }, keys.r0);
    expect(dataFromOperation(DHOLMS_DID, tomb)).toBeNull();
    expect(() => documentFromOperation(DHOLMS_DID, tomb)).toThrow(/deactivated/);
  });
});

describe('documentFromOperation (P11)', () => {
  it('renders a legacy genesis like the directory (k256 context, #atproto_pds service)', () => {
    const doc = documentFromOperation(JAY_DID, parseOperation(JAY_OPS[0]));
    expect(doc).toEqual({
      '@context': ['https://www.w3.org/ns/did/v1', MULTIKEY_CONTEXT, K256_CONTEXT],
      id: JAY_DID,
      alsoKnownAs: ['at://jay.bsky.social'],
      verificationMethod: [
        {
          id: `${JAY_DID}#atproto`,
          type: 'Multikey',
          controller: JAY_DID,
          publicKeyMultibase: BSKY_SIGNING_KEY.slice('did:key:'.length),
        },
      ],
      service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://bsky.social' }],
    });
  });

  it('adds each suite context once, per key type; ed25519 gets none', () => {
    const keys = makeKeys();
    const op = atprotoOp(keys, null);
    op.verificationMethods = {
      atproto: keys.r0.publicKey.did(), // p256
      other: keys.r1.publicKey.did(), // k256
      third: keys.r2.publicKey.did(), // k256 again
      ed: ED25519,
    };
    const doc = documentFromOperation('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', op);
    expect(doc['@context']).toEqual(['https://www.w3.org/ns/did/v1', MULTIKEY_CONTEXT, P256_CONTEXT, K256_CONTEXT]);
    expect(doc.verificationMethod.map((v) => v.id)).toEqual([
      'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa#atproto',
      'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa#other',
      'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa#third',
      'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa#ed',
    ]);
    expect(doc.verificationMethod[3]!.publicKeyMultibase).toBe(ED25519.slice(8));
  });

  it('accepts operation data as well as an operation', () => {
    const keys = makeKeys();
    const op = atprotoOp(keys, null);
    const fromData = documentFromOperation('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', {
      rotationKeys: op.rotationKeys,
      verificationMethods: op.verificationMethods,
      alsoKnownAs: op.alsoKnownAs,
      services: op.services,
    });
    expect(fromData).toEqual(documentFromOperation('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', op));
  });

  it('refuses a verification method that is not a did:key, without echoing it', () => {
    const keys = makeKeys();
    const op = atprotoOp(keys, null);
    op.verificationMethods = { atproto: 'zSECRET-not-a-key' };
    expect(() => documentFromOperation('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', op)).toThrow(/not a public did:key/);
    try {
      documentFromOperation('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', op);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('SECRET');
    }
  });
});
