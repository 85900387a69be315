import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { sourceFiles } from '../helpers/imports';

const ENGINE = join(__dirname, '..', '..', 'src', 'engine');
const ALLOWED_PACKAGES = new Set(['yaml', 'ajv']);
const GENERATES_CODE = new Set(['path.ts', 'emit.ts']);
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

const FORBIDDEN_CODE: [RegExp, string][] = [
  [/\bprocess\./, 'reads the process (env, argv, clock)'],
  [/\bDate\.now\s*\(/, 'reads the clock'],
  [/new Date\(\s*\)/, 'reads the clock'],
  [/\bperformance\.now\s*\(/, 'reads the clock'],
  [/\bMath\.random\s*\(/, 'is not deterministic'],
  [/\brequire\s*\(/, 'loads modules at run time'],
  [/\bimport\s*\(/, 'loads modules at run time'],
  [/\beval\s*\(/, 'evaluates text as code'],
  [/\b(setTimeout|setInterval|setImmediate|fetch)\s*\(/, 'schedules or does I/O'],
];

describe('the engine stays pure', () => {
  const files = sourceFiles(ENGINE);

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files.map((f) => [relative(ENGINE, f), f]))('%s imports only the engine, yaml and ajv, and touches no clock, env or I/O', (_, file) => {
    const text = readFileSync(file, 'utf8');
    const imports = [...text.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
    for (const spec of imports) {
      if (spec.startsWith('.')) continue;
      expect({ file: relative(ENGINE, file), spec, builtin: NODE_BUILTINS.has(spec) }).toEqual({ file: relative(ENGINE, file), spec, builtin: false });
      expect(ALLOWED_PACKAGES).toContain(spec.split('/')[0]);
    }
    // Only two files may generate code, once at compile time: path.ts (getters from validated,
    // JSON-escaped segment names) and emit.ts (one function per output, where user text enters
    // only as JSON.stringify literals and every other value is passed in as a constant).
    if (!GENERATES_CODE.has(relative(ENGINE, file))) expect(text.match(/new Function\s*\(/)?.[0] ?? null).toBeNull();
    for (const [pattern, why] of FORBIDDEN_CODE) {
      const hit = text.match(pattern);
      expect(hit ? `${relative(ENGINE, file)}: "${hit[0]}" ${why}` : null).toBeNull();
    }
  });

  it('relative imports never leave src/engine', () => {
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(/\bfrom\s+['"](\.[^'"]*)['"]/g)) {
        const target = relative(ENGINE, join(file, '..', spec));
        expect(target.startsWith('..') ? `${relative(ENGINE, file)} imports ${spec}` : 'inside').toBe('inside');
      }
    }
  });
});
