/**
 * Expands a shard pattern the way WebDataset does (it uses Python's `braceexpand`): `{000..099}` is a
 * numeric range (zero-padded to the wider end when either end is written with leading zeros), `{0..10..2}`
 * a range with a step, `{a..e}` a letter range, `{a,b,c}` alternatives; groups may nest and repeat
 * (`s3://x/{train,val}-{0..3}.tar` gives 8 names, group by group from the left). `\{` is a literal brace.
 *
 * @example
 * expandBraces('shards-{000..002}.tar'); // ['shards-000.tar', 'shards-001.tar', 'shards-002.tar']
 * expandBraces('{a,b}-{1..2}');           // ['a-1', 'a-2', 'b-1', 'b-2']
 */
export function expandBraces(pattern: string): string[] {
  const group = findGroup(pattern);
  if (!group) return [unescape(pattern)];
  const head = pattern.slice(0, group.start);
  const body = pattern.slice(group.start + 1, group.end);
  const tail = pattern.slice(group.end + 1);
  const options = rangeOf(body) ?? splitTop(body).flatMap((option) => expandBraces(option));
  const tails = expandBraces(tail);
  const heads = expandBraces(head);
  return heads.flatMap((h) => options.flatMap((o) => tails.map((t) => h + o + t)));
}

function unescape(text: string): string {
  return text.replace(/\\([{},\\])/g, '$1');
}

/** The first top-level `{...}` that is a range or holds a top-level comma (`{x}` alone stays literal, as in bash). */
function findGroup(text: string): { start: number; end: number } | undefined {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] !== '{') continue;
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      if (text[j] === '\\') {
        j++;
        continue;
      }
      if (text[j] === '{') depth++;
      else if (text[j] === '}' && --depth === 0) {
        const body = text.slice(i + 1, j);
        if (rangeOf(body) || splitTop(body).length > 1) return { start: i, end: j };
        break;
      }
    }
  }
  return undefined;
}

/** Splits on commas outside nested braces. */
function splitTop(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(body.slice(from));
  return parts;
}

function rangeOf(body: string): string[] | undefined {
  const numeric = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(body);
  if (numeric) {
    const [, a, b, s] = numeric;
    const from = Number(a);
    const to = Number(b);
    const step = Math.abs(Number(s ?? 1)) || 1;
    const padded = /^-?0\d/.test(a) || /^-?0\d/.test(b);
    const width = padded ? Math.max(a.replace('-', '').length, b.replace('-', '').length) : 0;
    const out: string[] = [];
    for (let v = from; from <= to ? v <= to : v >= to; v += from <= to ? step : -step) {
      const digits = String(Math.abs(v)).padStart(width, '0');
      out.push(v < 0 ? `-${digits}` : digits);
    }
    return out;
  }
  const letters = /^([a-zA-Z])\.\.([a-zA-Z])(?:\.\.(-?\d+))?$/.exec(body);
  if (letters) {
    const from = letters[1].charCodeAt(0);
    const to = letters[2].charCodeAt(0);
    const step = Math.abs(Number(letters[3] ?? 1)) || 1;
    const out: string[] = [];
    for (let v = from; from <= to ? v <= to : v >= to; v += from <= to ? step : -step) out.push(String.fromCharCode(v));
    return out;
  }
  return undefined;
}
