/** The ground-truth file beside a corpus: `name,registered_domain,class,flux,network`. */
import type { NameLabel } from '../labels.js';
import type { TextOutput } from './writer.js';

export const LABELS_HEADER = 'name,registered_domain,class,flux,network';

export async function writeLabelsCsv(labels: Iterable<NameLabel>, output: TextOutput): Promise<void> {
  output.append(`${LABELS_HEADER}\n`);
  for (const l of labels) {
    output.append(`${l.name},${l.registeredDomain},${l.class},${l.flux ?? ''},${l.network ?? ''}\n`);
    if (output.pendingBytes >= 1 << 20) await output.flush();
  }
  await output.close();
}
