/**
 * Shells `telnetlib3-server --shell NAME` knows by name (anything else is
 * loaded as `module[:export]`): `telsh`, `fingerprint` (the fingerprinting
 * shell, saving under `$TELNETLIB3_DATA_DIR`) and `relay` (configured by
 * `TELNETLIB3_RELAY_TARGET` and `TELNETLIB3_RELAY_PASSCODE`). telnetlib3's
 * dotted names are accepted too.
 */
import type { Shell } from '../src/server.js';
import type { Logger } from '../src/engine/logger.js';
import { makeFingerprintShell } from '../src/fingerprint/server-shell.js';
import { relayShellFromEnv } from '../src/shells/relay.js';
import { telsh } from '../src/shells/telsh.js';

/** The built-in shell of that name, or null (then it is a module to load). */
export function builtinShell(name: string, opts: { neverSendGa?: boolean; logger?: Logger }): Shell | null {
  switch (name) {
    case 'telsh':
    case 'telnetlib3.telnet_server_shell':
      return (r, w) => telsh(r, w, { neverSendGa: opts.neverSendGa });
    case 'fingerprint':
    case 'fingerprinting_server_shell':
    case 'telnetlib3.fingerprinting_server_shell':
      return makeFingerprintShell({ logger: opts.logger });
    case 'relay':
    case 'telnetlib3.relay_server.relay_shell':
      return relayShellFromEnv();
    default:
      return null;
  }
}
