/**
 * The constants of Python's `telnetlib` module, with the same names and
 * values (each a one-byte Buffer, as Python's are one-byte bytes).
 */

/** Tunable parameters. */
export const DEBUGLEVEL = 0;
/** Telnet protocol defaults. */
export const TELNET_PORT = 23;

const byte = (n: number): Buffer => Buffer.from([n]);

// Telnet protocol characters (don't change)
/** "Interpret As Command" */
export const IAC = byte(255);
export const DONT = byte(254);
export const DO = byte(253);
export const WONT = byte(252);
export const WILL = byte(251);
export const theNULL = byte(0);

/** Subnegotiation End */
export const SE = byte(240);
/** No Operation */
export const NOP = byte(241);
/** Data Mark */
export const DM = byte(242);
/** Break */
export const BRK = byte(243);
/** Interrupt process */
export const IP = byte(244);
/** Abort output */
export const AO = byte(245);
/** Are You There */
export const AYT = byte(246);
/** Erase Character */
export const EC = byte(247);
/** Erase Line */
export const EL = byte(248);
/** Go Ahead */
export const GA = byte(249);
/** Subnegotiation Begin */
export const SB = byte(250);

// Telnet protocol options code (don't change); these ones all come from arpa/telnet.h
export const BINARY = byte(0); // 8-bit data path
export const ECHO = byte(1); // echo
export const RCP = byte(2); // prepare to reconnect
export const SGA = byte(3); // suppress go ahead
export const NAMS = byte(4); // approximate message size
export const STATUS = byte(5); // give status
export const TM = byte(6); // timing mark
export const RCTE = byte(7); // remote controlled transmission and echo
export const NAOL = byte(8); // negotiate about output line width
export const NAOP = byte(9); // negotiate about output page size
export const NAOCRD = byte(10); // negotiate about CR disposition
export const NAOHTS = byte(11); // negotiate about horizontal tabstops
export const NAOHTD = byte(12); // negotiate about horizontal tab disposition
export const NAOFFD = byte(13); // negotiate about formfeed disposition
export const NAOVTS = byte(14); // negotiate about vertical tab stops
export const NAOVTD = byte(15); // negotiate about vertical tab disposition
export const NAOLFD = byte(16); // negotiate about output LF disposition
export const XASCII = byte(17); // extended ascii character set
export const LOGOUT = byte(18); // force logout
export const BM = byte(19); // byte macro
export const DET = byte(20); // data entry terminal
export const SUPDUP = byte(21); // supdup protocol
export const SUPDUPOUTPUT = byte(22); // supdup output
export const SNDLOC = byte(23); // send location
export const TTYPE = byte(24); // terminal type
export const EOR = byte(25); // end or record
export const TUID = byte(26); // TACACS user identification
export const OUTMRK = byte(27); // output marking
export const TTYLOC = byte(28); // terminal location number
export const VT3270REGIME = byte(29); // 3270 regime
export const X3PAD = byte(30); // X.3 PAD
export const NAWS = byte(31); // window size
export const TSPEED = byte(32); // terminal speed
export const LFLOW = byte(33); // remote flow control
export const LINEMODE = byte(34); // Linemode option
export const XDISPLOC = byte(35); // X Display Location
export const OLD_ENVIRON = byte(36); // Old - Environment variables
export const AUTHENTICATION = byte(37); // Authenticate
export const ENCRYPT = byte(38); // Encryption option
export const NEW_ENVIRON = byte(39); // New - Environment variables
// the following ones come from http://www.iana.org/assignments/telnet-options
export const TN3270E = byte(40); // TN3270E
export const XAUTH = byte(41); // XAUTH
export const CHARSET = byte(42); // CHARSET
export const RSP = byte(43); // Telnet Remote Serial Port
export const COM_PORT_OPTION = byte(44); // Com Port Control Option
export const SUPPRESS_LOCAL_ECHO = byte(45); // Telnet Suppress Local Echo
export const TLS = byte(46); // Telnet Start TLS
export const KERMIT = byte(47); // KERMIT
export const SEND_URL = byte(48); // SEND-URL
export const FORWARD_X = byte(49); // FORWARD_X
export const PRAGMA_LOGON = byte(138); // TELOPT PRAGMA LOGON
export const SSPI_LOGON = byte(139); // TELOPT SSPI LOGON
export const PRAGMA_HEARTBEAT = byte(140); // TELOPT PRAGMA HEARTBEAT
export const EXOPL = byte(255); // Extended-Options-List
export const NOOPT = byte(0);
