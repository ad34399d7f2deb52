/**
 * The retro codecs through the engine over loopback: our server and client
 * with `encoding: 'atascii'` etc. (bytes on the wire are the codec's), the
 * server picking the codec from the client's LANG (NEW_ENVIRON), strict
 * encoding errors on write, and SyncTERM font switches from a fake board
 * (a raw TCP peer) switching the client's codec mid-stream and mid-chunk.
 */
import type net from 'node:net';
import t from 'tap';
import { TelnetEncodingError } from '../../src/protocol/errors.js';
import { connect, pair, rawServer, startServer, until, within } from './helpers.js';

const CSI_FONT = (font: number): Buffer => Buffer.from(`\x1b[0;${font} D`, 'latin1');

/** Read from `reader` until `want` (or more) text arrived. */
async function readText(reader: { read(n: number): Promise<string | Buffer> }, want: number, ms = 3000): Promise<string> {
  let text = '';
  const until = Date.now() + ms;
  while (text.length < want) {
    if (Date.now() > until) throw new Error(`only ${JSON.stringify(text)} arrived`);
    const chunk = await within(reader.read(4096), ms, 'read');
    if (chunk.length === 0) break;
    text += String(chunk);
  }
  return text;
}

t.test('server and client both atascii: CR LF goes out as one 0x9B, 0x9B reads as LF', async (t) => {
  const { s, c } = await pair(t, { encoding: 'atascii', forceBinary: true }, { encoding: 'atari8bit', forceBinary: true });
  t.equal(s.writer.outgoingEncoding, 'atascii');
  t.equal(c.writer.outgoingEncoding, 'atascii', 'the alias is normalised');
  s.writer.write('READY\r\n\u2665');
  t.equal(await readText(c.reader, 7), 'READY\n\u2665');
  c.writer.write('run\r\n');
  t.equal(await readText(s.reader, 4), 'run\n');
  t.equal(String(s.writer.getExtraInfo('LANG')), 'en_US.atascii', 'the client announces its codec in LANG');
});

t.test('the server takes the codec from the client\'s LANG (NEW_ENVIRON)', async (t) => {
  for (const [clientEnc, expect] of [['c64', 'petscii'], ['big5_ptt', 'big5bbs'], ['atari', 'atarist']] as const) {
    const { s, c } = await pair(t, {}, { encoding: clientEnc });
    await within(s.writer.waitForCondition((w) => w.getExtraInfo('LANG') !== undefined), 3000, 'LANG');
    await until(() => s.writer.outgoingEncoding === expect, 3000, `server encoding ${expect}`);
    t.equal(s.writer.outgoingEncoding, expect, `${clientEnc}: server writes ${expect}`);
    t.equal(s.reader.encoding, expect);
    c.writer.close();
  }
});

t.test('PETSCII on the wire: letters swap case, strict errors throw on write', async (t) => {
  const server = await startServer(t, { encoding: false });
  const accepted = server.waitForClient();
  const c = await connect(t, server.port, { encoding: 'petscii', forceBinary: true, encodingErrors: 'strict' });
  const s = await within(accepted, 3000, 'server side');
  c.writer.write('Hi');
  let got = Buffer.alloc(0);
  while (got.length < 2) got = Buffer.concat([got, await within(s.reader.read(10) as Promise<Buffer>, 3000, 'bytes')]);
  t.same(got, Buffer.from([0xc8, 0x49]), 'H -> 0xC8, i -> 0x49');
  t.throws(() => c.writer.write('\u00e9'), TelnetEncodingError, 'strict: an unencodable character throws');
  s.writer.write(Buffer.from([0x41, 0xc1, 0x0d]));
  t.equal(await readText(c.reader, 3), 'aA\r');
});

t.test('SyncTERM font switch mid-stream: the text after it decodes with the font\'s codec', async (t) => {
  let board!: net.Socket;
  const { port } = await rawServer(t, (sock) => { board = sock; });
  // forceBinary as the client CLI does: this board negotiates nothing.
  const c = await connect(t, port, { syncTermFonts: true, forceBinary: true, connectMaxwait: 100 });
  await until(() => board !== undefined, 3000, 'board connection');
  t.equal(c.reader.encoding, 'utf-8');
  // One chunk: UTF-8 text, a switch to ATASCII (font 36), ATASCII, a switch to CP437 (font 0), CP437.
  board.write(Buffer.concat([Buffer.from('caf\u00e9 ', 'utf8'), CSI_FONT(36), Buffer.from([0x48, 0x49, 0x9b, 0x14]), CSI_FONT(0), Buffer.from([0xb0, 0xdb])]));
  const want = `caf\u00e9 \x1b[0;36 DHI\n\u25cf\x1b[0;0 D\u2591\u2588`;
  t.equal(await readText(c.reader, want.length), want);
  t.equal(c.reader.encoding, 'cp437');
  t.equal(c.writer.outgoingEncoding, 'cp437', 'both directions follow the font, BINARY or not');
  t.equal(c.writer.getExtraInfo('syncterm_font'), 0);
  // Split inside the sequence, across two TCP writes: found where it ends.
  board.write(Buffer.from('\x1b[0;3', 'latin1'));
  await new Promise((r) => setTimeout(r, 50));
  board.write(Buffer.concat([Buffer.from('2 D', 'latin1'), Buffer.from([0xc1, 0x41])]));
  const after = await readText(c.reader, 7);
  t.equal(after, '\x1b[0;32 DAa', 'petscii after font 32');
  t.equal(c.writer.outgoingEncoding, 'petscii');
  // Writes follow: text goes out in PETSCII now.
  c.writer.write('Ok');
  const peer = new Promise<Buffer>((resolve) => board.once('data', resolve));
  t.same(await within(peer, 3000, 'board receives'), Buffer.from([0xcf, 0x4b]));
  // A font the table does not list changes nothing.
  board.write(Buffer.concat([CSI_FONT(99), Buffer.from([0x41])]));
  t.equal(await readText(c.reader, 9), '\x1b[0;99 Da');
  t.equal(c.reader.encoding, 'petscii');
});

t.test('without syncTermFonts a font switch is just text', async (t) => {
  let board!: net.Socket;
  const { port } = await rawServer(t, (sock) => { board = sock; });
  const c = await connect(t, port, { connectMaxwait: 100, encoding: 'cp437', forceBinary: true });
  await until(() => board !== undefined, 3000, 'board connection');
  board.write(Buffer.concat([CSI_FONT(36), Buffer.from([0x9b])]));
  t.equal(await readText(c.reader, 9), '\x1b[0;36 D\u00a2');
  t.equal(c.reader.encoding, 'cp437');
});

t.test('big5bbs over a connection: a lead byte split between TCP chunks is kept', async (t) => {
  let board!: net.Socket;
  const { port } = await rawServer(t, (sock) => { board = sock; });
  const c = await connect(t, port, { connectMaxwait: 100, encoding: 'big5-bbs', forceBinary: true });
  await until(() => board !== undefined, 3000, 'board connection');
  board.write(Buffer.from([0x41, 0xb9]));
  await new Promise((r) => setTimeout(r, 50));
  board.write(Buffer.from([0xda, 0xb0, 0x1b, 0x5b, 0x6d]));
  t.equal(await readText(c.reader, 6), 'A\u5922\u2591\x1b[m');
});

t.test('CHARSET: a board offering atascii gets ACCEPTED atascii from a client set to it', async (t) => {
  let board!: net.Socket;
  let got = Buffer.alloc(0);
  const { port } = await rawServer(t, (sock) => {
    board = sock;
    sock.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); });
    sock.write(Buffer.from([0xff, 0xfd, 42])); // IAC DO CHARSET
  });
  const c = await connect(t, port, { encoding: 'atari_8bit', connectMaxwait: 300 });
  await until(() => got.includes(Buffer.from([0xff, 0xfb, 42])), 3000, 'WILL CHARSET');
  board.write(Buffer.concat([Buffer.from([0xff, 0xfa, 42, 1]), Buffer.from(';utf-8;ATASCII', 'latin1'), Buffer.from([0xff, 0xf0])]));
  const accepted = Buffer.concat([Buffer.from([0xff, 0xfa, 42, 2]), Buffer.from('ATASCII', 'latin1'), Buffer.from([0xff, 0xf0])]);
  await until(() => got.includes(accepted), 3000, 'ACCEPTED ATASCII');
  await until(() => c.writer.outgoingEncoding === 'atascii', 3000, 'atascii in force');
  t.equal(c.writer.getExtraInfo('charset'), 'atascii');
});

t.test('writer.writeRaw sends bytes past the codec on a text connection (IAC doubled)', async (t) => {
  let got = Buffer.alloc(0);
  const { port } = await rawServer(t, (sock) => { sock.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); }); });
  const c = await connect(t, port, { encoding: 'petscii', forceBinary: true, connectMaxwait: 100 });
  t.ok(c.writer.writeRaw(Buffer.from([0x91, 0xff, 0x41])));
  c.writer.write('A');
  await until(() => got.includes(Buffer.from([0x91, 0xff, 0xff, 0x41, 0xc1])), 3000, 'raw bytes, then encoded text');
  t.throws(() => c.writer.writeRaw('x' as unknown as Buffer), /Buffer/);
});
