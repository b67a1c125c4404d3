#!/usr/bin/env node
// Launcher for the `fanout` CLI: registers tsx (resolved from this project, whatever the
// working directory) so the TypeScript CLI in bin/fanout.ts runs without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./fanout.ts');
