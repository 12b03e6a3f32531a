import { describe, expect, it } from 'vitest';
import { emptyFeatures } from '../../detect/features/index.js';
import type { Verdict } from '../../model/verdict.js';
import { printable, renderTable } from './table.js';

const verdict = (domain: string, reasons: string[]): Verdict => ({
  domain,
  registered_domain: domain,
  scope: 'name',
  verdict: 'fast-flux',
  flux: 'single',
  score: 90,
  reasons,
  features: emptyFeatures(),
  contributions: [],
  first_seen: '',
  last_seen: '',
  first_flagged: null,
  lookups_to_flag: null,
  enrichment: [],
  network: null,
  evidence: { addresses: [], name_servers: [], ns_addresses: [] },
});

describe('table report', () => {
  it('never lets a hostile name put control sequences on the terminal', () => {
    const evil = 'x\u009b31mred\u001b[2J.example';
    const text = renderTable([verdict(evil, [`the name servers of ${evil} rotate`])], { color: false, width: null, holz: false });
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('x\\194\\15531mred\\027[2J.example');
    expect(text).toContain('x\\u009b31mred\\u001b[2J.example rotate');
  });

  it('shows a tampering finding in the verdict column, its reasons first', () => {
    const v: Verdict = {
      ...verdict('www.censored.example', []),
      verdict: 'benign',
      flux: null,
      score: 0,
      tampering: { kind: 'injected', reasons: ['14 of 14 answers point into single-tenant platform networks (AS32934 meta) that do not serve this domain'], answers: 14 },
    };
    const lines = renderTable([v], { color: false, width: null, holz: false }).split('\n');
    expect(lines[1]).toMatch(/^0 +benign, injected +- +www\.censored\.example +injected: 14 of 14 answers point into single-tenant platform networks \(AS32934 meta\)/);
  });

  it('leaves ordinary text alone', () => {
    expect(printable('87 IPs in 19 ASNs, café.example')).toBe('87 IPs in 19 ASNs, café.example');
  });
});
