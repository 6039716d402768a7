// @mk/apiserver: mk-apiserver (DESIGN.md, "The API server").
export * from './storage';
