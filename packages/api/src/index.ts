// @mk/api: the object model every component shares (DESIGN.md, packages/api).
export * from './types';
export * from './field-path';
export * from './errors';
export * from './registry';
export * from './decode';
export * from './manifests';
export * from './defaults';
export * from './validate';
export * from './labels';
export * from './fields';
export * from './quantity';
export * from './intstr';
export * from './merge-patch';
export * from './meta';
export * from './resources';
export * from './cron';
export {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
} from './validation/names';
export { kindSchemas, schemaForKind } from './schema';
export type { Schema, SchemaNode, ObjectSchema } from './schema';
