/**
 * Installs the pinned local emulator (moto server) into .venv. Idempotent: does
 * nothing when the right version is already there. `.ci/run` calls it so a clean
 * clone has everything `npm test` needs.
 */
import { ensureEmulatorInstalled, MOTO_VERSION } from './emulator';

try {
  ensureEmulatorInstalled((line) => console.log(line));
  console.log(`moto[server]==${MOTO_VERSION} ready in .venv`);
} catch (error) {
  console.error(`fanout: ${(error as Error).message}`);
  process.exit(1);
}
