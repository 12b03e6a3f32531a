/**
 * PLACEHOLDER until branch i15-taxii-client (helper B) is merged: the TAXII 2.1
 * client's signature, so the feed loader (src/intel/feeds) is written against
 * it. On merge, take i15-taxii-client's file whole.
 */
export interface TaxiiSource {
  url: string;
  collection: string | null;
  auth: { user: string; password: string } | { token: string } | null;
  ca: string | null;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

export interface TaxiiPoll {
  objects: Record<string, unknown>[];
  newest: string | null;
  pages: number;
  bytes: number;
}

export async function fetchTaxii(source: TaxiiSource, addedAfter: string | null): Promise<TaxiiPoll> {
  void addedAfter;
  throw new Error(`${new URL(source.url).host}: the TAXII client is not in this build yet`);
}
