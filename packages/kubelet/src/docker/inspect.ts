/** Docker's inspect answers → the runtime's view of containers and sandboxes (pure). */
import type Dockerode from 'dockerode';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID, type RuntimeContainer, type RuntimeContainerState, type RuntimeSandbox } from '../runtime';
import { LABEL_SANDBOX_ID, attemptFromLabels, isSandboxLabels, podRefFromLabels } from './labels';

/** The part of `docker inspect` this module reads (tests build it by hand). */
export interface InspectLike {
  Id: string;
  Created: string;
  Image: string;
  State: Pick<Dockerode.ContainerInspectInfo['State'], 'Status' | 'Running' | 'ExitCode' | 'StartedAt' | 'FinishedAt'>;
  Config: Pick<Dockerode.ContainerInspectInfo['Config'], 'Image' | 'Labels'>;
  HostConfig: Pick<Dockerode.HostConfig, 'NetworkMode'>;
  NetworkSettings: { Networks?: Record<string, { IPAddress: string }> | null };
}

/**
 * ms since the epoch of Docker's RFC 3339 time with nanoseconds; undefined for Go's zero time
 * (`0001-01-01T00:00:00Z`: never started / not finished) and for an empty or unreadable one.
 */
export function dockerTime(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value.startsWith('0001-01-01')) return undefined;
  // Keep milliseconds: Date.parse is only specified for up to three fraction digits.
  const ms = Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Docker's State.Status → the runtime's three states (paused and restarting still hold a process). */
export function containerState(status: string): RuntimeContainerState {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    default:
      // exited, dead, removing
      return 'exited';
  }
}

/** The sandbox a container joined: its label, else the `container:<id>` network mode. */
function sandboxIdOf(info: InspectLike): string {
  const label = info.Config.Labels?.[LABEL_SANDBOX_ID];
  if (label !== undefined) return label;
  const mode = info.HostConfig.NetworkMode ?? '';
  return mode.startsWith('container:') ? mode.slice('container:'.length) : '';
}

/** An mk container's inspect → RuntimeContainer; undefined for anything else (a sandbox, a stranger). */
export function containerFromInspect(info: InspectLike): RuntimeContainer | undefined {
  const labels = info.Config.Labels ?? {};
  const name = labels[LABEL_CONTAINER_NAME];
  const podUid = labels[LABEL_POD_UID];
  if (name === undefined || podUid === undefined || isSandboxLabels(labels)) return undefined;
  const state = containerState(info.State.Status);
  const container: RuntimeContainer = {
    id: info.Id,
    name,
    podUid,
    sandboxId: sandboxIdOf(info),
    state,
    createdAt: dockerTime(info.Created) ?? 0,
    attempt: attemptFromLabels(labels),
    image: info.Config.Image,
    labels: { ...labels },
  };
  if (state === 'exited') container.exitCode = info.State.ExitCode;
  const startedAt = dockerTime(info.State.StartedAt);
  if (startedAt !== undefined) container.startedAt = startedAt;
  const finishedAt = state === 'exited' ? dockerTime(info.State.FinishedAt) : undefined;
  // Docker stamps start and exit from different events: a short-lived process can "finish" a
  // millisecond before it "started". A run never lasts less than nothing.
  if (finishedAt !== undefined) container.finishedAt = Math.max(finishedAt, startedAt ?? finishedAt);
  if (info.Image !== '') container.imageId = info.Image;
  return container;
}

/**
 * A pause container's inspect → RuntimeSandbox; undefined when it is not one. Ready while the pause
 * process runs; the IP is the one on the network it was created in (none with the host's network).
 */
export function sandboxFromInspect(info: InspectLike): RuntimeSandbox | undefined {
  const labels = info.Config.Labels ?? {};
  const pod = podRefFromLabels(labels);
  if (pod === undefined || !isSandboxLabels(labels)) return undefined;
  const ready = info.State.Running;
  const sandbox: RuntimeSandbox = {
    id: info.Id,
    pod,
    state: ready ? 'ready' : 'notready',
    createdAt: dockerTime(info.Created) ?? 0,
    labels: { ...labels },
  };
  const network = info.HostConfig.NetworkMode ?? '';
  const ip = info.NetworkSettings.Networks?.[network]?.IPAddress;
  if (ready && ip !== undefined && ip !== '') sandbox.ip = ip;
  return sandbox;
}
