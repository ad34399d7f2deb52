/**
 * Option names for the engine's public API: `waitFor({ remote: { NAWS: true } })`
 * and friends accept an option's name (`'NAWS'`, `'new-environ'`) or code.
 */
import { optionFromName } from '../protocol/constants.js';
import { TelnetUsageError } from '../protocol/errors.js';

/** An option given by name or code. */
export type OptionKey = string | number;

/** The option code for a name or code; unknown names throw (telnetlib3 raises KeyError). */
export function resolveOption(key: OptionKey): number {
  if (typeof key === 'number') {
    if (Number.isInteger(key) && key >= 0 && key <= 255) return key;
    throw new TelnetUsageError(`option code must be 0-255, got ${key}`, 'ERR_TELNET_UNKNOWN_OPTION');
  }
  const code = optionFromName(key);
  if (code === undefined) throw new TelnetUsageError(`unknown option name: ${JSON.stringify(key)}`, 'ERR_TELNET_UNKNOWN_OPTION');
  return code;
}

/** A read-only view of one side's option states (telnetlib3's `local_option` / `remote_option`). */
export interface OptionView {
  /** True when the option is enabled on this side. */
  enabled(option: OptionKey): boolean;
  /** Codes of every enabled option, ascending. */
  list(): number[];
}

/** telnetlib3's `pending_option`: requests of ours awaiting an answer, and subnegotiation replies awaited. */
export interface PendingView {
  /** True while either side of the option, or its subnegotiation reply, is outstanding. */
  enabled(option: OptionKey): boolean;
}

/** The conditions `waitFor` accepts: option name or code → wanted state. */
export interface WaitForSpec {
  remote?: Record<string, boolean>;
  local?: Record<string, boolean>;
  pending?: Record<string, boolean>;
}
