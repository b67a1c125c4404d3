/**
 * Every CLI command, registered on one commander program. A command module exports a
 * `register(program)` function and sets `process.exitCode` rather than calling exit,
 * so output is flushed and tests can call the same functions.
 */
import type { Command } from 'commander';
import { register as registerPublish } from './publish';
import { register as registerRoute } from './route';
import { register as registerContractsRegister } from './contracts-register';
import { register as registerContractsCompat } from './contracts-compat';
import { register as registerContractsCheck } from './contracts-check';
import { register as registerDlq } from './dlq';
import { register as registerRedrive } from './redrive';
import { register as registerReplay } from './replay';
import { register as registerStatus } from './status';
import { register as registerCost } from './cost';
import { register as registerRunbook } from './runbook';
import { register as registerAsyncApi } from './asyncapi';
import { register as registerNew } from './new';

/** A module that adds one command (or sub-command group) to the program. */
export type CommandRegistrar = (program: Command) => void;

const registrars: CommandRegistrar[] = [registerPublish, registerRoute, registerContractsRegister, registerContractsCompat, registerContractsCheck, registerDlq, registerRedrive, registerReplay, registerStatus, registerCost, registerRunbook, registerAsyncApi, registerNew];

/** Adds every command to the program. */
export function registerCommands(program: Command): void {
  for (const register of registrars) register(program);
}
