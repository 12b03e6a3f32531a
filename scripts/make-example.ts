/**
 * Regenerate the bundled example: `npm run example` (or
 * `node dist/scripts/make-example.js [DIR]`, DIR defaulting to examples/).
 * The output is byte-identical for the same seed and ASN data.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXAMPLE_LABELS, EXAMPLE_LOG, writeExample } from './example.js';

const dir = resolve(process.argv[2] ?? 'examples');
mkdirSync(dir, { recursive: true });
const { traffic, population } = await writeExample(dir);
const classes = Object.entries(traffic.byClass)
  .filter(([, n]) => n > 0)
  .map(([name, n]) => `${name} ${n}`)
  .join(', ');
process.stdout.write(
  `wrote ${resolve(dir, EXAMPLE_LOG)} (${traffic.records} exchanges: ${classes})\n` +
    `wrote ${resolve(dir, EXAMPLE_LABELS)} (${population.popular.length} benign and ${population.flux.length} flux names queried)\n`,
);
