import type * as Winston from 'winston';
import { LogFields, Logger } from './logger';

/**
 * The real logger: winston, one JSON line per record on stderr (like etcd's zap logger), adapted
 * to the Logger interface every library takes. Only a daemon's `bin/` entry point calls this;
 * everything below it is handed the Logger.
 */
export function createWinstonLogger(level: string, base: LogFields = {}): Logger {
  // Loaded here, not at the top: the pure cores import @mk/shared and never need winston.
  const winston = require('winston') as typeof Winston;
  const w = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  return adapt(w.child(base));
}

function adapt(w: Winston.Logger): Logger {
  return {
    debug: (message, fields) => void w.debug(message, fields),
    info: (message, fields) => void w.info(message, fields),
    warn: (message, fields) => void w.warn(message, fields),
    error: (message, fields) => void w.error(message, fields),
    child: (fields) => adapt(w.child(fields)),
  };
}
