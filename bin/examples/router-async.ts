/**
 * Log in to a router, run three commands, parse the output: the async
 * form (telnetlib3/automation `Session`). The same script, blocking, is
 * router-blocking.ts; with the telnet-client API, router-telnet-client.ts.
 *
 *   node dist/bin/examples/fake-router.js 127.0.0.1 6023 &
 *   node dist/bin/examples/router-async.js 127.0.0.1 6023 admin secret
 *
 * In your own project, import from 'telnetlib3/automation'.
 */
import { Session } from '../../src/automation/index.js';
import { parseRouter } from './router-parse.js';

const [host = '127.0.0.1', port = '23', username = 'admin', password = 'secret'] = process.argv.slice(2);

const session = await Session.connect(host, Number(port), { prompt: /[\w.-]+(?:\([\w-]+\))?#$/, timeout: 10_000 });
try {
  await session.login({ username, password });
  const version = await session.exec('show version');
  const brief = await session.exec('show ip interface brief');
  const config = await session.exec('show running-config');      // the --More-- pager is answered
  console.log(JSON.stringify(parseRouter(version, brief, config)));
} finally {
  await session.close();
}
