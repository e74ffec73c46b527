import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/**
 * Which source folders may import which. Every import in src/**\/*.ts (static `import … from`, `export … from`,
 * side-effect `import '…'`, dynamic and type-level `import('…')`) is resolved to a repository path and checked
 * against the rules below; each rule is its own test and fails listing every import that breaks it.
 */

interface Rule {
  /** What the rule says, for the test name. */
  readonly name: string;
  /** Importing files: repository paths starting with this prefix … */
  readonly from: string;
  /** … except those starting with this one. */
  readonly except?: string;
  /** Imported paths (prefixes) the importing files must not reach. */
  readonly forbidden: readonly string[];
}

const RULES: readonly Rule[] = Object.freeze([
  { name: 'quantization decides, export emits: nothing in src/quant imports src/export', from: 'src/quant/', forbidden: ['src/export/'] },
  { name: 'data is below eval: nothing in src/data imports src/eval', from: 'src/data/', forbidden: ['src/eval/'] },
  { name: 'the ONNX layer is below the checker: nothing in src/onnx imports src/check', from: 'src/onnx/', forbidden: ['src/check/'] },
  { name: 'the CLI is a leaf: nothing outside src/cli imports src/cli', from: 'src/', except: 'src/cli/', forbidden: ['src/cli/'] },
  { name: 'the library ships alone: nothing in src imports src/reference or test/', from: 'src/', forbidden: ['src/reference/', 'test/'] },
]);

interface Import {
  /** Repository path of the importing file, '/'-separated. */
  file: string;
  line: number;
  specifier: string;
  /** Repository path the relative specifier resolves to ('.js' read as the '.ts' source), '/'-separated. */
  target: string;
}

/** Static imports and re-exports: the clause holds only names, braces, commas, `*`, `as` and `type`. */
const STATIC = /^[ \t]*(?:import|export)\s+(?:type\s+)?[\w$\s{},*]*?\s*from\s*(['"])([^'"\n]+)\1/gm;
const SIDE_EFFECT = /^[ \t]*import\s*(['"])([^'"\n]+)\1/gm;
const DYNAMIC = /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g;

/** Line number (1-based) of character `index` in `text`. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Whether the line holding `index` is a comment line (`//`, `/*`, or a `*` continuation of a doc comment). */
function inCommentLine(text: string, index: number): boolean {
  const start = text.lastIndexOf('\n', index - 1) + 1;
  return /^\s*(?:\/\/|\/\*|\*)/.test(text.slice(start, index + 1));
}

/** Every module specifier `text` imports, with its line. */
export function importSpecifiers(text: string): Array<{ specifier: string; line: number }> {
  const found: Array<{ specifier: string; line: number; index: number }> = [];
  for (const re of [STATIC, SIDE_EFFECT, DYNAMIC]) {
    for (const m of text.matchAll(re)) {
      const index = m.index + m[0].length - 1;
      if (re === DYNAMIC && inCommentLine(text, m.index)) continue;
      found.push({ specifier: m[2]!, line: lineAt(text, index), index });
    }
  }
  return found.sort((a, b) => a.index - b.index).map(({ specifier, line }) => ({ specifier, line }));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

const toRepoPath = (path: string): string => relative(repoRoot, path).split(sep).join('/');

/** Relative imports of every .ts file under src/, resolved to repository paths. */
function srcImports(): Import[] {
  return sourceFiles(join(repoRoot, 'src')).flatMap((path) => {
    const text = readFileSync(path, 'utf8');
    return importSpecifiers(text)
      .filter(({ specifier }) => specifier.startsWith('./') || specifier.startsWith('../'))
      .map(({ specifier, line }) => ({
        file: toRepoPath(path),
        line,
        specifier,
        target: toRepoPath(resolve(dirname(path), specifier)).replace(/\.js$/, '.ts'),
      }));
  });
}

/** Each import that breaks `rule`, one line each. */
export function violations(rule: Rule, imports: readonly Import[]): string[] {
  return imports
    .filter((i) => i.file.startsWith(rule.from) && !(rule.except && i.file.startsWith(rule.except)))
    .filter((i) => rule.forbidden.some((f) => i.target.startsWith(f)))
    .map((i) => `${i.file}:${i.line} imports ${i.target} ('${i.specifier}')`);
}

test('the import scanner finds static, re-exported, side-effect, multi-line and dynamic imports, not comments', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b.js';",
    'import {',
    '  c,',
    '  d as e,',
    "} from './c.js';",
    "export { f } from './f.js';",
    "export * from './star.js';",
    "import * as g from 'node:fs';",
    "import './side-effect.js';",
    "const h = await import('./dynamic.js');",
    "type I = typeof import('./types.js');",
    "/** Mentions import('./not-an-import.js') in a doc comment. */",
    "// import { x } from './commented.js';",
    'export function from(x: string) { return x; }',
    "const s = 'import nothing from here';",
  ].join('\n');
  assert.deepEqual(importSpecifiers(text), [
    { specifier: './a.js', line: 1 },
    { specifier: '../b.js', line: 2 },
    { specifier: './c.js', line: 6 },
    { specifier: './f.js', line: 7 },
    { specifier: './star.js', line: 8 },
    { specifier: 'node:fs', line: 9 },
    { specifier: './side-effect.js', line: 10 },
    { specifier: './dynamic.js', line: 11 },
    { specifier: './types.js', line: 12 },
  ]);
});

test('a rule reports each import that breaks it, and only those', () => {
  const imports: Import[] = [
    { file: 'src/quant/a.ts', line: 3, specifier: '../export/b.js', target: 'src/export/b.ts' },
    { file: 'src/quant/a.ts', line: 4, specifier: '../onnx/c.js', target: 'src/onnx/c.ts' },
    { file: 'src/cli/main.ts', line: 1, specifier: './command.js', target: 'src/cli/command.ts' },
    { file: 'src/inspect/r.ts', line: 2, specifier: '../cli/t.js', target: 'src/cli/t.ts' },
  ];
  assert.deepEqual(violations(RULES[0]!, imports), ["src/quant/a.ts:3 imports src/export/b.ts ('../export/b.js')"]);
  assert.deepEqual(violations(RULES[3]!, imports), ["src/inspect/r.ts:2 imports src/cli/t.ts ('../cli/t.js')"]);
});

const imports = srcImports();

test('the scanner sees the source tree', () => {
  assert.ok(imports.length > 100, `only ${imports.length} relative imports found under ${join(repoRoot, 'src')}`);
  assert.ok(
    imports.some((i) => i.file === 'src/index.ts'),
    'src/index.ts was scanned',
  );
});

for (const rule of RULES) {
  test(rule.name, () => {
    const found = violations(rule, imports);
    assert.equal(found.length, 0, `${found.length} import(s) break the rule:\n  ${found.join('\n  ')}`);
  });
}
