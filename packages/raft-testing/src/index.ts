export * from './app-state';
export * from './checker';
export * from './log-view';
export * from './network';
export * from './node';
export * from './simulation';
export * from './trace';
export * from './cli';
