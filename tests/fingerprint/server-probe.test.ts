/**
 * The client-side probe of a server: against our own telsh server (record
 * shape, stable hash, wrong-direction probes), terminal queries answered,
 * prompts answered, a SyncTERM font switch noticed; and against hostile
 * servers (an endless banner, an option loop, one that never answers):
 * each probe ends within its bounds with a partial record.
 */
import net from 'node:net';
import t, { type Test } from 'tap';
import { createServer } from '../../src/server.js';
import { telsh } from '../../src/shells/telsh.js';
import { probeServer, type ServerProbeOptions } from '../../src/fingerprint/server-probe.js';
import { serverRecordProblems } from '../helpers/fingerprint-shape.js';

/** Short banner timings so the tests run quickly; bounds are what is tested. */
const FAST: ServerProbeOptions = { bannerQuietTime: 300, bannerMaxWait: 1500, msspWait: 0, settle: 100, connectTimeout: 3000 };

async function rawServer(tt: Test, onConn: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); s.on('close', () => sockets.delete(s)); onConn(s); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  tt.teardown(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); srv.close(() => r()); }));
  return (srv.address() as net.AddressInfo).port;
}

t.test('our telsh server: shape, options, stable hash, wrong-direction probes', async (t) => {
  const server = await createServer({ host: '127.0.0.1', port: 0, connectMaxwait: 1000, shell: (r, w) => telsh(r, w) });
  t.teardown(async () => { server.close(); await server.waitClosed(); });
  const a = await probeServer('127.0.0.1', server.port, FAST);
  t.same(serverRecordProblems(a), [], 'record has the documented shape');
  const fd = a['server-probe']['fingerprint-data'];
  t.ok(fd['offered-options'].includes('ECHO') && fd['offered-options'].includes('SGA'), `server WILLs ECHO and SGA (${fd['offered-options'].join(',')})`);
  t.ok(fd['requested-options'].includes('TTYPE') && fd['requested-options'].includes('NAWS'), 'server asked for TTYPE and NAWS');
  t.ok(fd['refused-options'].includes('GMCP') || fd['offered-options'].includes('GMCP'), 'MUD options probed by number');
  const sd = a['server-probe'].session_data as Record<string, any>;
  t.match(sd.banner_before_return, /Ready\./, 'banner read');
  t.match(sd.banner_after_return, /tel:sh> /, 'prompt after our return');
  t.same(sd.wrong_direction, { 'DO NAWS': 'correct-refuse', 'DO TTYPE': 'correct-refuse', 'WILL ECHO': 'correct-refuse' }, 'wrong-direction probes refused');
  t.same(sd.loop_detection.looped, [], 'our server does not answer repeated requests');
  const b = await probeServer('127.0.0.1', server.port, FAST);
  t.equal(b['server-probe'].fingerprint, a['server-probe'].fingerprint, 'same server, same hash');
});

t.test('terminal queries answered, prompts answered, SyncTERM font noticed', async (t) => {
  const port = await rawServer(t, (s) => {
    s.write('Welcome\r\n\x1b[6n\x1b[c\x1b[5n\x1b[0;36 DContinue? (yes/no) ');
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('yes\r\n')) { s.write(`\r\nGOT ${JSON.stringify(got.replace(/\xff[\xfb-\xfe]./gs, ''))}\r\n`); got = ''; }
    });
  });
  const rec = await probeServer('127.0.0.1', port, FAST);
  const sd = rec['server-probe'].session_data as Record<string, any>;
  t.same(sd.terminal_queries, { cpr: 1, da: 1, dsr: 1 }, 'CPR, DA and DSR answered');
  t.match(sd.banner_after_return, /GOT ".*\\u001b\[\d+;\d+R.*\\u001b\[\?1;2c.*\\u001b\[0n.*yes\\r\\n"/, 'the replies, then "yes" to the yes/no prompt');
  t.same(sd.syncterm_font, { page: 0, font: 36, encoding: 'atascii' }, 'SyncTERM font switch recorded');
  t.same(sd.prompt_replies[0], 'yes\r\n');
});

t.test('hostile: endless banner ends within the banner bounds', async (t) => {
  const port = await rawServer(t, (s) => {
    const line = Buffer.alloc(1024, 'x');
    const pump = (): void => { while (!s.destroyed && s.write(line)); };
    s.on('drain', pump);
    pump();
  });
  const start = Date.now();
  const rec = await probeServer('127.0.0.1', port, { ...FAST, bannerMaxBytes: 4096, totalTimeout: 8000 });
  const took = Date.now() - start;
  t.ok(took < 15000, `ended in ${took} ms`);
  const sd = rec['server-probe'].session_data as Record<string, any>;
  t.ok(sd.banner_before_return.length <= 4096, 'banner bounded by bannerMaxBytes');
  t.ok(sd.input.received > 4096, `more arrived (${sd.input.received}) than was kept`);
  t.same(serverRecordProblems(rec), [], 'a (partial) record of the documented shape');
});

t.test('hostile: an option loop (answers every request, and again) is detected and bounded', async (t) => {
  const port = await rawServer(t, (s) => {
    s.on('data', (d) => {
      const out: number[] = [];
      for (let i = 0; i + 2 < d.length; i++) {
        if (d[i] === 255 && d[i + 1]! >= 251 && d[i + 1]! <= 254) {
          const v = d[i + 1]!;
          // Agree to everything, every time (RFC 1143 says: never answer a request that changes nothing).
          out.push(255, v === 253 ? 251 : v === 251 ? 253 : v === 254 ? 252 : 254, d[i + 2]!);
          i += 2;
        }
      }
      if (out.length > 0 && !s.destroyed) s.write(Buffer.from(out));
    });
    s.write(Buffer.from([255, 251, 1, 255, 251, 3]));
  });
  const start = Date.now();
  const rec = await probeServer('127.0.0.1', port, { ...FAST, totalTimeout: 10000 });
  t.ok(Date.now() - start < 15000, `ended in ${Date.now() - start} ms`);
  const sd = rec['server-probe'].session_data as Record<string, any>;
  t.ok(sd.loop_detection.looped.length > 0, `looping options listed (${sd.loop_detection.looped.join(',')})`);
  t.equal(sd.wrong_direction['DO NAWS'], 'wrong-accept', 'it even agrees to WILL NAWS');
  t.same(serverRecordProblems(rec), []);
});

t.test('hostile: a server that never answers: partial record within bounds', async (t) => {
  const port = await rawServer(t, () => {});
  const start = Date.now();
  const rec = await probeServer('127.0.0.1', port, { ...FAST, totalTimeout: 8000 });
  const took = Date.now() - start;
  t.ok(took < 15000, `ended in ${took} ms`);
  const fd = rec['server-probe']['fingerprint-data'];
  t.same(fd['offered-options'], [], 'nothing offered');
  t.ok(fd['refused-options'].length > 10, 'every probe counted as refused (timeout)');
  const sd = rec['server-probe'].session_data as Record<string, any>;
  t.equal(sd.wrong_direction['DO NAWS'], 'timeout');
  t.same(serverRecordProblems(rec), []);
});

t.test('hostile: total timeout cuts a slow-dripping banner', async (t) => {
  const port = await rawServer(t, (s) => {
    const iv = setInterval(() => { if (!s.destroyed) s.write('.'); else clearInterval(iv); }, 100);
    s.on('close', () => clearInterval(iv));
  });
  const start = Date.now();
  const rec = await probeServer('127.0.0.1', port, { ...FAST, bannerQuietTime: 1000, bannerMaxWait: 60000, totalTimeout: 3000 });
  const took = Date.now() - start;
  t.ok(took < 8000, `ended in ${took} ms despite a 60 s banner wait`);
  t.same(serverRecordProblems(rec), []);
});
