import * as grpc from '@grpc/grpc-js';
import type { Node } from '@mk/api';
import { ApiError, toGrpcError } from '@mk/client';
import { kubeletAddress, kubeletError, shortDetail } from './pod-proxy';

const node = (status: Node['status']): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, ...(status ? { status } : {}) });

describe('kubeletAddress', () => {
  test.each([
    [{ addresses: [{ type: 'Hostname' as const, address: 'h' }, { type: 'InternalIP' as const, address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } }, '127.0.0.1:10250'],
    [{ addresses: [{ type: 'InternalIP' as const, address: '::1' }], daemonEndpoints: { kubeletEndpoint: { Port: 1 } } }, '[::1]:1'],
  ])('%j → %s', (status, want) => expect(kubeletAddress(node(status))).toBe(want));

  test.each([
    [undefined, 'node "n1" has no InternalIP address: its kubelet cannot be reached'],
    [{ addresses: [{ type: 'InternalIP' as const, address: '127.0.0.1' }] }, 'node "n1" reports no kubelet endpoint port: its kubelet cannot be reached'],
  ])('missing parts: %j', (status, message) => {
    expect(() => kubeletAddress(node(status))).toThrow(message);
  });
});

describe('kubeletError', () => {
  test('the kubelet\'s own Status passes through', () => {
    const e = { ...toGrpcError(ApiError.notFound('pods', 'web')), message: 'x' };
    const err = kubeletError(e, 'n1', '127.0.0.1:1');
    expect([err.reason, err.message]).toEqual(['NotFound', 'pods "web" not found']);
  });

  test.each([
    [grpc.status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1 (2024-05-01T12:00:00.000Z)', 'ServiceUnavailable', 'error dialing backend: the kubelet of node "n1" at 127.0.0.1:1 is unavailable: connect ECONNREFUSED 127.0.0.1:1'],
    [grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded', 'Timeout', 'the kubelet of node "n1" at 127.0.0.1:1 did not answer before the deadline'],
  ])('no Status: code %d names the node', (code, details, reason, message) => {
    const err = kubeletError({ code, details, metadata: new grpc.Metadata() }, 'n1', '127.0.0.1:1');
    expect([err.reason, err.message]).toEqual([reason, message]);
  });
});

describe('shortDetail', () => {
  test.each([
    ['No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:40627. Resolution note: ', 'connect ECONNREFUSED 127.0.0.1:40627'],
    ['No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1 (2024-05-01T12:00:00.000Z)', 'connect ECONNREFUSED 127.0.0.1:1'],
    ['Connection dropped', 'Connection dropped'],
    ['', 'no connection'],
  ])('%j → %j', (details, want) => expect(shortDetail(details)).toBe(want));
});
