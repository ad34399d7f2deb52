/**
 * What a connection records of each session event before anyone else hears
 * of it: the log line, telnetlib3's `get_extra_info` keys (cols, rows, TERM,
 * ttype1.., tspeed, xdisploc, environ variables, mssp, gmcp, charset), and
 * the encoding, BINARY, compression and error-hook changes an event brings.
 */
import { Cmd, Opt, cmdName, describeNegotiation, optName } from '../protocol/constants.js';
import type { SessionEvent } from '../protocol/events.js';
import { mergeGmcp } from '../protocol/options/gmcp.js';
import type { EngineConnection } from './connection.js';
import { encodingFromLang, normalizeEncoding } from './encoding.js';

const TTYPE_KEYS = Array.from({ length: 9 }, (_, i) => `ttype${i}`);

/** Log `ev` and keep what it tells about the peer in `conn`'s extra info. */
export function recordEvent(conn: EngineConnection, ev: SessionEvent): void {
  const log = conn.logger;
  switch (ev.type) {
    case 'option':
      log.debug(`${ev.side} ${optName(ev.option)} ${ev.enabled ? 'enabled' : 'disabled'}`);
      if (ev.option === Opt.BINARY) conn.sink.setEncoding(conn.incomingEncoding());
      break;
    case 'refused':
      log.debug(`refused ${describeNegotiation(ev.side === 'local' ? Cmd.DO : Cmd.WILL, ev.option)}`);
      break;
    case 'problem':
      log[ev.problem.severity === 'error' ? 'warn' : 'debug'](`peer problem ${ev.problem.code}: ${ev.problem.message}`);
      conn.protocolProblem(ev.problem);
      break;
    case 'command':
      log.debug(`recv IAC ${cmdName(ev.command)}`);
      break;
    case 'naws':
      conn.extra.set('cols', ev.cols);
      conn.extra.set('rows', ev.rows);
      break;
    case 'ttype':
      conn.extra.set(TTYPE_KEYS[ev.index] ?? `ttype${ev.index}`, ev.name);
      if (ev.term !== '') conn.extra.set('TERM', ev.term);
      break;
    case 'tspeed':
      conn.extra.set('tspeed', `${ev.rx},${ev.tx}`);
      break;
    case 'xdisploc':
      conn.extra.set('xdisploc', ev.display);
      break;
    case 'sndloc':
      conn.extra.set('sndloc', ev.location);
      break;
    case 'environ':
      for (const [k, v] of Object.entries(ev.vars)) conn.extra.set(k, v);
      if (conn.role === 'server') {
        const fromLang = typeof ev.vars.LANG === 'string' ? encodingFromLang(ev.vars.LANG) : null;
        if (fromLang !== null) conn.setNegotiatedEncoding(fromLang, true);
        else if (typeof ev.vars.CHARSET === 'string') {
          const cs = normalizeEncoding(ev.vars.CHARSET);
          if (cs !== null) conn.setNegotiatedEncoding(cs, true);
        }
      }
      if (ev.dropped.length > 0) log.debug(`environ dropped: ${ev.dropped.join(' ')}`);
      break;
    case 'compress':
      conn.startCompression(ev.option, ev.direction);
      break;
    case 'mssp':
      conn.extra.set('mssp', ev.table);
      break;
    case 'gmcp': {
      let store = conn.extra.get('gmcp') as Record<string, unknown> | undefined;
      if (store === undefined) conn.extra.set('gmcp', store = {});
      mergeGmcp(store, ev);
      break;
    }
    case 'charset': {
      const cs = normalizeEncoding(ev.charset);
      if (cs !== null) conn.setNegotiatedEncoding(cs, true);
      else log.warn(`charset ${ev.charset} agreed but unknown here; encoding unchanged`);
      break;
    }
    default:
      break;
  }
}
