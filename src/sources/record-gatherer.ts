/**
 * RecordGatherer: the records of one section being read, handed out as a
 * new array of exactly their number. A list grown by push from empty holds
 * ~17 slots and a slice copies it again: that was most of the bytes a Zeek
 * line allocated, and ~250 bytes more per four-record wire section. The
 * first four (most sections hold one to four: answers, NS sets with their
 * glue) are held in fields and handed out as a literal; a list is made from
 * the fifth on. take() empties it, so it never keeps a section past its read.
 * Shared by the readers that build sections (zeek/tsv.ts, dns-wire/message.ts).
 */
import type { ResourceRecord } from '../model/observation.js';

export class RecordGatherer {
  private first: ResourceRecord | null = null;
  private second: ResourceRecord | null = null;
  private third: ResourceRecord | null = null;
  private fourth: ResourceRecord | null = null;
  private more: ResourceRecord[] | null = null;
  private n = 0;

  /** Records gathered since the last take() or drop(). */
  get size(): number {
    return this.n;
  }

  add(record: ResourceRecord): void {
    const n = this.n++;
    if (n === 0) this.first = record;
    else if (n === 1) this.second = record;
    else if (n === 2) this.third = record;
    else if (n === 3) this.fourth = record;
    else if (n === 4) this.more = [this.first!, this.second!, this.third!, this.fourth!, record];
    else this.more!.push(record);
  }

  take(): ResourceRecord[] {
    const n = this.n;
    const list =
      n === 0
        ? []
        : n === 1
          ? [this.first!]
          : n === 2
            ? [this.first!, this.second!]
            : n === 3
              ? [this.first!, this.second!, this.third!]
              : n === 4
                ? [this.first!, this.second!, this.third!, this.fourth!]
                : n === 5
                  ? this.more!
                  : this.more!.slice();
    this.drop();
    return list;
  }

  /** Forget what was gathered (a line or message skipped halfway through a section). */
  drop(): void {
    this.first = this.second = this.third = this.fourth = null;
    this.more = null;
    this.n = 0;
  }
}
