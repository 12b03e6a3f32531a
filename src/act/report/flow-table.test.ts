import { describe, expect, it } from 'vitest';
import { FlowFindings } from './flow-table.js';
import { exposure, fanOut } from './flow-findings.case.js';

describe('flow findings under the table', () => {
  it('is empty when the run found none (a DNS-only run prints what it printed before)', () => {
    expect(new FlowFindings(50).render()).toBe('');
  });

  it('lists exposures, DNS bypass first, and fan-out hosts with their first reason', () => {
    const findings = new FlowFindings(50);
    findings.addExposure(exposure({ client: '10.1.0.7', flows: 9 }));
    findings.addExposure(exposure({ client: '10.9.9.9', flows: 1, bypass: true, sampled: true, bytes: 2048 }));
    findings.addFanOut(fanOut());
    const lines = findings.render().split('\n');
    expect(lines).toContain('EXPOSURES: clients that exchanged traffic with flux hosts (~ = estimated from sampled flows)');
    const rows = lines.filter((l) => l.startsWith('10.'));
    expect(rows[0]).toMatch(/^10\.9\.9\.9 +- +outbound +198\.51\.100\.23 +my\.flux\.example \(fn-1\) +1 +2\.0 KiB~ +2025-04-03 00:16:30 +DNS bypass$/);
    expect(rows[1]).toMatch(/^10\.1\.0\.7 +- +outbound .* 9 +1\.2 MiB +2025-04-03 00:16:30$/);
    expect(rows[2]).toMatch(/^10\.1\.0\.66 +acme +250 +12 +300 s +2025-04-03 01:00:00 +contacted 250 distinct/);
  });

  it('keeps the strongest rows within --top and counts the rest', () => {
    const findings = new FlowFindings(2);
    for (let i = 0; i < 2000; i++) findings.addExposure(exposure({ client: `10.2.${i >> 8}.${i & 255}`, flows: i }));
    const text = findings.render();
    expect(text.split('\n').filter((l) => l.startsWith('10.2.'))).toEqual([expect.stringMatching(/^10\.2\.7\.207 /), expect.stringMatching(/^10\.2\.7\.206 /)]);
    expect(text).toContain('… and 1998 more exposures (--json shows all)');
  });

  it('never lets a hostile name or customer put control sequences on the terminal', () => {
    const findings = new FlowFindings(5);
    findings.addExposure(exposure({ domain: 'x\u009b31m.example', customer: 'a\u001bb' }));
    const text = findings.render();
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('x\\194\\15531m.example');
  });
});
