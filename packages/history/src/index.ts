export * from './types';
export * from './recorder';
export * from './linearizability';
export * from './checks';
export * from './simulate';
export * from './reference';
export * from './testing-dsl';
