import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DatasetFormatError } from '../errors.js';
import type { MediaPathFn } from './sample.js';

/** One parsed CSV row with the 1-based line it ends on. */
export interface CsvRow {
  record: Record<string, string>;
  line: number;
}

export async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new DatasetFormatError(file, undefined, `cannot read annotation file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export interface CsvOptions {
  /** Column names when the file has no header row (or a commented one, as AudioSet). */
  columns?: string[];
  /** Columns that must be present and non-empty in every row. */
  required: string[];
  /** Lines starting with this are skipped. */
  comment?: string;
  delimiter?: string;
}

/** Parses a CSV file with csv-parse; any layout problem becomes a DatasetFormatError with file and line. */
export async function readCsv(file: string, options: CsvOptions): Promise<CsvRow[]> {
  const text = await readText(file);
  let parsed: { record: Record<string, string>; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      columns: options.columns ?? true,
      comment: options.comment,
      delimiter: options.delimiter ?? ',',
      trim: true,
      skip_empty_lines: true,
      bom: true,
      info: true,
    });
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new DatasetFormatError(file, err.lines, err.message);
  }
  if (parsed.length > 0) {
    const missing = options.required.filter((c) => !(c in parsed[0].record));
    if (missing.length > 0) {
      throw new DatasetFormatError(file, 1, `missing column(s) ${missing.join(', ')}; found ${Object.keys(parsed[0].record).join(', ')}`);
    }
  }
  return parsed.map(({ record, info }) => {
    for (const c of options.required) {
      if (!record[c]) throw new DatasetFormatError(file, info.lines, `empty value in column "${c}"`);
    }
    return { record, line: info.lines };
  });
}

/** Parses a number; throws a DatasetFormatError naming file, line and field otherwise. */
export function parseNumber(value: unknown, file: string, line: number | undefined, field: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new DatasetFormatError(file, line, `expected a number in "${field}", got ${JSON.stringify(value)}`);
  return n;
}

/** Checks a time span in seconds: finite, start >= 0, end > start. */
export function parseTimeSpan(
  start: unknown,
  end: unknown,
  file: string,
  line: number | undefined,
  names: [string, string] = ['start', 'end'],
): [number, number] {
  const s = parseNumber(start, file, line, names[0]);
  const e = parseNumber(end, file, line, names[1]);
  if (s < 0 || e <= s) throw new DatasetFormatError(file, line, `bad time span: ${names[0]}=${s}, ${names[1]}=${e} (expected 0 <= ${names[0]} < ${names[1]})`);
  return [s, e];
}

/** 1-based line of the first match of `needle` at or after `from` in `text` (for errors in JSON files). */
export function lineOf(text: string, needle: string | RegExp, from = 0): number | undefined {
  let at: number;
  if (typeof needle === 'string') at = text.indexOf(needle, from);
  else {
    const re = new RegExp(needle.source, needle.flags.includes('g') ? needle.flags : `${needle.flags}g`);
    re.lastIndex = from;
    at = re.exec(text)?.index ?? -1;
  }
  if (at < 0) return undefined;
  let line = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Parses JSON; a syntax error becomes a DatasetFormatError with the line of the error. */
export async function readJson(file: string): Promise<{ text: string; value: unknown }> {
  const text = await readText(file);
  try {
    return { text, value: JSON.parse(text) };
  } catch (e) {
    const position = /position (\d+)/.exec((e as Error).message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : undefined;
    throw new DatasetFormatError(file, line, `invalid JSON: ${(e as Error).message}`);
  }
}

/**
 * `rel` (a media path an index file names) resolved inside `root`; a name that would lead outside it (`..`, an
 * absolute path) is a DatasetFormatError naming the index file and line. Symbolic links in the dataset folder
 * are followed as laid out (media is often linked in from another disk).
 */
export function inside(root: string, rel: string, file: string, line: number | undefined): string {
  const up = relative(resolve(root), resolve(root, rel));
  if (isAbsolute(rel) || up === '' || up === '..' || up.startsWith(`..${sep}`) || isAbsolute(up)) {
    throw new DatasetFormatError(file, line, `names the media file ${JSON.stringify(rel)}, which leads outside the dataset folder ${root}`);
  }
  return join(root, rel);
}

/** The default media path rule: `<root>/<id><extension>` kept inside `root`, or the caller's function. */
export function mediaPath(root: string, extension: string, custom?: MediaPathFn): (id: string, file: string, line?: number) => string {
  return (id, file, line) => (custom ? custom(id) : inside(root, `${id}${extension}`, file, line));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Streams the members of a top-level JSON object (`{ "<key>": value, ... }`) without holding the
 * whole file as one string (HowTo100M's caption.json is larger than V8's string limit). Each
 * member is parsed on its own and comes with the 1-based line where it starts.
 */
export async function* jsonObjectMembers(file: string): AsyncGenerator<{ key: string; value: unknown; line: number }> {
  let stream: AsyncIterable<string>;
  try {
    stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  } catch (e) {
    throw new DatasetFormatError(file, undefined, `cannot read annotation file (${(e as Error).message})`);
  }
  let depth = 0;
  let inString = false;
  let escaped = false;
  let line = 1;
  let started = false;
  let member = '';
  let memberLine = 0;
  const parseMember = (text: string) => {
    if (text.trim() === '') return undefined;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(`{${text}}`);
    } catch (e) {
      throw new DatasetFormatError(file, memberLine, `invalid JSON: ${(e as Error).message}`);
    }
    const [key] = Object.keys(parsed);
    return { key, value: parsed[key], line: memberLine };
  };
  try {
    for await (const chunk of stream) {
      let from = 0;
      const pending: { key: string; value: unknown; line: number }[] = [];
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk.charCodeAt(i);
        if (c === 10) line++;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
          continue;
        }
        if (c === 32 || c === 9 || c === 10 || c === 13) continue;
        if (depth === 1 && memberLine === 0 && c !== 44 && c !== 125) memberLine = line;
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) {
          if (depth === 0) {
            if (c !== 123 || started) throw new DatasetFormatError(file, line, 'expected one top-level JSON object');
            started = true;
            from = i + 1;
          }
          depth++;
        } else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            const last = parseMember(member + chunk.slice(from, i));
            if (last) pending.push(last);
            member = '';
            from = chunk.length;
          }
        } else if (c === 44 && depth === 1) {
          const done = parseMember(member + chunk.slice(from, i));
          if (done) pending.push(done);
          member = '';
          memberLine = 0;
          from = i + 1;
        } else if (depth === 0) {
          throw new DatasetFormatError(file, line, 'expected one top-level JSON object');
        }
      }
      if (depth >= 1) member += chunk.slice(from);
      for (const p of pending) yield p;
    }
  } catch (e) {
    if (e instanceof DatasetFormatError) throw e;
    throw new DatasetFormatError(file, undefined, `cannot read annotation file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!started || depth !== 0) throw new DatasetFormatError(file, line, 'truncated JSON: the top-level object is not closed');
}
