import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { MediaError } from '../errors.js';

export interface ProcessResult {
  stdout: Buffer;
  /** Bytes written to file descriptor 3 (`pipe:3`), when `secondOutput` was asked for. */
  fd3: Buffer;
  stderr: string;
  exitCode: number | null;
}

/** Default time limit for one ffmpeg/ffprobe run. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The media processes started on behalf of one loader task. The loader's worker runs each task inside
 * `processScope.run(scope, ...)`; every ffmpeg/ffprobe that task spawns is added to `scope.children`, so a
 * task that outlives its time limit can have its processes killed and reaped (`killScope`) instead of
 * leaving them running, then as zombies, once the worker thread is gone (a terminated thread's event loop
 * no longer waitpid()s its children).
 */
export interface ProcessScope {
  readonly children: Set<ChildProcess>;
  /** Called with each new child's pid (the worker reports pids to the pool, its fallback if the thread hangs). */
  onSpawn?: (pid: number) => void;
  /** Set by `killScope`: the task was given up, so it starts no further process. */
  cancelled?: boolean;
}

export const processScope = new AsyncLocalStorage<ProcessScope>();

/** Every media process of this thread that has not exited yet. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
/** Set by `killAllMediaProcesses` (a worker shutting down): no process may start after it. */
let stopped = false;

/**
 * SIGKILLs the process group of `pid` (media tools are spawned `detached`: each leads its own group, so
 * anything it forked dies with it), falling back to the process alone.
 */
export function killProcessGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Resolves once `child` has exited; Node's 'exit' event comes after libuv reaped it (waitpid), so no zombie is left. */
function reaped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Kills every process of `scope` and resolves when all of them have been reaped; the scope starts no more. */
export async function killScope(scope: ProcessScope): Promise<void> {
  scope.cancelled = true;
  const children = [...scope.children];
  for (const child of children) if (child.pid !== undefined) killProcessGroup(child.pid);
  await Promise.all(children.map(reaped));
}

/**
 * Kills every media process this thread started and waits for them to be reaped, and refuses to start any
 * more (a worker shutting down: a task between two ffmpeg runs must not start one its thread can no longer reap).
 */
export async function killAllMediaProcesses(): Promise<void> {
  stopped = true;
  await killScope({ children: live });
}

/**
 * Runs a media tool to completion, collecting stdout (and optionally fd 3) as bytes. Never hangs: the process
 * group is SIGKILLed after `timeoutMs`. A missing executable is reported as `ffmpeg-not-found`. With `onStdout`,
 * stdout chunks go to it as they arrive instead of being collected (frames streamed to an encoder).
 */
export function runMediaTool(
  executable: string,
  args: string[],
  path: string,
  timeoutMs: number = DEFAULT_TIMEOUT_MS,
  secondOutput = false,
  onStdout?: (chunk: Buffer) => void,
): Promise<ProcessResult> {
  const scope = processScope.getStore();
  if (stopped || scope?.cancelled) return Promise.reject(new MediaError('timeout', `${executable} not started for ${path}: the task was given up`, path));
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: secondOutput ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid !== undefined) {
      live.add(child);
      scope?.children.add(child);
      scope?.onSpawn?.(child.pid);
      child.once('exit', () => {
        live.delete(child);
        scope?.children.delete(child);
      });
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        // A thread or process that exits while ffmpeg runs: the processes are in their own groups (no terminal
        // signal reaches them), so kill them here; 'exit' handlers run synchronously, hence the plain loop.
        process.once('exit', () => {
          for (const c of live) if (c.pid !== undefined) killProcessGroup(c.pid);
        });
      }
    }
    const chunks: Buffer[] = [];
    const chunks3: Buffer[] = [];
    if (secondOutput) (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => chunks3.push(c));
    let stderr = '';
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      if (child.pid !== undefined) killProcessGroup(child.pid);
      finish(() => reject(new MediaError('timeout', `${executable} did not finish decoding ${path} within ${timeoutMs} ms`, path)));
    }, timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      if (onStdout) {
        try {
          onStdout(c);
        } catch (error) {
          if (child.pid !== undefined) killProcessGroup(child.pid);
          finish(() => reject(error));
        }
      } else chunks.push(c);
    });
    child.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < 64_000) stderr += c.toString();
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      finish(() =>
        reject(
          err.code === 'ENOENT'
            ? new MediaError(
                'ffmpeg-not-found',
                `${executable} is not installed or not on PATH (needed to decode ${path}); ` +
                  'install it with `apt-get install ffmpeg` (or set VATT_FFMPEG / VATT_FFPROBE)',
                path,
              )
            : new MediaError('decode-failed', `could not run ${executable} on ${path}: ${err.message}`, path),
        ),
      );
    });
    child.on('close', (exitCode) => {
      finish(() => resolve({ stdout: Buffer.concat(chunks), fd3: Buffer.concat(chunks3), stderr, exitCode }));
    });
  });
}
