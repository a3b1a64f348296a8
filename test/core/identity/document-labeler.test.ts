// Labeler entries of a DID document (https://atproto.com/specs/label "Labeler Service Identity"):
// the #atproto_label key and the #atproto_labeler service, next to the #atproto key and PDS.
import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import { parseDidDocument } from '../../../src/core/identity/document.js';

const DID = 'did:plc:labelerlabelerlabeler23';
const signing = generatePrivateKey('k256').publicKey;
const label = generatePrivateKey('p256').publicKey;
const vm = (fragment: string, key = label, controller = DID) => ({ id: `${DID}#${fragment}`, type: 'Multikey', controller, publicKeyMultibase: key.did().replace('did:key:', '') });
const doc = (extra: { verificationMethod?: unknown[]; service?: unknown[] } = {}) => ({
  id: DID,
  alsoKnownAs: ['at://labeler.test'],
  verificationMethod: [vm('atproto', signing), ...(extra.verificationMethod ?? [vm('atproto_label')])],
  service: [
    { id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.example.com' },
    ...(extra.service ?? [{ id: '#atproto_labeler', type: 'AtprotoLabeler', serviceEndpoint: 'https://mod.example.com' }]),
  ],
});

describe('parseDidDocument: labeler entries', () => {
  it('reads the label key and the labeler service beside the signing key and PDS', () => {
    const parsed = parseDidDocument(DID, doc());
    expect(parsed.labelKey?.did()).toBe(label.did());
    expect(parsed.signingKey?.did()).toBe(signing.did());
    expect(parsed.labeler).toBe('https://mod.example.com');
    expect(parsed.pds).toBe('https://pds.example.com');
    expect(parsed.warnings).toEqual([]);
  });

  it('an account that is not a labeler has neither, and no warning about it', () => {
    const parsed = parseDidDocument(DID, doc({ verificationMethod: [], service: [] }));
    expect(parsed.labelKey).toBeUndefined();
    expect(parsed.labeler).toBeUndefined();
    expect(parsed.warnings).toEqual([]);
  });

  it('malformed labeler entries are skipped with a warning', () => {
    const parsed = parseDidDocument(
      DID,
      doc({
        verificationMethod: [vm('atproto_label', label, 'did:plc:someoneelse234567abcdefg')],
        service: [{ id: '#atproto_labeler', type: 'AtprotoLabeler', serviceEndpoint: 'https://mod.example.com/path' }],
      }),
    );
    expect(parsed.labelKey).toBeUndefined();
    expect(parsed.labeler).toBeUndefined();
    expect(parsed.warnings).toEqual([
      expect.stringMatching(/\(#atproto_label\) has controller .*; skipped/),
      expect.stringMatching(/service\[1\] \(#atproto_labeler\): .*a path.*; no labeler/),
    ]);
  });
});
