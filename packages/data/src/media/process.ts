import { spawn } from 'node:child_process';
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
 * Runs a media tool to completion, collecting stdout (and optionally fd 3) as bytes. Never hangs: the process is
 * SIGKILLed after `timeoutMs`. A missing executable is reported as `ffmpeg-not-found`.
 */
export function runMediaTool(
  executable: string,
  args: string[],
  path: string,
  timeoutMs: number = DEFAULT_TIMEOUT_MS,
  secondOutput = false,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: secondOutput ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'] });
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
      child.kill('SIGKILL');
      finish(() => reject(new MediaError('timeout', `${executable} did not finish decoding ${path} within ${timeoutMs} ms`, path)));
    }, timeoutMs);
    child.stdout!.on('data', (c: Buffer) => chunks.push(c));
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
