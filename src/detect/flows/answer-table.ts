/**
 * Who received each remote address in a DNS answer, and when: the proof
 * behind "DNS bypass". A flow C→A had its lookup when C received an answer
 * holding A within flows.lateness before the flow. Kept per ADDRESS (not per
 * host) so that a host's busy lookup history cannot roll the proof away
 * before a batch run decides at its end.
 *
 * Bounded three ways, each remembering how recent the forgotten receipts
 * were (`forgottenUntil`), so that a question the memory can no longer
 * answer comes back 'unknown' (never a false "no lookup"):
 * - limits.maxClientsPerAddress receipts per address (least recently
 *   answered makes room);
 * - limits.maxAddresses addresses (least recently answered makes room);
 * - limits.maxClientEntries receipts over all addresses (least recently
 *   answered addresses make room).
 */
import { Recency } from './recency.js';

/** One client's receipts of one address: first and last answer time (a receipt is assumed between them). */
interface Receipt {
  first: number;
  last: number;
}

class AnswerEntry {
  /** Client → receipt, least recently answered first (Map order: a re-answered client is moved to the end). */
  readonly clients = new Map<string, Receipt>();
  /** Newest `last` among receipts dropped from this entry (-Infinity: none dropped). */
  forgottenUntil = -Infinity;
  /** Newest answer time of any receipt here. */
  newest = -Infinity;
}

export type LookupProof = 'yes' | 'no' | 'unknown';

export class AnswerTable {
  private readonly entries = new Recency<AnswerEntry>();
  private receipts = 0;
  /** Newest `last` among receipts of whole addresses dropped (table or budget full). */
  private forgottenUntil = -Infinity;
  /** Receipts dropped to make room (per address, per table, for the budget). */
  evicted = 0;

  constructor(
    private readonly maxAddresses: number,
    private readonly maxClientsPerAddress: number,
    private readonly maxReceipts: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get receiptCount(): number {
    return this.receipts;
  }

  /** client received `address` in an answer at ts. */
  note(address: string, client: string, ts: number): void {
    let entry = this.entries.use(address);
    if (entry === undefined) {
      if (this.entries.size >= this.maxAddresses) this.dropOldest();
      entry = new AnswerEntry();
      this.entries.add(address, entry);
    }
    if (ts > entry.newest) entry.newest = ts;
    const receipt = entry.clients.get(client);
    if (receipt !== undefined) {
      entry.clients.delete(client); // re-insert: the Map's order stays "least recently answered first"
      entry.clients.set(client, receipt);
      if (ts < receipt.first) receipt.first = ts;
      if (ts > receipt.last) receipt.last = ts;
      return;
    }
    if (entry.clients.size >= this.maxClientsPerAddress) {
      const [oldClient, old] = entry.clients.entries().next().value as [string, Receipt];
      entry.clients.delete(oldClient);
      if (old.last > entry.forgottenUntil) entry.forgottenUntil = old.last;
      this.receipts--;
      this.evicted++;
    }
    while (this.receipts >= this.maxReceipts && this.entries.oldest() !== entry && this.dropOldest());
    if (this.receipts >= this.maxReceipts) return; // this address alone fills the budget: the receipt is forgotten
    entry.clients.set(client, { first: ts, last: ts });
    this.receipts++;
  }

  /**
   * Whether `client` received `address` in an answer at a time in [from, to]:
   * 'yes', 'no' (the memory is complete for that span), or 'unknown' (a
   * receipt of that span may have been forgotten).
   */
  received(address: string, client: string, from: number, to: number): LookupProof {
    const entry = this.entries.peek(address);
    if (entry !== undefined) {
      const r = entry.clients.get(client);
      if (r !== undefined && r.last >= from && r.first <= to) return 'yes';
      if (entry.forgottenUntil >= from) return 'unknown';
    }
    return this.forgottenUntil >= from ? 'unknown' : 'no';
  }

  private dropOldest(): boolean {
    const entry = this.entries.shift();
    if (entry === undefined) return false;
    this.receipts -= entry.clients.size;
    this.evicted += entry.clients.size;
    const until = Math.max(entry.newest, entry.forgottenUntil);
    if (until > this.forgottenUntil) this.forgottenUntil = until;
    return true;
  }
}
