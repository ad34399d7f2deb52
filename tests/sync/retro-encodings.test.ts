/**
 * The blocking client with a retro codec (Atari ST, by its alias `atari`)
 * against the `encoding: false` server of the async-server fixture: bytes
 * the server sends decode with the codec, and text written is encoded
 * with it (the server echoes the bytes back).
 */
import t from 'tap';
import { TelnetConnection } from '../../src/sync/index.js';
import { HOST, asyncServers, cmd } from './helpers.js';

const { bytes: BYTES } = await asyncServers(t);

t.test('TelnetConnection with encoding atari (atarist)', (t) => {
  const c = new TelnetConnection<string>(HOST, BYTES, { timeout: 3000, connectMaxwait: 500, encoding: 'atari', forceBinary: true });
  c.connect();
  t.teardown(() => c.close());
  c.write(cmd.send(Buffer.from([0x80, 0x9e, 0xe3, 0x0d, 0x0a])));
  t.equal(c.readline(), '\u00c7\u00df\u03c0\r\n', 'Atari ST bytes decode');
  c.write(cmd.echo);
  c.write('\u00c7\u03c0\u05d0\r\n');
  t.equal(c.readline(), '\u00c7\u03c0\u05d0\r\n', 'text encoded to Atari ST and back');
  t.end();
});
