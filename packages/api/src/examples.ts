import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The example manifests users apply (deploy/examples/), read by tests across mk: written exactly
 * as one would for Kubernetes, they are the shortest answer to "what does mk accept?".
 */
export function exampleManifest(file: string): string {
  return readFileSync(path.resolve(__dirname, '../../../deploy/examples', file), 'utf8');
}
