// The WebSocket client against a raw loopback server writing frames by hand: fragmented
// messages are reassembled, pings answered with a masked pong, text delivered as text; a masked
// server frame, reserved bits or a message over the cap end the connection with the right code;
// a wrong Sec-WebSocket-Accept or an HTTP error is a handshake error carrying the status and
// Retry-After.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketHandshakeError, connectWebSocket, parseRetryAfter, type WebSocketClient, type WebSocketEnd, type WebSocketMessage } from '../../../src/core/net/websocket.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function raw(first: number, payload: Uint8Array, masked = false): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([first, (masked ? 0x80 : 0) | len]) : Buffer.from([first, (masked ? 0x80 : 0) | 126, len >> 8, len & 0xff]);
  return Buffer.concat([head, masked ? Buffer.from([0, 0, 0, 0]) : Buffer.alloc(0), payload]);
}

interface Script {
  /** What to do with the upgraded socket. */
  run(socket: Duplex, received: Buffer[]): void;
  /** Answer the upgrade with this instead. */
  refuse?: string;
  accept?: string;
}

const servers: Server[] = [];
const sockets: Duplex[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function serve(script: Script): Promise<{ url: string; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer();
  server.on('upgrade', (req, socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    if (script.refuse) {
      socket.end(script.refuse);
      return;
    }
    const accept = script.accept ?? createHash('sha1').update(String(req.headers['sec-websocket-key']) + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('data', (d: Buffer) => received.push(d));
    script.run(socket, received);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/stream`, received };
}

const plain = (ms: Array<Uint8Array | string>): unknown[] => ms.map((m) => (typeof m === 'string' ? m : Array.from(m)));

const open = (url: string, maxMessageBytes = 1 << 20): Promise<WebSocketClient> =>
  connectWebSocket(url, { dispatcher: new Agent(), maxMessageBytes, handshakeTimeoutMs: 5000 });

async function all(ws: WebSocketClient): Promise<{ messages: WebSocketMessage['data'][]; end: WebSocketEnd }> {
  const messages: WebSocketMessage['data'][] = [];
  for (;;) {
    const m = await ws.next();
    if ('end' in m) return { messages, end: m };
    messages.push(m.data);
  }
}

describe('WebSocket client', () => {
  it('reassembles fragments, answers pings with a masked pong, delivers text as text, ends on a close frame', async () => {
    const { url, received } = await serve({
      run(socket) {
        socket.write(raw(0x02, Buffer.from([1, 2, 3])));
        socket.write(raw(0x89, Buffer.from('ping!')));
        socket.write(raw(0x00, Buffer.from([4, 5])));
        socket.write(raw(0x80, Buffer.from([6])));
        socket.write(raw(0x81, Buffer.from('héllo')));
        setTimeout(() => socket.end(raw(0x88, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]))), 50);
      },
    });
    const ws = await open(url);
    const { messages, end } = await all(ws);
    expect(plain(messages)).toEqual([[1, 2, 3, 4, 5, 6], 'héllo']);
    expect(end).toMatchObject({ code: 1000, reason: 'bye', clean: true });
    // The pong: opcode 0xA, masked, and it unmasks to the ping's payload.
    const pong = Buffer.concat(received);
    expect(pong[0]).toBe(0x8a);
    expect(pong[1]! & 0x80).toBe(0x80);
    const mask = pong.subarray(2, 6);
    expect(Buffer.from(pong.subarray(6, 11).map((b, i) => b ^ mask[i % 4]!)).toString()).toBe('ping!');
    ws.destroy();
  });

  it('a masked server frame, reserved bits, or a message over the cap end the connection with 1002 / 1009', async () => {
    for (const [bad, code] of [[raw(0x82, Buffer.from([1]), true), 1002], [raw(0xc2, Buffer.from([1])), 1002], [raw(0x82, Buffer.alloc(300)), 1009]] as const) {
      const { url } = await serve({ run: (socket) => socket.write(Buffer.concat([raw(0x82, Buffer.from([9])), bad])) });
      const ws = await open(url, 200);
      const { messages, end } = await all(ws);
      expect(plain(messages)).toEqual([[9]]);
      expect(end.code).toBe(code);
      ws.destroy();
    }
  });

  it('a refused upgrade is a handshake error with the HTTP status, Retry-After and the body; a wrong accept key too', async () => {
    const body = '{"error":"RateLimited","message":"slow down"}';
    const { url } = await serve({ run: () => {}, refuse: `HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}` });
    const err = await open(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect(err).toMatchObject({ status: 429, retryAfterMs: 7000, body: 'RateLimited: slow down' });
    const wrong = await serve({ run: () => {}, accept: 'bm90IHRoZSByaWdodCBrZXk=' });
    await expect(open(wrong.url)).rejects.toThrow(/Sec-WebSocket-Accept/);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
