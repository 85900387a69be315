import { isIP } from 'node:net';

/** A problem at boot that the environment causes and the user fixes: printed as one line, without a stack. */
export class BootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BootError';
  }
}

const codeOf = (error: unknown) => (error as { code?: unknown } | null)?.code;

/** What HOST or PORT has to do with a failed listen; any other error as it is. */
export function listenError(error: unknown, host: string, port: number): unknown {
  switch (codeOf(error)) {
    case 'EADDRINUSE':
      return new BootError(`PORT ${port} is in use on HOST ${host}: another process listens there; stop it or set another PORT`);
    case 'EACCES':
      return new BootError(`PORT ${port} is not open to this user on HOST ${host} (ports below 1024 need privileges): set a PORT from 1024 up`);
    case 'EADDRNOTAVAIL':
      return new BootError(`HOST ${host} is not an address of this machine: set one of its addresses, 0.0.0.0 for all of them, or 127.0.0.1`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new BootError(`HOST "${host}" is ${/^[\d.]+$/.test(host) && !isIP(host) ? 'not a valid IP address' : 'not an IP address'} and does not resolve as a host name: set an address of this machine such as 127.0.0.1 or 0.0.0.0`);
    default:
      return error;
  }
}

/** What DATA_DIR has to do with a store that would not open; any other error as it is. */
export function dataDirError(error: unknown, dataDir: string): unknown {
  switch (codeOf(error)) {
    case 'EEXIST':
    case 'ENOTDIR':
      return new BootError(`DATA_DIR ${dataDir} is not a directory: a file is in its way`);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_READONLY':
      return new BootError(`DATA_DIR ${dataDir} cannot be written by this process (${String(codeOf(error))}): give it a directory it may write`);
    case 'SQLITE_FULL':
    case 'ENOSPC':
    case 'EDQUOT':
      return new BootError(`DATA_DIR ${dataDir} is full (${String(codeOf(error))}): the store could not open even with its reserve file given back; free some space on its volume`);
    default:
      return error;
  }
}
