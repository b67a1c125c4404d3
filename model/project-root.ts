/**
 * The project root, defined once: the CDK app, the CLI and the local runner all find
 * package-lock.json, pipeline.ts, lambdas/, schemas/, RUNBOOK.md and `.venv` from here.
 * It lives in the model because the CLI, the stack and the local runner all need it and
 * the model is what they all may import.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the project root (this file's parent folder's parent). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
