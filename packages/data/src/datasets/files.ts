import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** 1-based line of the first occurrence of `needle` in `text` (for errors in JSON files). */
export function lineOf(text: string, needle: string, from = 0): number | undefined {
  const at = text.indexOf(needle, from);
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

/** The default media path rule: `<root>/<id><extension>`, or the caller's function. */
export function mediaPath(root: string, extension: string, custom?: MediaPathFn): MediaPathFn {
  return custom ?? ((id) => join(root, `${id}${extension}`));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
