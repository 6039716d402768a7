/**
 * The command line: commander wiring of every command onto the functions in src/commands. The
 * context each command runs with comes from a factory (src/main.ts builds the real one from the
 * global flags; tests pass their own), so this file holds no I/O of its own.
 */
import { Command, CommanderError, Option } from 'commander';
import { annotate, label, type LabelOptions } from './commands/label';
import { apiResources } from './commands/api-resources';
import { apply } from './commands/apply';
import { configCurrentContext, configDeleteContext, configGetContexts, configSetContext, configUseContext, configView } from './commands/config';
import { createDeployment, createFromFiles, createNamespace } from './commands/create';
import { deleteCommand } from './commands/delete';
import { describe } from './commands/describe';
import { exec } from './commands/exec';
import { logs } from './commands/logs';
import { topNodes, topPods } from './commands/top';
import { get } from './commands/get';
import { version } from './commands/version';
import { rolloutHistory, rolloutPause, rolloutRestart, rolloutResume, rolloutUndo } from './commands/rollout';
import { rolloutStatusCommand, wait } from './commands/wait';
import { expose, scale, setImage } from './commands/workloads';
import type { CommandContext, Writer } from './context';

/** The flags every command accepts (kubectl's global flags, mk's names). */
export interface GlobalOptions {
  server?: string;
  context?: string;
  mkconfig?: string;
  namespace?: string;
  requestTimeout?: string;
}

export type ContextFactory = (globals: GlobalOptions) => CommandContext;

/** kubectl-style `--flag=true|false` for boolean flags, which commander does not read. */
const BOOLEAN_FLAGS: Record<string, { on: string[]; off: string[] }> = {
  wait: { on: ['--wait'], off: ['--no-wait'] },
  'show-events': { on: ['--show-events'], off: ['--no-show-events'] },
  watch: { on: ['--watch'], off: ['--no-watch'] },
  'no-headers': { on: ['--no-headers'], off: [] },
};
for (const f of [
  'overwrite',
  'all-namespaces',
  'watch-only',
  'output-watch-events',
  'show-labels',
  'show-kind',
  'ignore-not-found',
  'now',
  'force',
  'recursive',
  'save-config',
  'all',
  'list',
  'client',
  'minify',
  'current',
  'follow',
  'previous',
  'timestamps',
  'stdin',
  'tty',
  'containers',
]) {
  BOOLEAN_FLAGS[f] = { on: [`--${f}`], off: [] };
}

export function normalizeArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const m = /^--([a-z-]+)=(true|false)$/.exec(a);
    const flag = m ? BOOLEAN_FLAGS[m[1] ?? ''] : undefined;
    if (m && flag) out.push(...(m[2] === 'true' ? flag.on : flag.off));
    else if (a === '-A=true') out.push('-A');
    else out.push(a);
  }
  return out;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const collectSplit = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').filter((s) => s !== '')];

export async function run(argv: readonly string[], makeContext: ContextFactory, io: { out: Writer; err: Writer }): Promise<number> {
  let exitCode = 0;
  const program = new Command('mkctl');
  const context = (cmd: Command): CommandContext => makeContext(cmd.optsWithGlobals() as GlobalOptions);
  const action =
    <A extends unknown[]>(fn: (cmd: Command, ...args: A) => Promise<number>) =>
    async (...args: unknown[]): Promise<void> => {
      // commander passes the declared arguments, then the options, then the command itself.
      const cmd = args[args.length - 1] as Command;
      exitCode = await fn(cmd, ...(args.slice(0, -1) as A));
    };

  program
    .description('mkctl controls the mk cluster manager, the way kubectl controls Kubernetes.')
    .usage('[flags] [command]')
    .option('-s, --server <addresses>', 'API server addresses, host:port[,host:port...] (else the config file)')
    .option('--context <name>', 'the context of the config file to use')
    .option('--mkconfig <file>', 'the config file (default $MKCONFIG, else ~/.mk/config)')
    .option('-n, --namespace <namespace>', 'the namespace for this request')
    .option('--request-timeout <duration>', 'how long to wait for the API servers before giving up (e.g. 10s, 1m; 0: no limit)', '10s')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });

  const sub = (name: string, description: string): Command =>
    program
      .command(name)
      .description(description)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });

  sub('get', 'Display one or many resources')
    .argument('[args...]', 'TYPE[,TYPE...] [NAME...] or TYPE/NAME...')
    .option('-o, --output <format>', 'wide|yaml|json|name|jsonpath=TEMPLATE')
    .option('-A, --all-namespaces', 'list the objects of every namespace')
    .option('-l, --selector <selector>', 'label selector (e.g. app=web,tier!=db)')
    .option('--field-selector <selector>', 'field selector (e.g. status.phase=Running)')
    .option('-w, --watch', 'after listing, watch for changes')
    .addOption(new Option('--no-watch').hideHelp())
    .option('--watch-only', 'watch for changes without listing first')
    .option('--output-watch-events', 'print the event type (ADDED, MODIFIED, DELETED) with each watched object')
    .option('--show-labels', 'show every label as the last column')
    .option('--show-kind', 'show the kind with each name')
    .option('--no-headers', 'print no column headers')
    .option('-L, --label-columns <keys>', 'a column per label key (repeatable, comma-separated)', collectSplit)
    .option('--ignore-not-found', 'treat "not found" as success')
    .option('--sort-by <jsonpath>', 'sort by a JSONPath expression (e.g. .metadata.name)')
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) =>
        get(context(cmd), args, {
          ...(o.output !== undefined ? { output: o.output as string } : {}),
          allNamespaces: o.allNamespaces === true,
          ...(o.selector !== undefined ? { selector: o.selector as string } : {}),
          ...(o.fieldSelector !== undefined ? { fieldSelector: o.fieldSelector as string } : {}),
          watch: o.watch === true,
          watchOnly: o.watchOnly === true,
          outputWatchEvents: o.outputWatchEvents === true,
          showLabels: o.showLabels === true,
          showKind: o.showKind === true,
          noHeaders: o.headers === false,
          labelColumns: (o.labelColumns as string[] | undefined) ?? [],
          ignoreNotFound: o.ignoreNotFound === true,
          ...(o.sortBy !== undefined ? { sortBy: o.sortBy as string } : {}),
        }),
      ),
    );

  sub('describe', 'Show details of a resource or group of resources')
    .argument('[args...]', 'TYPE [NAME_PREFIX...] or TYPE/NAME')
    .option('-A, --all-namespaces', 'describe the objects of every namespace')
    .option('-l, --selector <selector>', 'label selector')
    .option('--show-events', 'show the events about each object (default true)')
    .option('--no-show-events', 'do not show events')
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) =>
        describe(context(cmd), args, { allNamespaces: o.allNamespaces === true, ...(o.selector !== undefined ? { selector: o.selector as string } : {}), showEvents: o.showEvents !== false }),
      ),
    );

  sub('apply', 'Apply a configuration to resources by file name or stdin')
    .option('-f, --filename <file>', 'a file, a directory, or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'process the directories of -f recursively')
    .option('-o, --output <format>', 'name: print only kind/name')
    .option('--dry-run <mode>', 'none|client|server')
    .action(
      action(async (cmd, o: Record<string, unknown>) =>
        apply(context(cmd), {
          filename: (o.filename as string[] | undefined) ?? [],
          recursive: o.recursive === true,
          ...(o.output !== undefined ? { output: o.output as string } : {}),
          ...(o.dryRun !== undefined ? { dryRun: o.dryRun as string } : {}),
        }),
      ),
    );

  const create = sub('create', 'Create resources from a file or from stdin')
    .option('-f, --filename <file>', 'a file, a directory, or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'process the directories of -f recursively')
    .option('-o, --output <format>', 'name: print only kind/name')
    .option('--save-config', 'store the configuration in the last-applied annotation (for a later apply)')
    .option('--dry-run <mode>', 'none|client|server')
    .action(
      action(async (cmd, o: Record<string, unknown>) =>
        createFromFiles(context(cmd), {
          filename: (o.filename as string[] | undefined) ?? [],
          recursive: o.recursive === true,
          saveConfig: o.saveConfig === true,
          ...(o.output !== undefined ? { output: o.output as string } : {}),
          ...(o.dryRun !== undefined ? { dryRun: o.dryRun as string } : {}),
        }),
      ),
    );
  create
    .command('namespace')
    .alias('ns')
    .description('Create a namespace')
    .argument('<name>')
    .option('-o, --output <format>', 'name: print only kind/name')
    .option('--dry-run <mode>', 'none|client|server')
    .exitOverride()
    .action(
      action(async (cmd, name: string, o: Record<string, unknown>) =>
        createNamespace(context(cmd), name, { ...(o.output !== undefined ? { output: o.output as string } : {}), ...(o.dryRun !== undefined ? { dryRun: o.dryRun as string } : {}) }),
      ),
    );
  create
    .command('deployment')
    .alias('deploy')
    .description('Create a deployment running the given image(s)')
    .argument('<name>')
    .option('--image <image>', 'a container image (repeatable)', collect)
    .option('-r, --replicas <n>', 'number of replicas', '1')
    .option('--port <port>', 'the port the container exposes')
    .option('-o, --output <format>', 'name: print only kind/name')
    .option('--dry-run <mode>', 'none|client|server')
    .exitOverride()
    .action(
      action(async (cmd, name: string, o: Record<string, unknown>) =>
        createDeployment(context(cmd), name, {
          image: (o.image as string[] | undefined) ?? [],
          replicas: o.replicas as string,
          ...(o.port !== undefined ? { port: o.port as string } : {}),
          ...(o.output !== undefined ? { output: o.output as string } : {}),
          ...(o.dryRun !== undefined ? { dryRun: o.dryRun as string } : {}),
        }),
      ),
    );

  sub('delete', 'Delete resources by file names, stdin, resources and names, or by resources and label selector')
    .argument('[args...]', 'TYPE NAME... or TYPE/NAME... or TYPE with -l/--all')
    .option('-f, --filename <file>', 'delete the objects of a file, a directory, or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'process the directories of -f recursively')
    .option('-l, --selector <selector>', 'delete the objects matching this label selector')
    .option('--field-selector <selector>', 'delete the objects matching this field selector')
    .option('--all', 'delete every object of the type in the namespace')
    .option('-A, --all-namespaces', 'with -l or --all: in every namespace')
    .addOption(new Option('--cascade <mode>', 'background|foreground|orphan: what happens to the objects this one owns'))
    .option('--grace-period <seconds>', 'seconds the object has to terminate (-1: its own default)')
    .option('--now', 'terminate at once (grace period 1)')
    .option('--force', 'with --grace-period=0: remove at once without waiting for confirmation')
    .option('--wait', 'wait until the objects are gone (default true)')
    .option('--no-wait', 'return as soon as the deletion is accepted')
    .option('--timeout <duration>', 'how long to wait for the deletion (0: no limit)')
    .option('--ignore-not-found', 'treat "not found" as success')
    .option('-o, --output <format>', 'name: print only kind/name')
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) =>
        deleteCommand(context(cmd), args, {
          filename: (o.filename as string[] | undefined) ?? [],
          recursive: o.recursive === true,
          ...(o.selector !== undefined ? { selector: o.selector as string } : {}),
          ...(o.fieldSelector !== undefined ? { fieldSelector: o.fieldSelector as string } : {}),
          all: o.all === true,
          allNamespaces: o.allNamespaces === true,
          ...(o.cascade !== undefined ? { cascade: o.cascade as string } : {}),
          ...(o.gracePeriod !== undefined ? { gracePeriod: o.gracePeriod as string } : {}),
          now: o.now === true,
          force: o.force === true,
          wait: o.wait !== false,
          ...(o.timeout !== undefined ? { timeout: o.timeout as string } : {}),
          ignoreNotFound: o.ignoreNotFound === true,
          ...(o.output !== undefined ? { output: o.output as string } : {}),
        }),
      ),
    );

  for (const [name, fn, what] of [
    ['label', label, 'labels'],
    ['annotate', annotate, 'annotations'],
  ] as const) {
    sub(name, `Update the ${what} on a resource`)
      .argument('[args...]', `TYPE NAME... KEY=VALUE... KEY-...`)
      .option('--overwrite', `allow changing ${what} that already have a value`)
      .option('-l, --selector <selector>', 'the objects matching this label selector')
      .option('--all', 'every object of the type in the namespace')
      .option('-A, --all-namespaces', 'with -l or --all: in every namespace')
      .option('--list', `list the current ${what}`)
      .option('-o, --output <format>', 'name: print only kind/name')
      .action(
        action(async (cmd, args: string[], o: Record<string, unknown>) => {
          const opts: LabelOptions = {
            overwrite: o.overwrite === true,
            all: o.all === true,
            allNamespaces: o.allNamespaces === true,
            list: o.list === true,
            ...(o.selector !== undefined ? { selector: o.selector as string } : {}),
            ...(o.output !== undefined ? { output: o.output as string } : {}),
          };
          return fn(context(cmd), args, opts);
        }),
      );
  }

  sub('scale', 'Set a new size for a deployment, replica set or stateful set')
    .argument('[args...]', 'TYPE NAME... or TYPE/NAME...')
    .option('--replicas <n>', 'the new number of replicas')
    .option('--current-replicas <n>', 'only if the current size is this')
    .option('-l, --selector <selector>', 'the objects matching this label selector')
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) =>
        scale(context(cmd), args, {
          ...(o.replicas !== undefined ? { replicas: o.replicas as string } : {}),
          ...(o.currentReplicas !== undefined ? { currentReplicas: o.currentReplicas as string } : {}),
          ...(o.selector !== undefined ? { selector: o.selector as string } : {}),
        }),
      ),
    );

  sub('expose', 'Expose a deployment, replica set, pod or service as a new Service')
    .argument('[args...]', 'TYPE NAME or TYPE/NAME')
    .option('--port <port>', 'the port the service serves on (default: the first container port)')
    .option('--target-port <port>', 'the port (number or name) on the pods (default: --port)')
    .option('--type <type>', 'ClusterIP, NodePort or LoadBalancer', 'ClusterIP')
    .option('--name <name>', 'the name of the service (default: the object\'s)')
    .option('--protocol <protocol>', 'TCP or UDP', 'TCP')
    .option('--node-port <port>', 'with --type=NodePort: the node port to use')
    .option('--selector <labels>', 'k=v,... instead of the object\'s selector')
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) => {
        const str = (k: string): Record<string, string> => (o[k] !== undefined ? { [k]: o[k] as string } : {});
        return expose(context(cmd), args, { ...str('port'), ...str('targetPort'), ...str('type'), ...str('name'), ...str('protocol'), ...str('selector'), ...str('nodePort') });
      }),
    );

  const set = sub('set', 'Set specific features on objects');
  set
    .command('image')
    .description('Update the image of containers of a pod template (deployment, replica set, ...) or pod')
    .argument('[args...]', 'TYPE NAME CONTAINER=IMAGE... (CONTAINER may be *)')
    .option('-l, --selector <selector>', 'the objects matching this label selector')
    .exitOverride()
    .action(action(async (cmd, args: string[], o: Record<string, unknown>) => setImage(context(cmd), args, o.selector !== undefined ? { selector: o.selector as string } : {})));

  sub('wait', 'Wait for a condition on one or many resources')
    .argument('[args...]', 'TYPE/NAME... or TYPE NAME... or TYPE with -l/--all')
    .option('--for <condition>', 'delete, condition=COND[=VALUE] or jsonpath=\'{JSONPATH}\'=VALUE')
    .option('--timeout <duration>', 'how long to wait (default 30s)')
    .option('-l, --selector <selector>', 'the objects matching this label selector')
    .option('--all', 'every object of the type in the namespace')
    .option('-A, --all-namespaces', 'with -l or --all: in every namespace')
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) =>
        wait(context(cmd), args, {
          ...(o.for !== undefined ? { for: o.for as string } : {}),
          ...(o.timeout !== undefined ? { timeout: o.timeout as string } : {}),
          ...(o.selector !== undefined ? { selector: o.selector as string } : {}),
          all: o.all === true,
          allNamespaces: o.allNamespaces === true,
        }),
      ),
    );

  const rollout = sub('rollout', 'Manage the rollout of a resource');
  rollout
    .command('status')
    .description('Show the status of the rollout (deployments, daemonsets, statefulsets)')
    .argument('[args...]', 'TYPE NAME or TYPE/NAME')
    .option('--timeout <duration>', 'how long to wait before giving up (default: no limit)')
    .option('-w, --watch', 'watch the rollout until it is done (default true)')
    .option('--no-watch', 'print the current status and exit')
    .exitOverride()
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) =>
        rolloutStatusCommand(context(cmd), args, { watch: o.watch !== false, ...(o.timeout !== undefined ? { timeout: o.timeout as string } : {}) }),
      ),
    );
  rollout
    .command('history')
    .description('View rollout history (deployments)')
    .argument('[args...]', 'TYPE NAME... or TYPE/NAME... (a TYPE alone: all of them)')
    .option('--revision <n>', 'the details, with the pod template, of this revision')
    .option('-l, --selector <selector>', 'the objects matching this label selector')
    .exitOverride()
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) =>
        rolloutHistory(context(cmd), args, { ...(o.revision !== undefined ? { revision: o.revision as string } : {}), ...(o.selector !== undefined ? { selector: o.selector as string } : {}) }),
      ),
    );
  rollout
    .command('undo')
    .description('Undo a previous rollout (deployments)')
    .argument('[args...]', 'TYPE NAME... or TYPE/NAME... (a TYPE alone: all of them)')
    .option('--to-revision <n>', 'the revision to roll back to (default 0: the previous one)')
    .option('-l, --selector <selector>', 'the objects matching this label selector')
    .exitOverride()
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) =>
        rolloutUndo(context(cmd), args, { ...(o.toRevision !== undefined ? { toRevision: o.toRevision as string } : {}), ...(o.selector !== undefined ? { selector: o.selector as string } : {}) }),
      ),
    );
  for (const [name, fn, description] of [
    ['restart', rolloutRestart, 'Restart a resource: a new rollout of every pod (deployments, daemonsets, statefulsets)'],
    ['pause', rolloutPause, 'Mark the provided resource as paused (deployments)'],
    ['resume', rolloutResume, 'Resume a paused resource (deployments)'],
  ] as const) {
    rollout
      .command(name)
      .description(description)
      .argument('[args...]', 'TYPE NAME... or TYPE/NAME... (a TYPE alone: all of them)')
      .option('-l, --selector <selector>', 'the objects matching this label selector')
      .exitOverride()
      .action(action(async (cmd, args: string[], o: Record<string, unknown>) => fn(context(cmd), args, o.selector !== undefined ? { selector: o.selector as string } : {})));
  }

  sub('logs', 'Print the logs for a container in a pod')
    .argument('[args...]', 'POD [CONTAINER] or pod/POD')
    .option('-c, --container <name>', 'the container (default: the pod\'s only one)')
    .option('-f, --follow', 'stream the log until the container exits (or Ctrl-C)')
    .option('-p, --previous', 'the log of the previous, terminated run of the container')
    .option('--tail <lines>', 'only the last N lines (-1: all)', '-1')
    .option('--timestamps', 'start each line with its time stamp')
    .option('--since <duration>', 'only lines younger than this (e.g. 5s, 2m)')
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) =>
        logs(context(cmd), args, {
          ...(o.container !== undefined ? { container: o.container as string } : {}),
          follow: o.follow === true,
          previous: o.previous === true,
          tail: o.tail as string,
          timestamps: o.timestamps === true,
          ...(o.since !== undefined ? { since: o.since as string } : {}),
        }),
      ),
    );

  sub('exec', 'Execute a command in a container')
    .usage('[-i] [-t] POD [-c CONTAINER] -- COMMAND [ARGS...]')
    .argument('[args...]', 'POD -- COMMAND [ARGS...]')
    .option('-c, --container <name>', 'the container (default: the pod\'s only one)')
    .option('-i, --stdin', 'pass stdin to the command')
    .option('-t, --tty', 'stdin is a TTY (raw mode)')
    .action(
      action(async (cmd, args: string[], o: Record<string, unknown>) =>
        exec(context(cmd), args, { ...(o.container !== undefined ? { container: o.container as string } : {}), stdin: o.stdin === true, tty: o.tty === true }),
      ),
    );

  const top = sub('top', 'Display resource (CPU/memory) usage');
  top
    .command('pod')
    .aliases(['pods', 'po'])
    .description('Display resource (CPU/memory) usage of pods')
    .argument('[name]')
    .option('-A, --all-namespaces', 'the pods of every namespace')
    .option('-l, --selector <selector>', 'label selector (e.g. app=web)')
    .option('--containers', 'a line per container')
    .option('--no-headers', 'print no column headers')
    .option('--sort-by <field>', 'cpu|memory')
    .exitOverride()
    .action(
      action(async (cmd, name: string | undefined, o: Record<string, unknown>) =>
        topPods(context(cmd), name === undefined ? [] : [name], {
          allNamespaces: o.allNamespaces === true,
          containers: o.containers === true,
          noHeaders: o.headers === false,
          ...(o.selector !== undefined ? { selector: o.selector as string } : {}),
          ...(o.sortBy !== undefined ? { sortBy: o.sortBy as string } : {}),
        }),
      ),
    );
  top
    .command('node')
    .aliases(['nodes', 'no'])
    .description('Display resource (CPU/memory) usage of nodes')
    .argument('[name]')
    .option('-l, --selector <selector>', 'label selector')
    .option('--no-headers', 'print no column headers')
    .option('--sort-by <field>', 'cpu|memory')
    .exitOverride()
    .action(
      action(async (cmd, name: string | undefined, o: Record<string, unknown>) =>
        topNodes(context(cmd), name === undefined ? [] : [name], {
          noHeaders: o.headers === false,
          ...(o.selector !== undefined ? { selector: o.selector as string } : {}),
          ...(o.sortBy !== undefined ? { sortBy: o.sortBy as string } : {}),
        }),
      ),
    );

  sub('api-resources', 'Print the supported API resources on the server')
    .option('-o, --output <format>', 'wide|name')
    .option('--no-headers', 'print no column headers')
    .option('--namespaced <bool>', 'only namespaced (true) or cluster-scoped (false) resources')
    .option('--api-group <group>', 'only the resources of this API group ("" for core)')
    .option('--sort-by <field>', 'name|kind')
    .action(
      action(async (cmd, o: Record<string, unknown>) =>
        apiResources(context(cmd), {
          noHeaders: o.headers === false,
          ...(o.output !== undefined ? { output: o.output as string } : {}),
          ...(o.namespaced !== undefined ? { namespaced: o.namespaced as string } : {}),
          ...(o.apiGroup !== undefined ? { apiGroup: o.apiGroup as string } : {}),
          ...(o.sortBy !== undefined ? { sortBy: o.sortBy as string } : {}),
        }),
      ),
    );

  sub('version', 'Print the client and server version information')
    .option('--client', 'the client version only (no server needed)')
    .option('-o, --output <format>', 'yaml|json')
    .action(action(async (cmd, o: Record<string, unknown>) => version(context(cmd), { client: o.client === true, ...(o.output !== undefined ? { output: o.output as string } : {}) })));

  const config = sub('config', 'Modify the mk config file (contexts: API servers and namespace)');
  const configSub = (name: string, description: string): Command => config.command(name).description(description).exitOverride();
  configSub('view', 'Display the config file')
    .option('--minify', 'only the current context')
    .option('-o, --output <format>', 'yaml|json')
    .action(action(async (cmd, o: Record<string, unknown>) => configView(context(cmd), { minify: o.minify === true, ...(o.output !== undefined ? { output: o.output as string } : {}) })));
  configSub('get-contexts', 'Describe one or many contexts')
    .argument('[names...]')
    .option('-o, --output <format>', 'name')
    .option('--no-headers', 'print no column headers')
    .action(
      action(async (cmd, names: string[], o: Record<string, unknown>) =>
        configGetContexts(context(cmd), names, { noHeaders: o.headers === false, ...(o.output !== undefined ? { output: o.output as string } : {}) }),
      ),
    );
  configSub('current-context', 'Display the current context').action(action(async (cmd) => configCurrentContext(context(cmd))));
  configSub('use-context', 'Set the current context')
    .alias('use')
    .argument('<name>')
    .action(action(async (cmd, name: string) => configUseContext(context(cmd), name)));
  configSub('set-context', 'Create or modify a context')
    .argument('[name]')
    .option('--current', 'modify the current context')
    .option('--servers <addresses>', 'API server addresses, host:port[,host:port...]')
    // --namespace / -n is the global flag: here it sets the context's default namespace.
    .action(
      action(async (cmd, name: string | undefined, o: Record<string, unknown>) => {
        const ns = (cmd.optsWithGlobals() as GlobalOptions).namespace;
        return configSetContext(context(cmd), name, {
          current: o.current === true,
          ...(o.servers !== undefined ? { servers: o.servers as string } : {}),
          ...(ns !== undefined ? { namespace: ns } : {}),
        });
      }),
    );
  configSub('delete-context', 'Delete a context from the config file')
    .argument('<name>')
    .action(action(async (cmd, name: string) => configDeleteContext(context(cmd), name)));

  try {
    await program.parseAsync(normalizeArgv(argv), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
  return exitCode;
}
