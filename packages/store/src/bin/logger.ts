import winston from 'winston';
import { LogFields, Logger } from '@mk/shared';

/**
 * The one place a real logger is built: winston, one JSON line per record on stderr (like etcd's
 * zap logger), adapted to the Logger interface every library takes.
 */
export function createLogger(level: string, base: LogFields = {}): Logger {
  const w = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  return adapt(w.child(base));
}

function adapt(w: winston.Logger): Logger {
  return {
    debug: (message, fields) => void w.debug(message, fields),
    info: (message, fields) => void w.info(message, fields),
    warn: (message, fields) => void w.warn(message, fields),
    error: (message, fields) => void w.error(message, fields),
    child: (fields) => adapt(w.child(fields)),
  };
}
