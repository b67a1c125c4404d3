#!/usr/bin/env node
// Launcher for the `fanout` CLI: registers tsx (resolved from this project, whatever the
// working directory) so the TypeScript CLI in bin/fanout.ts runs without a build step.
import { register } from 'tsx/esm/api';

// The SDK warns on every command that Node 20 will stop getting SDK updates in 2027;
// README says so once. Set the variable to "false" to see the warning again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('./fanout.ts');
