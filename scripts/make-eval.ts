/**
 * Write the accuracy evaluation corpus: `npm run -s build && node
 * dist/scripts/make-eval.js [DIR] [zeek] [eve] [pdns] [pcap] [dnstap]` (DIR defaults to
 * eval/, formats to zeek). Deterministic for the same seed and ASN data.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EvalFormat } from '../src/corpus/eval.js';
import { EVAL_FORMATS, EVAL_LABELS, writeEvalCorpus } from '../src/corpus/eval.js';

const [dirArg, ...formatArgs] = process.argv.slice(2);
const formats = formatArgs.length > 0 ? formatArgs : ['zeek'];
for (const f of formats) {
  if (!(f in EVAL_FORMATS)) {
    process.stderr.write(`make-eval: unknown format '${f}' (known: ${Object.keys(EVAL_FORMATS).join(', ')})\n`);
    process.exit(2);
  }
}
const dir = resolve(dirArg ?? 'eval');
mkdirSync(dir, { recursive: true });
const started = process.hrtime.bigint();
const { traffic } = await writeEvalCorpus(dir, formats as EvalFormat[]);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const classes = Object.entries(traffic.byClass)
  .map(([name, n]) => `${name} ${n}`)
  .join(', ');
for (const f of formats as EvalFormat[]) process.stdout.write(`wrote ${resolve(dir, EVAL_FORMATS[f])}\n`);
process.stdout.write(`wrote ${resolve(dir, EVAL_LABELS)}\n${traffic.records} exchanges in ${seconds.toFixed(1)} s: ${classes}\n`);
