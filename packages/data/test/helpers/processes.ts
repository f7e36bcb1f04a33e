// What this process's children are, from /proc (Linux): the timeout tests check that no ffmpeg / ffprobe is
// left running or as a zombie (state Z: exited but never reaped).
import { readdirSync, readFileSync } from 'node:fs';

export interface ChildInfo {
  pid: number;
  comm: string;
  state: string;
}

/** Children of `parent` (default: this process) whose command name matches `name`. */
export function childProcesses(name: RegExp, parent = process.pid): ChildInfo[] {
  const out: ChildInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid ...; comm may hold spaces or parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const [state, ppid] = stat
      .slice(close + 2)
      .split(' ')
      .slice(0, 2);
    if (Number(ppid) === parent && name.test(comm)) out.push({ pid: Number(entry), comm, state });
  }
  return out;
}
