/**
 * The blocking server takes `proxyProtocol` too: the engine thread reads the
 * PROXY header, so `accept()` hands out a connection whose address is the
 * header's client. The client is a separate process (accept() blocks this
 * thread).
 */
import { spawn } from 'node:child_process';
import t from 'tap';
import { BlockingTelnetServer } from '../../src/sync/index.js';
import { HOST } from './helpers.js';

t.test('accept(): address and port come from the PROXY header', (t) => {
  const s = new BlockingTelnetServer(HOST, 0, { proxyProtocol: true, proxyFrom: ['127.0.0.1'], connectMaxwait: 200, timeout: 0 });
  t.teardown(() => s.shutdown());
  s.start();
  const script = `const s = require('node:net').connect(${s.port}, '${HOST}', () => s.write('PROXY TCP4 192.0.2.44 127.0.0.1 4444 23\\r\\nhi\\r\\n'));
    s.on('error', () => {}); setTimeout(() => process.exit(0), 20000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  t.teardown(() => { child.kill(); });
  const conn = s.accept(20000);
  t.equal(conn.address, '192.0.2.44');
  t.equal(conn.port, 4444);
  t.match(conn.getExtraInfo('proxy'), { version: 1, command: 'proxy', via: { address: '127.0.0.1' } });
  t.match(String(conn.readline(10000)), /^hi/);
  conn.close();
  t.end();
});
