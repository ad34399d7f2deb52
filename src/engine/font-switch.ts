/**
 * SyncTERM font switching for a client connection (telnetlib3 4.0.5's
 * client and fingerprint client): when the server selects a font with
 * `CSI Ps1 ; Ps2 SP D`, the connection's codec becomes that font's
 * (src/encodings/syncterm-fonts.ts: 0 cp437, 32-35 petscii, 36 atascii, ...)
 * in both directions, with BINARY forced, from the byte after the sequence
 * on, in the middle of a chunk too. The sequence itself reaches the reader
 * as plain ASCII whatever the old codec. Fonts the table does not list
 * change nothing.
 */
import { SyncTermFontScanner } from '../encodings/syncterm-fonts.js';
import type { EngineConnection } from './connection.js';
import { normalizeEncoding } from './encoding.js';

/** Watch `conn`'s in-band data for font selections (a text connection reading through its own reader). */
export function watchSyncTermFonts(conn: EngineConnection): void {
  if (conn.binary) return;
  const scanner = new SyncTermFontScanner();
  conn.reader.setInspector((data, feed) => {
    const found = scanner.scan(data);
    if (found.length === 0) {
      feed(data);
      return;
    }
    let from = 0;
    for (const sel of found) {
      feed(data.subarray(from, sel.start));
      feed(data.subarray(sel.start, sel.end), true);
      from = sel.end;
      const name = sel.encoding === null ? null : normalizeEncoding(sel.encoding);
      conn.extra.set('syncterm_font', sel.font);
      if (name === null) {
        conn.logger.debug(`SyncTERM font ${sel.font} selected: not in the font table, encoding unchanged`);
        continue;
      }
      conn.logger.debug(`SyncTERM font ${sel.font} selected: encoding ${name}`);
      conn.setNegotiatedEncoding(name, true);
    }
    feed(data.subarray(from));
  });
}
