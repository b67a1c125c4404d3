/**
 * Where the tests find a Chrome or Chromium to drive with playwright-core: CHROME_PATH,
 * then Debian's and others' usual paths, then macOS's. None found is a failure that says
 * how to install one, never a skipped test: a report nobody rendered is not checked.
 */
import { existsSync } from 'node:fs';

/** The places looked at after CHROME_PATH, in order. */
export const CHROME_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
] as const;

/**
 * The browser executable to launch.
 * @throws Error naming what was tried and how to install one
 */
export function findChrome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CHROME_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new Error(`CHROME_PATH=${fromEnv}: no such file. Point it at a Chrome or Chromium executable, or unset it to use ${CHROME_CANDIDATES.join(', ')}`);
  }
  const found = CHROME_CANDIDATES.find((path) => existsSync(path));
  if (found) return found;
  throw new Error(
    `no Chrome or Chromium found (looked at CHROME_PATH, ${CHROME_CANDIDATES.join(', ')}). ` +
      'Install one: `apt-get install -y --no-install-recommends chromium` on Debian/Ubuntu (as root; `apt-get update` first on a fresh machine), ' +
      'or Google Chrome on macOS; or set CHROME_PATH to any Chrome/Chromium executable.',
  );
}
