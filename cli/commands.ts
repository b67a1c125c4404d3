/**
 * Every CLI command, registered on one commander program. A command module exports a
 * `register(program)` function and sets `process.exitCode` rather than calling exit,
 * so output is flushed and tests can call the same functions.
 */
import type { Command } from 'commander';

/** A module that adds one command (or sub-command group) to the program. */
export type CommandRegistrar = (program: Command) => void;

const registrars: CommandRegistrar[] = [];

/** Adds every command to the program. */
export function registerCommands(program: Command): void {
  for (const register of registrars) register(program);
}
