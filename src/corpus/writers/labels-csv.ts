/**
 * The ground-truth file beside a corpus: `name,registered_domain,class,flux,network`,
 * with a sixth column `role` (`query` or `answer`) when asked for.
 */
import type { LabelRow, NameLabel } from '../labels.js';
import type { TextOutput } from './writer.js';

export const LABELS_HEADER = 'name,registered_domain,class,flux,network';
export const LABELS_HEADER_WITH_ROLE = `${LABELS_HEADER},role`;

export interface LabelsCsvOptions {
  /** Add the `role` column, which tells queried names from names seen only inside answers. */
  role?: boolean;
}

export async function writeLabelsCsv(labels: Iterable<NameLabel | LabelRow>, output: TextOutput, options: LabelsCsvOptions = {}): Promise<void> {
  const withRole = options.role === true;
  output.append(`${withRole ? LABELS_HEADER_WITH_ROLE : LABELS_HEADER}\n`);
  for (const l of labels) {
    const role = withRole ? `,${'role' in l ? l.role : 'query'}` : '';
    output.append(`${l.name},${l.registeredDomain},${l.class},${l.flux ?? ''},${l.network ?? ''}${role}\n`);
    if (output.pendingBytes >= 1 << 20) await output.flush();
  }
  await output.close();
}
