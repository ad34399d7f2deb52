/**
 * Blocking prompts for scripts written without async (Python's `input()`):
 * stdin is read by a helper thread (src/bridge/stdin-pump.ts), so this works
 * whether stdin is a terminal, a pipe or a file, and the caller sleeps while
 * it waits.
 */
import { StdinPump } from '../bridge/stdin-pump.js';
import { TelnetClosedError } from '../protocol/errors.js';

/**
 * Write `prompt` to stdout, then block until a line arrives on stdin and
 * return it without its line end (LF or CR LF), decoded as UTF-8. At the end
 * of stdin with nothing read, throws {@link TelnetClosedError} ("EOF when
 * reading a line", as Python's `EOFError`).
 */
export function readStdinLine(prompt = ''): string {
  if (prompt.length > 0) process.stdout.write(prompt);
  const line = StdinPump.get().readLine();
  if (line === null) throw new TelnetClosedError('EOF when reading a line');
  return line.toString('utf8').replace(/\r?\n$/, '');
}
