/** Provider names and classes, interned once at load; lookups answer with their index. */
import type { ProviderClass } from './infra.js';
import { rowError } from './reference-file.js';
import type { ReferenceRow } from './reference-file.js';

export class ProviderTable {
  readonly names: string[] = [];
  readonly classes: ProviderClass[] = [];
  private readonly byName = new Map<string, number>();

  /** Index of the provider, added on first sight; its class must be the same on every line of every file. */
  intern(name: string, cls: string, file: string, row: ReferenceRow): number {
    if (cls !== 'cdn' && cls !== 'cloud') throw rowError(file, row, `class "${cls}" is neither cdn nor cloud`);
    const known = this.byName.get(name);
    if (known !== undefined) {
      if (this.classes[known] !== cls) throw rowError(file, row, `provider ${name} is ${cls} here but ${this.classes[known]} before`);
      return known;
    }
    this.names.push(name);
    this.classes.push(cls);
    this.byName.set(name, this.names.length - 1);
    return this.names.length - 1;
  }
}
