export * from './logger';
export * from './clock';
export * from './rng';
export * from './errors';
export * from './winston-logger';
export * from './http-endpoints';
export * from './duration';
export * from './flag-parsers';
