/**
 * Socket reads into one reusable buffer per thread, for client connections
 * whose consumer copies what it keeps (the blocking API's receive ring, and
 * text readers, which keep strings).
 *
 * By default Node.js allocates a fresh 64 KiB buffer for every read. Here the
 * socket reads into a 512 KiB buffer shared by every such socket of the
 * thread (`onread`), and each read is handed on synchronously: the parser
 * unescapes it in place and the sink copies the data (into its ring, or
 * into strings) before the next read reuses the buffer. Fewer, larger
 * reads mean fewer parser calls, ring writes and cross-thread wake-ups per
 * megabyte, and no allocation per read. The buffer can be shared because a thread processes
 * one read at a time, start to finish.
 *
 * The contract: a chunk is valid only during the call that receives it.
 * Everything downstream of a connection that reads this way must copy what
 * it keeps ({@link DataSink.copiesData}).
 */
import net from 'node:net';
import { simdReadArea } from '../protocol/options/iac-simd.js';

/** Bytes read per socket read at most. */
export const STATIC_READ_SIZE = 512 * 1024;

let shared: Buffer | null = null;

const kReads = Symbol('telnetlib3.staticReads');

interface StaticReads {
  /** Where reads go from now on; reads that came before are copied and handed over first. */
  attach(target: (chunk: Buffer) => void): void;
}

type ReadingSocket = net.Socket & { [kReads]?: StaticReads };

/** `net.connect(opts)`, reading into the thread's shared read buffer. */
export function connectWithStaticReads(opts: net.NetConnectOpts): net.Socket {
  // In a SIMD module's memory, so that binary data is unescaped where it was read.
  const buffer = shared ??= simdReadArea(STATIC_READ_SIZE) ?? Buffer.allocUnsafe(STATIC_READ_SIZE);
  let target: ((chunk: Buffer) => void) | null = null;
  const early: Buffer[] = [];
  const socket: ReadingSocket = net.connect({
    ...opts,
    onread: {
      buffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
        if (target !== null) target(chunk);
        else early.push(Buffer.from(chunk));
        return true;
      },
    },
  } as net.NetConnectOpts);
  socket[kReads] = {
    attach(t) {
      target = t;
      for (const c of early.splice(0)) t(c);
    },
  };
  return socket;
}

/**
 * Route a socket's reads to `target` if it was made by
 * {@link connectWithStaticReads}; false for any other socket (it emits
 * 'data' as usual).
 */
export function attachStaticReads(socket: net.Socket, target: (chunk: Buffer) => void): boolean {
  const reads = (socket as ReadingSocket)[kReads];
  if (reads === undefined) return false;
  reads.attach(target);
  return true;
}
