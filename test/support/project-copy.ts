/**
 * A throw-away copy of the project, for tests that change what a team changes (the
 * pipeline file, contracts, consumers) and then build or run it as a team would: the
 * files git tracks (or would track: new files not yet committed count), with
 * node_modules and the emulator's .venv linked, not copied.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { PROJECT_ROOT } from '../../model/project-root';

/** A copy of the project; `remove()` deletes it. */
export interface ProjectCopy {
  readonly root: string;
  /** Rewrites a file of the copy: `edit(text)` returns the new text and must change it. */
  edit(path: string, edit: (text: string) => string): void;
  remove(): void;
}

/** What git tracks or would track; every file but the generated and installed ones where the project is no git checkout. */
function projectFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter(Boolean);
  } catch {
    const skipped = new Set(['node_modules', '.venv', 'cdk.out', '.fanout', '.git']);
    return (readdirSync(PROJECT_ROOT, { recursive: true, withFileTypes: true }) as Dirent[])
      .filter((entry) => entry.isFile())
      .map((entry) => relative(PROJECT_ROOT, join(entry.parentPath, entry.name)))
      .filter((file) => !skipped.has(file.split(sep)[0]!));
  }
}

/** Copies the project into a new temporary directory. */
export function copyProject(): ProjectCopy {
  const root = mkdtempSync(join(tmpdir(), 'fanout-project-'));
  const files = projectFiles().filter((file) => existsSync(join(PROJECT_ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    cpSync(join(PROJECT_ROOT, file), join(root, file));
  }
  for (const linked of ['node_modules', '.venv']) {
    if (existsSync(join(PROJECT_ROOT, linked))) symlinkSync(join(PROJECT_ROOT, linked), join(root, linked), 'dir');
  }
  return {
    root,
    edit(path, edit) {
      const before = readFileSync(join(root, path), 'utf8');
      const after = edit(before);
      if (after === before) throw new Error(`the edit of ${path} changed nothing`);
      writeFileSync(join(root, path), after);
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
