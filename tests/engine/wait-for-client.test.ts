import t from 'tap';
import { createServer } from '../../src/server.js';

t.test('waitForClient rejects once the server closes, so accept loops end', async (t) => {
  const server = await createServer({ host: '127.0.0.1', port: 0 });
  const pending = server.waitForClient();
  server.close();
  await t.rejects(pending, { code: 'ERR_TELNET_CLOSED' });
  await t.rejects(server.waitForClient(), { code: 'ERR_TELNET_CLOSED' }, 'and later calls too');
  await server.waitClosed();
});
