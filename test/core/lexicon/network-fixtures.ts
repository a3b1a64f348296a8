// Schemas and a two-publisher "internet" shared by the Lexicon network tests (resolve, pull,
// publish, status): com.example.cal.* published by CAL_DID, org.other.geo.* by GEO_DID.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plcDid, startWorld, type World } from '../identity/world.js';
import { startFakePds, type FakePds } from './fake-pds.js';
import { LexiconResolver } from '../../../src/core/lexicon/network.js';

export const CAL_DID = plcDid('calendar');
export const GEO_DID = plcDid('geography');
export const OTHER_DID = plcDid('somebody-else');

export function eventSchema(extra: (record: Record<string, unknown>) => void = () => {}): Record<string, unknown> {
  const record = {
    type: 'object',
    required: ['name', 'startsAt'],
    properties: {
      name: { type: 'string', maxLength: 300, maxGraphemes: 100, description: 'Name of the event.' },
      startsAt: { type: 'string', format: 'datetime', description: 'When it starts.' },
      link: { type: 'string', format: 'uri', description: 'Page about the event.' },
      place: { type: 'ref', ref: 'com.example.cal.defs#place', description: 'Where it happens.' },
      where: { type: 'union', refs: ['org.other.geo.defs#point', 'com.example.cal.defs#place'], description: 'Location, more precisely.' },
    },
  };
  extra(record);
  return { lexicon: 1, id: 'com.example.cal.event', defs: { main: { type: 'record', description: 'A calendar event.', key: 'tid', record } } };
}

export const CAL_DEFS = {
  lexicon: 1,
  id: 'com.example.cal.defs',
  defs: {
    place: {
      type: 'object',
      description: 'A named place.',
      required: ['name'],
      properties: { name: { type: 'string', maxLength: 200, maxGraphemes: 100, description: 'Name of the place.' }, point: { type: 'ref', ref: 'org.other.geo.defs#point', description: 'Its coordinates.' } },
    },
  },
};

export const CAL_LIST = {
  lexicon: 1,
  id: 'com.example.cal.listEvents',
  defs: {
    main: {
      type: 'query',
      description: 'List events.',
      parameters: { type: 'params', properties: { limit: { type: 'integer', minimum: 1, maximum: 100, description: 'Page size.' } } },
      output: { encoding: 'application/json', schema: { type: 'object', required: ['events'], properties: { events: { type: 'array', items: { type: 'ref', ref: 'com.example.cal.event' }, description: 'Events.' } } } },
    },
  },
};

export const GEO_DEFS = {
  lexicon: 1,
  id: 'org.other.geo.defs',
  defs: {
    point: {
      type: 'object',
      description: 'A point, in micro-degrees.',
      required: ['lat', 'lon'],
      properties: { lat: { type: 'integer', minimum: -90000000, maximum: 90000000, description: 'Latitude.' }, lon: { type: 'integer', minimum: -180000000, maximum: 180000000, description: 'Longitude.' } },
    },
  },
};

export interface Net {
  world: World;
  pds: FakePds;
  resolver(): LexiconResolver;
  /** Publishes the standard set: cal (event, defs, listEvents) and geo (defs), with their TXT records. */
  publishAll(): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startNet(): Promise<Net> {
  const world = await startWorld();
  let pds = startFakePds(world);
  const net: Net = {
    world,
    get pds() {
      return pds;
    },
    resolver: () => new LexiconResolver(world.config()),
    publishAll() {
      pds.account(CAL_DID);
      pds.account(GEO_DID);
      world.txt('_lexicon.cal.example.com', [[`did=${CAL_DID}`]]);
      world.txt('_lexicon.geo.other.org', [[`did=${GEO_DID}`]]);
      pds.putSchema(CAL_DID, 'com.example.cal.event', eventSchema());
      pds.putSchema(CAL_DID, 'com.example.cal.defs', CAL_DEFS);
      pds.putSchema(CAL_DID, 'com.example.cal.listEvents', CAL_LIST);
      pds.putSchema(GEO_DID, 'org.other.geo.defs', GEO_DEFS);
    },
    reset() {
      world.reset();
      pds = startFakePds(world);
    },
    close: () => world.close(),
  };
  return net;
}

/** Writes schemas into a fresh project folder; returns the lexicons folder. */
export function project(docs: Array<Record<string, unknown>>): string {
  const root = mkdtempSync(join(tmpdir(), 'atcli-lexnet-'));
  const dir = join(root, 'lexicons');
  for (const d of docs) {
    const file = `${join(dir, ...(d.id as string).split('.'))}.json`;
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, `${JSON.stringify(d, null, 2)}\n`);
  }
  return dir;
}
