/**
 * Log in to a router, run three commands, parse the output: the blocking
 * form (telnetlib3/automation `BlockingSession`, no async anywhere).
 *
 *   node dist/bin/examples/router-blocking.js 127.0.0.1 6023 admin secret
 *
 * In your own project, import from 'telnetlib3/automation'.
 */
import { BlockingSession } from '../../src/automation/index.js';
import { parseRouter } from './router-parse.js';

const [host = '127.0.0.1', port = '23', username = 'admin', password = 'secret'] = process.argv.slice(2);

{
  using session = BlockingSession.connect(host, Number(port), { prompt: /[\w.-]+(?:\([\w-]+\))?#$/, timeout: 10_000 });
  session.login({ username, password });
  const version = session.exec('show version');
  const brief = session.exec('show ip interface brief');
  const config = session.exec('show running-config');
  console.log(JSON.stringify(parseRouter(version, brief, config)));
}
