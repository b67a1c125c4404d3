/**
 * Vitest global set-up of the chaos suite: synthesizes the app once (reused when nothing
 * it is built from changed) for every fault's world, keeps its rows apart from any other run's, and at
 * the end prints the table of faults and writes it to .fanout/chaos/results.md.
 */
import { writeFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../../local/emulator';
import { synthesize } from '../../../local/synth';
import { LOCAL_ACCOUNT_ID } from '../../../local/start';
import { PIPELINE } from './world';
import { clearRows, readRows, renderTable, TABLE_FILE } from './results';

const REGION = 'us-east-1';

/** This run's id: its rows file is its own. */
const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;

export async function setup(project: TestProject): Promise<void> {
  clearRows(RUN_ID);
  project.provide('chaosRunId', RUN_ID);
  const synthesized = await synthesize({ projectRoot: PROJECT_ROOT, stackName: PIPELINE.name, accountId: LOCAL_ACCOUNT_ID, region: REGION });
  project.provide('chaosAssemblyDir', synthesized.assemblyDir);
  project.provide('chaosRegion', synthesized.region);
  project.provide('chaosAccountId', synthesized.accountId);
}

export async function teardown(): Promise<void> {
  const rows = readRows(RUN_ID);
  clearRows(RUN_ID);
  if (rows.length === 0) return;
  // In the order of the faults' numbers (4a before 4b before 10), whatever order the files ran in.
  const rank = (row: { fault: string }) => parseInt(row.fault, 10);
  const table = renderTable([...rows].sort((a, b) => rank(a) - rank(b) || a.fault.localeCompare(b.fault)));
  writeFileSync(TABLE_FILE, `${table}\n`);
  process.stdout.write(`\nChaos suite: every fault, events in and effects out (${TABLE_FILE})\n\n${table}\n\n`);
}

declare module 'vitest' {
  export interface ProvidedContext {
    chaosAssemblyDir: string;
    chaosRegion: string;
    chaosAccountId: string;
    chaosRunId: string;
  }
}
