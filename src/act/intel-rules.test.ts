import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/schema.js';
import { loadInfra } from '../enrich/infra/index.js';
import { buildIntelIndex } from '../intel/index.js';
import { parseList } from '../intel/list.js';
import { intelRules } from './intel-rules.js';

describe('intelRules: known infrastructure', () => {
  it("refuses a network that holds a CDN's range anywhere inside it, not only at its ends; keeps a flux network", () => {
    // 104.0.0.0 and 104.255.255.255 belong to no CDN; Cloudflare's 104.16.0.0/13 lies inside (data/reference).
    const text = '104.0.0.0/8\n104.21.5.5\n91.92.240.0/24\n';
    const index = buildIntelIndex(
      [{ name: 'hostile', action: 'block', confidence: 80, expiresAt: Infinity, feed: parseList(text, 'hostile.txt') }],
      intelRules(defaultConfig(), loadInfra()),
    );
    expect(index.counts[0]).toMatchObject({ accepted: 1, refused: { 'known-infrastructure': 2 } });
    expect(index.matchAddress('104.21.5.5')).toBeNull();
    expect(index.matchAddress('104.250.1.1')).toBeNull();
    expect(index.matchAddress('91.92.240.17')?.value).toBe('91.92.240.0/24');
  });
});
