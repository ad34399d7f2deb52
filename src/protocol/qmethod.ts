/**
 * RFC 1143, "The Q Method of Implementing TELNET Option Negotiation", as a
 * pure transition function.
 *
 * Each option has two independent sides: `us` (our WILL/WONT, answered by the
 * peer's DO/DONT) and `him` (the peer's WILL/WONT, answered by our DO/DONT).
 * Both use the same table, written here in terms of the side's state:
 *
 *   state   NO | YES | WANTNO | WANTYES
 *   queue   EMPTY | OPPOSITE     (only meaningful in WANTNO / WANTYES)
 *
 * and of "positive" (WILL for him, DO for us) and "negative" (WONT for him,
 * DONT for us) verbs. A received verb produces at most one reply, and a reply
 * is only ever sent when the state really changes, so no sequence of input can
 * make two conforming peers loop: output is bounded by input.
 */

/** The four RFC 1143 states of one side of one option. */
export type QState = 'NO' | 'YES' | 'WANTNO' | 'WANTYES';

/** One side of one option. `opposite` is RFC 1143's OPPOSITE queue bit. */
export interface QSide {
  readonly state: QState;
  readonly opposite: boolean;
}

/** The initial side: option disabled, nothing queued. */
export const Q_NO: QSide = Object.freeze({ state: 'NO', opposite: false });

/** The result of one transition. */
export interface QTransition {
  /** The side's next state. */
  next: QSide;
  /** What to send: a positive or negative verb for this side, or nothing. */
  send: 'positive' | 'negative' | null;
  /** Whether the option became enabled (true), disabled (false) or neither (null). */
  changed: boolean | null;
  /** A protocol or usage error to report (the transition is still applied). */
  error: string | null;
}

function side(state: QState, opposite = false): QSide {
  if (!opposite) {
    switch (state) {
      case 'NO': return Q_NO;
      case 'YES': return Q_YES;
      case 'WANTNO': return Q_WANTNO;
      case 'WANTYES': return Q_WANTYES;
    }
  }
  return Object.freeze({ state, opposite });
}
const Q_YES: QSide = Object.freeze({ state: 'YES', opposite: false });
const Q_WANTNO: QSide = Object.freeze({ state: 'WANTNO', opposite: false });
const Q_WANTYES: QSide = Object.freeze({ state: 'WANTYES', opposite: false });

function t(prev: QSide, next: QSide, send: QTransition['send'], error: string | null = null): QTransition {
  const was = prev.state === 'YES';
  const now = next.state === 'YES';
  return { next, send, changed: was === now ? null : now, error };
}

/**
 * The peer sent a positive verb (WILL for the `him` side, DO for the `us`
 * side). `accept` is our policy for enabling this side of the option.
 */
export function receivePositive(s: QSide, accept: boolean): QTransition {
  switch (s.state) {
    case 'NO':
      return accept ? t(s, Q_YES, 'positive') : t(s, Q_NO, 'negative');
    case 'YES':
      return t(s, s, null);
    case 'WANTNO':
      return s.opposite
        ? t(s, Q_YES, null, 'negative request answered by a positive verb')
        : t(s, Q_NO, null, 'negative request answered by a positive verb');
    case 'WANTYES':
      return s.opposite
        ? t(s, Q_WANTNO, 'negative')
        : t(s, Q_YES, null);
  }
}

/** The peer sent a negative verb (WONT for the `him` side, DONT for the `us` side). */
export function receiveNegative(s: QSide): QTransition {
  switch (s.state) {
    case 'NO':
      return t(s, s, null);
    case 'YES':
      return t(s, Q_NO, 'negative');
    case 'WANTNO':
      return s.opposite ? t(s, Q_WANTYES, 'positive') : t(s, Q_NO, null);
    case 'WANTYES':
      return t(s, Q_NO, null);
  }
}

/** We want this side enabled (we send WILL for `us`, DO for `him`). */
export function requestEnable(s: QSide): QTransition {
  switch (s.state) {
    case 'NO':
      return t(s, Q_WANTYES, 'positive');
    case 'YES':
      return t(s, s, null, 'already enabled');
    case 'WANTNO':
      return s.opposite ? t(s, s, null, 'already queued an enable request') : t(s, side('WANTNO', true), null);
    case 'WANTYES':
      return s.opposite ? t(s, Q_WANTYES, null) : t(s, s, null, 'already negotiating for enable');
  }
}

/** We want this side disabled (we send WONT for `us`, DONT for `him`). */
export function requestDisable(s: QSide): QTransition {
  switch (s.state) {
    case 'NO':
      return t(s, s, null, 'already disabled');
    case 'YES':
      return t(s, Q_WANTNO, 'negative');
    case 'WANTNO':
      return s.opposite ? t(s, Q_WANTNO, null) : t(s, s, null, 'already negotiating for disable');
    case 'WANTYES':
      return s.opposite ? t(s, s, null, 'already queued a disable request') : t(s, side('WANTYES', true), null);
  }
}

/** True when the side is usable (state YES). */
export function isEnabled(s: QSide): boolean {
  return s.state === 'YES';
}

/** True while a request of ours awaits its answer. */
export function isPending(s: QSide): boolean {
  return s.state === 'WANTNO' || s.state === 'WANTYES';
}
