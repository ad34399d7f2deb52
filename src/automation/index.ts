/**
 * `telnetlib3/automation`: scripted sessions with network devices and
 * hosts. {@link Session} (async, over `openConnection`) and
 * {@link BlockingSession} (blocking, over `TelnetConnection`) share names,
 * options and the dialogue logic: `login`, `exec`, `send`, `waitFor`.
 */
export { Session } from './session.js';
export { BlockingSession } from './blocking-session.js';
export {
  SessionTimeoutError, SessionLimitError, DEFAULT_PROMPT, DEFAULT_TIMEOUT, DEFAULT_LIMIT,
} from './options.js';
export type { SessionOptions, ExecOptions, SendOptions, TranscriptSink } from './options.js';
export {
  LoginFailedError, ExecStep, LoginStep, WaitForStep, DEFAULT_LOGIN_PROMPT, DEFAULT_PASSWORD_PROMPT, DEFAULT_FAILED_LOGIN,
} from './steps.js';
export type { ExecResult, LoginOptions, LoginResult, PagerOptions, Step, StepAction, ExecStepOptions } from './steps.js';
export {
  AnsiStripper, LineScanner, isSingleLine, stripAnsi, cleanOutput, renderLine, splitLines, findPattern, findFirst, stripPagerErase, DEFAULT_PAGER_PATTERNS,
} from './text.js';
export type { Pattern, LineSeparator, Found } from './text.js';
