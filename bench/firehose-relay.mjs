#!/usr/bin/env node
// A loopback relay for the firehose bench: serves the frames of a recording over
// com.atproto.sync.subscribeRepos (WebSocket on node:http, frames after `cursor`), as fast as the
// client reads them (it waits for 'drain'), then stays open. Prints {"port": N} when listening.
//
//   node bench/firehose-relay.mjs <file.fh> [--rate framesPerSecond]
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readBenchRecording } from './gen-firehose.mjs';

const [file] = process.argv.slice(2);
const rateArg = process.argv.indexOf('--rate');
const rate = rateArg > 0 ? Number(process.argv[rateArg + 1]) : 0;
const { frames } = readBenchRecording(file);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function wsHeader(len) {
  if (len < 126) return Buffer.from([0x82, len]);
  if (len < 65536) {
    const h = Buffer.alloc(4);
    h[0] = 0x82;
    h[1] = 126;
    h.writeUInt16BE(len, 2);
    return h;
  }
  const h = Buffer.alloc(10);
  h[0] = 0x82;
  h[1] = 127;
  h.writeBigUInt64BE(BigInt(len), 2);
  return h;
}

const server = createServer((_req, res) => {
  res.writeHead(404);
  res.end();
});
server.on('upgrade', (req, socket) => {
  socket.on('error', () => {});
  const url = new URL(req.url ?? '/', 'http://localhost');
  const key = req.headers['sec-websocket-key'];
  if (url.pathname !== '/xrpc/com.atproto.sync.subscribeRepos' || typeof key !== 'string') return socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const cursor = Number(url.searchParams.get('cursor') ?? 0);
  let i = frames.findIndex((f) => f.seq > cursor);
  if (i < 0) i = frames.length;
  let open = true;
  socket.on('close', () => (open = false));
  socket.on('data', () => {}); // client frames (close, pong) are ignored
  const started = performance.now();
  const pump = () => {
    while (open && i < frames.length) {
      if (rate > 0 && i / rate > (performance.now() - started) / 1000) {
        setTimeout(pump, 2);
        return;
      }
      const f = frames[i++].data;
      socket.write(wsHeader(f.length));
      if (!socket.write(f)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, frames: frames.length })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
