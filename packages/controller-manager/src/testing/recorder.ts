/** An event recorder that keeps what it was told. */
import type { KubeObject } from '@mk/api';
import type { Recorder } from '../types';

export interface RecordedEvent {
  kind: string;
  name: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export class RecordingRecorder implements Recorder {
  readonly events: RecordedEvent[] = [];

  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ kind: obj.kind, name: obj.metadata.name ?? '', type, reason, message });
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}
