/**
 * Who holds the pending-upstream table. Every query waiting for an upstream
 * is charged to the client address that asked it; a client at its budget is
 * refused at once (SERVFAIL), so one client, or thirty, asking for a zone
 * that never answers cannot take the slots that everyone else's queries
 * need. Entries exist only while a client has queries waiting, so the table
 * is never larger than the pending table itself.
 */
export class PendingBudget {
  private readonly held = new Map<string, number>();

  /** `perClient`: queries one client address may have waiting at once. */
  constructor(readonly perClient: number) {}

  /** Clients with at least one query waiting. */
  get clients(): number {
    return this.held.size;
  }

  /** Queries `client` has waiting. */
  of(client: string): number {
    return this.held.get(client) ?? 0;
  }

  /** Charges one query to `client`; false (nothing charged) when it is at its budget. */
  take(client: string): boolean {
    const n = this.held.get(client) ?? 0;
    if (n >= this.perClient) return false;
    this.held.set(client, n + 1);
    return true;
  }

  /** The query charged to `client` is over (answered, failed or given up). */
  give(client: string): void {
    const n = this.held.get(client);
    if (n === undefined) return;
    if (n <= 1) this.held.delete(client);
    else this.held.set(client, n - 1);
  }

  clear(): void {
    this.held.clear();
  }
}
