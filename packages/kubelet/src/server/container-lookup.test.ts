import { ApiError } from '@mk/client';
import { exited, makePod, running } from '../testing/fixtures';
import { chooseContainer } from './container-lookup';

const one = makePod([{ name: 'app' }]);
const two = makePod([{ name: 'web' }, { name: 'sidecar' }], { initContainers: [{ name: 'init', image: 'busybox' }] });

describe('chooseContainer (kubectl logs/exec container lookup)', () => {
  test.each([
    ['the only container when none is named', one, [running('app')], { container: '' }, 'app-0'],
    ['the named one', two, [running('web'), running('sidecar')], { container: 'sidecar' }, 'sidecar-0'],
    ['an init container by name', two, [exited('init', 0), running('web')], { container: 'init' }, 'init-0'],
    ['the current run = the highest attempt', one, [exited('app', 1, { attempt: 0 }), running('app', { attempt: 2 }), exited('app', 1, { attempt: 1 })], { container: '' }, 'app-2'],
    ['previous = the newest exited run before the current', one, [exited('app', 1, { attempt: 0 }), running('app', { attempt: 2 }), exited('app', 2, { attempt: 1 })], { container: '', previous: true }, 'app-1'],
    ['previous of an exited current run', one, [exited('app', 1, { attempt: 0 }), exited('app', 1, { attempt: 1 })], { container: 'app', previous: true }, 'app-0'],
  ])('%s', (_what, pod, runs, choice, id) => {
    expect(chooseContainer(pod, runs, choice).id).toBe(id);
  });

  test.each([
    ['no name, several containers', two, [running('web')], { container: '' }, 'a container name must be specified for pod p, choose one of: [web sidecar]'],
    ['an unknown container', one, [running('app')], { container: 'nope' }, 'container nope is not valid for pod p'],
    ['no previous run', one, [running('app')], { container: '', previous: true }, 'previous terminated container "app" in pod "p" not found'],
    ['no run at all, previous', one, [], { container: '', previous: true }, 'previous terminated container "app" in pod "p" not found'],
    ['not started yet', one, [], { container: '' }, 'container "app" in pod "p" is waiting to start: ContainerCreating'],
  ])('BadRequest: %s', (_what, pod, runs, choice, message) => {
    let err: unknown;
    try {
      chooseContainer(pod, runs, choice);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).reason).toBe('BadRequest');
    expect((err as ApiError).message).toBe(message);
  });
});
