/**
 * The `fanout` CLI: contracts, publishing, DLQs, redrive, replay, status, cost, the
 * runbook and the scaffolds. Each command lives in cli/ and registers itself on the program here.
 */
import { Command } from 'commander';
import { registerCommands } from '../cli/commands';

const program = new Command()
  .name('fanout')
  .description('Operate a Fanout pipeline: contracts, publishing, dead-letter queues, redrive, replay, status, cost and the runbook; scaffold event types and consumers into pipeline.ts.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride((error) => {
    // commander exits 1 on usage errors; Fanout reserves 1 for "checked and found bad",
    // so usage errors exit 2 like other unreadable input.
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`fanout: ${(error as Error).message}`);
  process.exit(2);
}
