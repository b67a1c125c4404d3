/**
 * The `fanout contracts` command group. Every contracts sub-command (compat, check,
 * register) adds itself to the one group this returns, whichever registers first.
 */
import type { Command } from 'commander';

/** The `contracts` command of the program, created on first use. */
export function contractsCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'contracts') ?? program.command('contracts').description('Check, compare and register event contracts');
}
