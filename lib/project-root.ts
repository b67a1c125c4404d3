/**
 * The project root, defined once: the CDK app, the CLI and the local runner all find
 * package-lock.json, lambdas/, schemas/, RUNBOOK.md and `.venv` from here. It lives in
 * lib/ because the CLI and the stack need it and nothing may import local/ (the local
 * runner sits at the edge and imports it from here too).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the project root (this file's parent folder's parent). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
