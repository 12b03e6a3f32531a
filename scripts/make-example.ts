/**
 * Regenerate the bundled example: `npm run example` (or
 * `node dist/scripts/make-example.js [DIR]`, DIR defaulting to examples/).
 * The output is byte-identical for the same seed and ASN data.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXAMPLE_LABELS, EXAMPLE_LOG, writeExample } from './example.js';
import { EXAMPLE_CONN_LOG, exampleConnLog } from './example-flows.js';

const dir = resolve(process.argv[2] ?? 'examples');
mkdirSync(dir, { recursive: true });
const { traffic, population } = await writeExample(dir);
// The flows follow the DNS log just written: the same clients, times and answered addresses.
const conn = exampleConnLog(readFileSync(join(dir, EXAMPLE_LOG)), readFileSync(join(dir, EXAMPLE_LABELS), 'utf8'));
writeFileSync(join(dir, EXAMPLE_CONN_LOG), conn);
const classes = Object.entries(traffic.byClass)
  .filter(([, n]) => n > 0)
  .map(([name, n]) => `${name} ${n}`)
  .join(', ');
process.stdout.write(
  `wrote ${resolve(dir, EXAMPLE_LOG)} (${traffic.records} exchanges: ${classes})\n` +
    `wrote ${resolve(dir, EXAMPLE_LABELS)} (${population.popular.length} benign and ${population.flux.length} flux names queried)\n` +
    `wrote ${resolve(dir, EXAMPLE_CONN_LOG)} (${conn.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length} connections)\n`,
);
