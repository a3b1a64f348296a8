import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServiceEndpoint } from '../../../src/core/identity/index.js';
import { startWorld, type World } from './world.js';

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';

describe('a service named in a DID document', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
    world.plcDoc(DID, {
      id: DID,
      service: [
        { id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.example.com' },
        { id: `${DID}#atproto_labeler`, type: 'AtprotoLabeler', serviceEndpoint: 'https://labeler.example.com/' },
        { id: '#bad_endpoint', type: 'X', serviceEndpoint: 'https://x.example.com/some/path' },
        { id: '#plain_http', type: 'X', serviceEndpoint: 'http://x.example.com' },
      ],
    });
  });
  afterAll(async () => world.close());

  it('resolves by id, in either form the document writes it', async () => {
    expect(await resolveServiceEndpoint(world.config(), `${DID}#atproto_pds`)).toEqual({ did: DID, id: '#atproto_pds', type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.example.com' });
    expect((await resolveServiceEndpoint(world.config(), `${DID}#atproto_labeler`)).endpoint).toBe('https://labeler.example.com');
  });

  it('a missing entry names what the document has', async () => {
    await expect(resolveServiceEndpoint(world.config(), `${DID}#bsky_appview`)).rejects.toMatchObject({ code: 'ServiceNotFound', kind: 'notFound', message: expect.stringContaining('#atproto_pds') });
  });

  it('an endpoint that is not scheme://host[:port] over https is refused', async () => {
    await expect(resolveServiceEndpoint(world.config(), `${DID}#bad_endpoint`)).rejects.toMatchObject({ code: 'InvalidServiceEndpoint', kind: 'invalid' });
    await expect(resolveServiceEndpoint({ ...world.config(), dev: false }, `${DID}#plain_http`)).rejects.toMatchObject({ code: 'InvalidServiceEndpoint' });
  });
});
