import { InputError } from '../errors.js';

/**
 * The YAML that `run.yaml` needs, and no more: a mapping of keys to scalars, inline lists (`[a, b]`) or block
 * lists (`- a` lines), one level of nested mappings (two-space indent), `#` comments. Scalars: numbers, true/false,
 * null/~, quoted or bare strings. A JSON object is accepted as well. Anything else is an InputError naming the line,
 * so a config never half-parses. (No YAML package is a dependency of yoloq; this keeps it so.)
 */

export type YamlScalar = string | number | boolean | null;
export type YamlValue = YamlScalar | YamlScalar[] | { [key: string]: YamlValue };

function scalar(raw: string, where: string): YamlScalar {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  if (s.startsWith('"') && s.endsWith('"') && s.length >= 2) {
    try {
      return JSON.parse(s) as string;
    } catch {
      throw new InputError(`${where}: bad quoted string ${s}`);
    }
  }
  if (s.startsWith("'") && s.endsWith("'") && s.length >= 2) return s.slice(1, -1).replace(/''/g, "'");
  if (/^[[{&*!|>%@`]/.test(s)) throw new InputError(`${where}: unsupported YAML value ${s}`);
  return s;
}

function value(raw: string, where: string): YamlValue {
  const s = raw.trim();
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new InputError(`${where}: unterminated list ${s}`);
    const inner = s.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((x) => scalar(x, where));
  }
  return scalar(s, where);
}

/** Strip a trailing comment that is not inside quotes. */
function uncomment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return line.slice(0, i);
    }
  }
  return line;
}

export function parseYamlLite(text: string, source: string): Record<string, YamlValue> {
  if (text.trim().startsWith('{')) {
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, YamlValue>;
    } catch (e) {
      throw new InputError(`${source}: not valid JSON (${(e as Error).message})`);
    }
  }
  const root: Record<string, YamlValue> = {};
  let top: { key: string; childIndent?: number } | undefined;
  let listTarget: { map: Record<string, YamlValue>; key: string; indent: number } | undefined;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const where = `${source}:${i + 1}`;
    const line = uncomment(raw).replace(/\s+$/, '');
    if (line.trim() === '' || line.trim() === '---') continue;
    const indent = line.length - line.trimStart().length;
    if (line.slice(0, indent).includes('\t')) throw new InputError(`${where}: tabs are not allowed for indentation`);
    const body = line.trim();
    if (body === '-' || body.startsWith('- ')) {
      if (!listTarget || indent < listTarget.indent) throw new InputError(`${where}: list item without a key above it`);
      const cur = listTarget.map[listTarget.key];
      if (cur !== null && !Array.isArray(cur)) throw new InputError(`${where}: list item under a key that already holds a mapping`);
      listTarget.map[listTarget.key] = [...(cur ?? []), scalar(body.slice(1), where)];
      continue;
    }
    const m = /^([A-Za-z_][\w.-]*)\s*:(?:\s+(.*))?$/.exec(body);
    if (!m) throw new InputError(`${where}: expected "key: value", got ${JSON.stringify(body)}`);
    const key = m[1]!;
    const rest = (m[2] ?? '').trim();
    let parent = root;
    if (indent === 0) {
      top = { key };
    } else {
      if (!top || (top.childIndent !== undefined && top.childIndent !== indent))
        throw new InputError(`${where}: unexpected indentation (one level of nesting is supported)`);
      top.childIndent = indent;
      const cur = root[top.key];
      if (cur === null) root[top.key] = {};
      else if (typeof cur !== 'object' || Array.isArray(cur)) throw new InputError(`${where}: ${top.key} already has a value`);
      parent = root[top.key] as Record<string, YamlValue>;
    }
    if (Object.hasOwn(parent, key)) throw new InputError(`${where}: ${key} appears twice`);
    parent[key] = rest === '' ? null : value(rest, where);
    listTarget = rest === '' ? { map: parent, key, indent } : undefined;
  }
  return root;
}
