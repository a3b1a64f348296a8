import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/core/crypto/index.js';
import {
  PLC_LIMITS,
  SIGNATURE_CBOR_OVERHEAD,
  buildErrors,
  checkOperationForBuild,
  checkPdsEndpoint,
  formatBuildIssue,
  signOperation,
  signedBytes,
  unsignedBytes,
  type BuildIssue,
  type UnsignedPlcOperation,
} from '../../../src/core/plc/index.js';
import { DHOLMS_GENESIS } from './fixtures/vectors.js';
import { atprotoOp, makeKeys } from './helpers.js';

const ED25519 = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

function errorsOf(op: unknown): BuildIssue[] {
  return buildErrors(checkOperationForBuild(op));
}

function fields(issues: BuildIssue[]): string[] {
  return issues.map((i) => i.field);
}

function freshOp(): UnsignedPlcOperation {
  return atprotoOp(makeKeys(), null);
}

/** An operation whose signed DAG-CBOR is exactly `target` bytes (padding in extra services). */
function opOfSignedSize(target: number, keys = makeKeys()): UnsignedPlcOperation {
  const op = atprotoOp(keys, null);
  for (let i = 0; i < 6; i++) op.services[`pad${i}`] = { type: 'Pad', endpoint: `https://pad.example/${'x'.repeat(480)}` };
  for (let len = 0; len <= 480; len++) {
    op.services['pad6'] = { type: 'Pad', endpoint: `https://pad.example/${'y'.repeat(len)}` };
    if (unsignedBytes(op).length + SIGNATURE_CBOR_OVERHEAD === target) return op;
  }
  throw new Error(`cannot pad to ${target}`);
}

describe('checkOperationForBuild', () => {
  it('accepts a well-formed atproto operation (signed or unsigned)', () => {
    const keys = makeKeys();
    const op = atprotoOp(keys, null);
    expect(checkOperationForBuild(op)).toEqual([]);
    expect(checkOperationForBuild(signOperation(op, keys.r0))).toEqual([]);
  });

  it('refuses a malformed operation with the field named', () => {
    const issues = checkOperationForBuild({ ...freshOp(), extra: 1 });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ level: 'error', field: 'extra' });
  });

  it('never builds a legacy create', () => {
    expect(fields(errorsOf({ ...DHOLMS_GENESIS }))).toEqual(['type']);
  });

  describe('G11: size and rotation-key count', () => {
    it('the signature overhead estimate is exact', () => {
      const keys = makeKeys();
      const op = atprotoOp(keys, null);
      expect(signedBytes(signOperation(op, keys.r0)).length).toBe(unsignedBytes(op).length + SIGNATURE_CBOR_OVERHEAD);
    });

    it('4000 bytes pass, 4001 bytes are refused (the spec says 7500; the directory 4000)', () => {
      const ok = opOfSignedSize(4000);
      expect(unsignedBytes(ok).length + SIGNATURE_CBOR_OVERHEAD).toBe(4000);
      expect(errorsOf(ok)).toEqual([]);
      const keys = makeKeys();
      const big = opOfSignedSize(4001, keys);
      const signed = signOperation(big, keys.r0);
      expect(signedBytes(signed).length).toBe(4001);
      const errs = errorsOf(signed);
      expect(errs).toHaveLength(1);
      expect(errs[0]!.message).toMatch(/4001 bytes.*at most 4000.*7500/);
    });

    it('0 rotation keys are refused', () => {
      const op = freshOp();
      op.rotationKeys = [];
      expect(fields(errorsOf(op))).toEqual(['rotationKeys']);
    });

    it('6 rotation keys are refused (5 pass)', () => {
      const op = freshOp();
      op.rotationKeys = Array.from({ length: 5 }, () => generatePrivateKey('k256').publicKey.did());
      expect(errorsOf(op)).toEqual([]);
      op.rotationKeys.push(generatePrivateKey('p256').publicKey.did());
      const errs = errorsOf(op);
      expect(fields(errs)).toEqual(['rotationKeys']);
      expect(errs[0]!.message).toMatch(/at most 5.*up to 10/);
    });

    it('a duplicate rotation key is refused', () => {
      const op = freshOp();
      op.rotationKeys = [op.rotationKeys[0]!, op.rotationKeys[1]!, op.rotationKeys[0]!];
      const errs = errorsOf(op);
      expect(fields(errs)).toEqual(['rotationKeys[2]']);
      expect(errs[0]!.message).toMatch(/duplicates rotationKeys\[0\]/);
    });
  });

  describe('G9: key types', () => {
    it('an ed25519 rotation key is an error', () => {
      const op = freshOp();
      op.rotationKeys.push(ED25519);
      const errs = errorsOf(op);
      expect(fields(errs)).toEqual(['rotationKeys[3]']);
      expect(errs[0]!.message).toMatch(/ed25519/);
    });

    it('an ed25519 atproto verification method is only a warning', () => {
      const op = freshOp();
      op.verificationMethods['atproto'] = ED25519;
      const issues = checkOperationForBuild(op);
      expect(issues).toEqual([expect.objectContaining({ level: 'warning', field: 'verificationMethods.atproto' })]);
    });

    it('any syntactically valid did:key is fine for another verification method; garbage is not', () => {
      const op = freshOp();
      op.verificationMethods['other'] = ED25519;
      expect(checkOperationForBuild(op)).toEqual([]);
      op.verificationMethods['bad'] = 'did:key:0OIl';
      expect(fields(errorsOf(op))).toEqual(['verificationMethods.bad']);
    });

    it('a rotation key that is not a did:key at all', () => {
      const op = freshOp();
      op.rotationKeys[1] = 'zQ3shP5TBe1sQfSttXty15FAEHV1DZgcxRZNxvEWnPfLFwLxJ';
      expect(fields(errorsOf(op))).toEqual(['rotationKeys[1]']);
    });
  });

  describe('other limits', () => {
    it('alsoKnownAs: count, length and duplicates', () => {
      const op = freshOp();
      op.alsoKnownAs = ['at://alice.example.com', 'at://alice.example.com'];
      expect(fields(errorsOf(op))).toEqual(['alsoKnownAs[1]']);
      op.alsoKnownAs = ['at://alice.example.com', ...Array.from({ length: 10 }, (_, i) => `https://site${i}.example`)];
      expect(fields(errorsOf(op))).toEqual(['alsoKnownAs']);
      op.alsoKnownAs = ['at://alice.example.com', `https://${'a'.repeat(250)}`];
      expect(op.alsoKnownAs[1]!.length).toBe(258);
      expect(errorsOf(op)).toEqual([]);
      op.alsoKnownAs[1] += 'b';
      expect(fields(errorsOf(op))).toEqual(['alsoKnownAs[1]']);
    });

    it('services: count, id, type and endpoint lengths', () => {
      const op = freshOp();
      for (let i = 0; i < 9; i++) op.services[`s${i}`] = { type: 'T', endpoint: 'https://x.example' };
      expect(errorsOf(op)).toEqual([]);
      op.services['s9'] = { type: 'T', endpoint: 'https://x.example' };
      expect(fields(errorsOf(op))).toEqual(['services']);
      const op2 = freshOp();
      op2.services['x'.repeat(33)] = { type: 'T'.repeat(257), endpoint: `https://${'e'.repeat(505)}` };
      expect(fields(errorsOf(op2)).sort()).toEqual([
        `services.${'x'.repeat(33)}`,
        `services.${'x'.repeat(33)}.endpoint`,
        `services.${'x'.repeat(33)}.type`,
      ]);
      expect(PLC_LIMITS.maxServiceEndpointLength).toBe(512);
    });

    it('verificationMethods: count, id and value lengths', () => {
      const op = freshOp();
      for (let i = 0; i < 9; i++) op.verificationMethods[`k${i}`] = ED25519;
      expect(errorsOf(op)).toEqual([]);
      op.verificationMethods['k9'] = ED25519;
      expect(fields(errorsOf(op))).toEqual(['verificationMethods']);
      const op2 = freshOp();
      op2.verificationMethods['i'.repeat(33)] = `did:key:z${'1'.repeat(250)}`;
      expect(fields(errorsOf(op2))).toEqual([`verificationMethods.${'i'.repeat(33)}`, `verificationMethods.${'i'.repeat(33)}`]);
    });
  });

  describe('atproto needs', () => {
    it('a missing signing key, PDS or handle', () => {
      const op = freshOp();
      op.verificationMethods = {};
      op.services = {};
      op.alsoKnownAs = [];
      expect(fields(errorsOf(op))).toEqual(['verificationMethods.atproto', 'services.atproto_pds', 'alsoKnownAs']);
      expect(checkOperationForBuild(op, { atproto: false })).toEqual([]);
    });

    it('the PDS service type and the handle', () => {
      const op = freshOp();
      op.services['atproto_pds'] = { type: 'Pds', endpoint: 'https://pds.example.com' };
      op.alsoKnownAs = ['https://alice.example.com'];
      expect(fields(errorsOf(op))).toEqual(['services.atproto_pds.type', 'alsoKnownAs[0]']);
      op.services['atproto_pds'] = { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.example.com' };
      op.alsoKnownAs = ['at://bad_handle'];
      expect(fields(errorsOf(op))).toEqual(['alsoKnownAs[0]']);
    });

    it('G14: a link-local http endpoint is refused; messages name the field', () => {
      const op = freshOp();
      op.services['atproto_pds']!.endpoint = 'http://169.254.169.254';
      const errs = errorsOf(op);
      expect(fields(errs)).toEqual(['services.atproto_pds.endpoint']);
      expect(formatBuildIssue(errs[0]!)).toMatch(/^error: services\.atproto_pds\.endpoint: /);
    });
  });
});

describe('checkPdsEndpoint', () => {
  it.each([
    'https://pds.example.com',
    'https://pds.example.com/',
    'https://pds.example.com:8443',
    'http://localhost:2583',
    'http://127.0.0.1:2583',
    'http://[::1]:2583',
  ])('accepts %s', (url) => {
    expect(checkPdsEndpoint(url)).toBeNull();
  });

  it.each([
    ['http://pds.example.com', /http:\/\//],
    ['ftp://pds.example.com', /https/],
    ['pds.example.com', /absolute/],
    ['https://user:pw@pds.example.com', /userinfo/],
    ['https://pds.example.com/xrpc', /path/],
    ['https://pds.example.com?x=1', /query/],
    ['https://pds.example.com#f', /fragment/],
    ['https://169.254.169.254', /non-public address/],
    ['https://10.0.0.1', /non-public address/],
    ['https://0x7f.1', /ambiguous/],
    ['https://2130706433', /ambiguous/],
    ['https://PDS.example.com', /lower case/],
    ['https://pds.example.com:0', /port/],
  ])('refuses %s', (url, why) => {
    expect(checkPdsEndpoint(url)).toMatch(why);
  });
});
