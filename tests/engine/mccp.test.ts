/**
 * MCCP2 / MCCP3 over real loopback sockets: our client and server both ways,
 * a fake server splitting the start sequence at every byte, the stream end
 * followed by plain data, and the bad cases (zip bomb, corrupt stream,
 * compression start without negotiation).
 */
import type net from 'node:net';
import zlib from 'node:zlib';
import t, { type Test } from 'tap';
import { Cmd, Opt } from '../../src/protocol/constants.js';
import type { ProtocolProblem } from '../../src/protocol/errors.js';
import {
  RawPeer, bytes, connect, pair, rawServer, sleep, startServer, trackUnhandled, until, within,
} from './helpers.js';

const { IAC, SB, SE, WILL, DO } = Cmd;
const unhandled = trackUnhandled();
const START2 = bytes(IAC, SB, Opt.MCCP2, IAC, SE);
const START3 = bytes(IAC, SB, Opt.MCCP3, IAC, SE);

/** Read `n` characters in pieces (more than the reader's limit at once). */
async function readAll(reader: { read(n?: number): Promise<string> }, n: number): Promise<string> {
  let s = '';
  while (s.length < n) {
    const piece = await reader.read(65536);
    if (piece === '') break;
    s += piece;
  }
  return s;
}

function roomText(n: number): string {
  const words = ['a dusty hall', 'torches flicker', 'an old tapestry', 'the north door', 'cold stone', 'a rat scurries'];
  let s = '';
  for (let i = 0; i < n; i++) s += `Room ${i}: ${words[i % 6]}, ${words[(i * 7) % 6]} and ${words[(i * 5 + 1) % 6]}.\r\n`;
  return s;
}

t.test('our server compresses (MCCP2) and our client compresses back (MCCP3); both end cleanly', async (t) => {
  const { s, c } = await pair(t, { compression: true }, {});
  await within(Promise.all([
    c.writer.waitFor({ remote: { MCCP2: true, MCCP3: true } }),
    s.writer.waitFor({ local: { MCCP2: true, MCCP3: true } }),
  ]), 5000, 'MCCP negotiated');
  const text = roomText(20000); // about 1 MiB
  s.writer.write(text);
  const got = await within(readAll(c.reader, text.length), 10000, 'client reads the compressed text');
  t.equal(got, text, 'server -> client text intact through MCCP2');
  await until(() => s.writer.compression.send !== null && c.writer.compression.receive !== null, 3000, 'stats');
  const sent = s.writer.compression.send!;
  t.equal(sent.option, Opt.MCCP2);
  t.ok(sent.wireBytes < sent.rawBytes / 3, `MCCP2 saved wire bytes: ${sent.rawBytes} -> ${sent.wireBytes}`);
  // Client -> server (MCCP3).
  await until(() => c.writer.compression.send !== null, 3000, 'client deflates');
  c.writer.write('look north\r\n');
  t.equal(await within(s.reader.readline(), 5000, 'server reads the compressed line'), 'look north\r\n');
  t.equal(s.writer.compression.receive?.option, Opt.MCCP3);
  // The server closes: Z_STREAM_END, then FIN; the client sees a clean EOF.
  s.writer.write('bye\r\n');
  s.writer.close();
  t.equal(await within(c.reader.read(), 5000, 'last text'), 'bye\r\n');
  t.equal(await within(c.reader.read(), 5000, 'EOF'), '');
  t.equal(c.writer.compression.receive?.active, false, 'the inflate stream ended');
});

t.test('--no-compression: a client that refuses MCCP gets plain text', async (t) => {
  const { s, c } = await pair(t, { compression: true }, { compression: false });
  await within(s.writer.waitFor({ pending: { MCCP2: false, MCCP3: false } }), 5000, 'answers');
  t.equal(c.writer.remoteOption.enabled(Opt.MCCP2), false);
  s.writer.write('plain\r\n');
  t.equal(await within(c.reader.readline(), 5000, 'plain line'), 'plain\r\n');
  t.equal(s.writer.compression.send, null);
});

/** A fake MCCP2 server: WILL MCCP2, and after DO MCCP2 (or any answer, `anyAnswer`) `script(socket)`. */
async function mccpServer(t: Test, script: (s: net.Socket) => void | Promise<void>, anyAnswer = false): Promise<number> {
  const { port } = await rawServer(t, (sock) => {
    let seen = Buffer.alloc(0);
    let started = false;
    sock.on('data', (b: Buffer) => {
      seen = Buffer.concat([seen, b]);
      if (!started && (seen.includes(bytes(IAC, DO, Opt.MCCP2)) || (anyAnswer && seen.includes(bytes(IAC, Cmd.DONT, Opt.MCCP2))))) {
        started = true;
        void script(sock);
      }
    });
    sock.write(bytes(IAC, WILL, Opt.MCCP2));
  });
  return port;
}

t.test('client: the start sequence split at every byte, text before and after it', async (t) => {
  const body = zlib.deflateSync(Buffer.from('compressed room text\r\n'), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const wire = bytes('plain first\r\n', START2, body);
  const from = 'plain first\r\n'.length;
  for (let cut = from; cut <= from + START2.length + 2; cut++) {
    const port = await mccpServer(t, async (sock) => {
      sock.write(wire.subarray(0, cut));
      await sleep(30);
      sock.write(wire.subarray(cut));
    });
    const c = await connect(t, port, { connectMaxwait: 500 });
    t.equal(await within(c.reader.readline(), 5000, `plain line, cut ${cut}`), 'plain first\r\n');
    t.equal(await within(c.reader.readline(), 5000, `compressed line, cut ${cut}`), 'compressed room text\r\n', `cut at ${cut - from}`);
    c.writer.close();
  }
});

t.test('client: Z_STREAM_END in the middle of a chunk, plain Telnet after it', async (t) => {
  const body = zlib.deflateSync(Buffer.from('inside\r\n')); // Z_FINISH: the stream ends
  const port = await mccpServer(t, (sock) => {
    sock.write(bytes(START2, body, 'outside\r\n', IAC, Cmd.NOP, 'more\r\n'));
  });
  const c = await connect(t, port, { connectMaxwait: 500 });
  t.equal(await within(c.reader.readline(), 5000, 'inside'), 'inside\r\n');
  t.equal(await within(c.reader.readline(), 5000, 'outside'), 'outside\r\n');
  t.equal(await within(c.reader.readline(), 5000, 'more'), 'more\r\n');
  t.equal(c.writer.compression.receive?.active, false);
});

t.test('client: a zip bomb (64 MiB of zeros) closes with DECOMPRESSION_LIMIT, memory bounded (C05)', async (t) => {
  const bomb = zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  t.ok(bomb.length < 128 * 1024, `bomb is ${bomb.length} bytes`);
  const port = await mccpServer(t, (sock) => { sock.write(bytes(START2, bomb)); });
  const problems: ProtocolProblem[] = [];
  const rss0 = process.memoryUsage().rss;
  const c = await connect(t, port, { connectMaxwait: 500, encoding: false, onProtocolError: (p) => { problems.push(p); } });
  await within(c.writer.waitClosed(), 10000, 'connection closed');
  const grown = process.memoryUsage().rss - rss0;
  t.ok(problems.some((p) => p.code === 'DECOMPRESSION_LIMIT'), 'DECOMPRESSION_LIMIT reported');
  t.ok(grown < 48 * 1024 * 1024, `RSS grew ${(grown / 1048576).toFixed(1)} MiB`);
  const rx = c.writer.compression.receive!;
  t.ok(rx.rawBytes < 8 * 1024 * 1024, `inflated only ${rx.rawBytes} bytes before stopping`);
});

t.test('client: corrupt compressed data closes with DECOMPRESSION_ERROR (C06)', async (t) => {
  const port = await mccpServer(t, (sock) => { sock.write(bytes(START2, 'this is not zlib at all\r\n')); });
  const problems: ProtocolProblem[] = [];
  const c = await connect(t, port, { connectMaxwait: 500, onProtocolError: (p) => { problems.push(p); } });
  await within(c.writer.waitClosed(), 5000, 'connection closed');
  t.ok(problems.some((p) => p.code === 'DECOMPRESSION_ERROR'), 'DECOMPRESSION_ERROR reported');
});

t.test('client: a compression start the client refused is ignored (data stays Telnet)', async (t) => {
  const port = await mccpServer(t, (sock) => { sock.write(bytes(START2, 'still plain\r\n')); }, true);
  const c = await connect(t, port, { connectMaxwait: 500, compression: false });
  t.equal(await within(c.reader.readline(), 5000, 'plain'), 'still plain\r\n');
  t.equal(c.writer.compression.receive, null);
});

t.test('server: SB MCCP3 without negotiation is ignored (B29)', async (t) => {
  const server = await startServer(t, { connectMaxwait: 300 });
  const accepted = server.waitForClient();
  const peer = await RawPeer.connect(t, server.port);
  const s = await within(accepted, 5000, 'accepted');
  peer.write(bytes(START3, 'hello\r\n'));
  t.equal(await within(s.reader.readline(), 5000, 'plain line'), 'hello\r\n');
  t.equal(s.writer.compression.receive, null);
});

t.test('server: an MCCP3 zip bomb closes the connection with DECOMPRESSION_LIMIT (B30)', async (t) => {
  const problems: ProtocolProblem[] = [];
  const server = await startServer(t, { compression: true, connectMaxwait: 300, onProtocolError: (p) => { problems.push(p); } });
  const accepted = server.waitForClient();
  const peer = await RawPeer.connect(t, server.port);
  await peer.waitForBytes(bytes(IAC, WILL, Opt.MCCP3), 5000, 'WILL MCCP3');
  const s = await within(accepted, 5000, 'accepted');
  peer.write(bytes(IAC, DO, Opt.MCCP3, START3, zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 })));
  await within(s.writer.waitClosed(), 10000, 'server closed the connection');
  t.ok(problems.some((p) => p.code === 'DECOMPRESSION_LIMIT'));
  await peer.waitEnd(5000);
});

t.test('no unhandled rejections', async (t) => unhandled.check(t));
