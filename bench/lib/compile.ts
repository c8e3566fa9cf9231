/**
 * Compiles the code the child processes run (src/, test/support/, bench/) to plain JavaScript,
 * so the app under test runs as `npm start` runs it, not under tsx: tsx's loader and transform
 * caches add about 60 MB of RSS, which would otherwise be counted against the bot.
 *
 * It is a transpile per file (no type check; `npm run typecheck` does that), written under
 * node_modules/.cache so that node resolves the packages exactly as it does for the sources.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SOURCE_DIRECTORIES = ['src', 'test/support', 'bench'];

function typeScriptFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Transpiles every source the children need; returns the directory mirroring the repository. */
export function compileForChildren(repoRoot: string): string {
  // One directory per run: node_modules may be shared by several checkouts, and a run that ends
  // removes its directory while another may still be starting children from its own.
  const outDir = path.join(repoRoot, 'node_modules', '.cache', `aop-status-bench-${process.pid}`);
  rmSync(outDir, { recursive: true, force: true });
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    // ES modules, as NodeNext gives for this "type": "module" package (a lone file cannot tell).
    module: ts.ModuleKind.ES2022,
    verbatimModuleSyntax: true,
    esModuleInterop: true,
  };
  for (const directory of SOURCE_DIRECTORIES) {
    for (const file of typeScriptFiles(path.join(repoRoot, directory))) {
      const output = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file });
      const target = path.join(outDir, path.relative(repoRoot, file)).replace(/\.ts$/, '.js');
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, output.outputText);
    }
  }
  // The repository is "type": "module"; the cache directory has no package.json of its own.
  writeFileSync(path.join(outDir, 'package.json'), '{ "type": "module" }\n');
  return outDir;
}
