import { describe, expect, it } from 'vitest';
import { DEFAULT_SOAK, soakOptions } from './soak.js';

describe('soakOptions', () => {
  it('takes the issue-sized defaults', () => {
    expect(soakOptions([], {})).toEqual(DEFAULT_SOAK);
    expect(DEFAULT_SOAK).toMatchObject({ seconds: 60, slowloris: 300, pipeliners: 20 });
  });

  it('scales down from the environment, and flags win over it', () => {
    const o = soakOptions(['--seconds', '20', '--pipeliners', '2'], { FLUXHOUND_BENCH_SOAK_SECONDS: '30', FLUXHOUND_BENCH_SOAK_SLOWLORIS: '50', FLUXHOUND_BENCH_SOAK_RAMP_SECONDS: '5' });
    expect(o).toMatchObject({ seconds: 20, slowloris: 50, pipeliners: 2, rampSeconds: 5 });
  });

  it.each([
    [['--slowlorris', '5'], /unknown flag/],
    [['--seconds'], /missing value/],
    [['--seconds', 'x'], /takes a number/],
    [['--seconds', '10'], /ramp-seconds/],
  ])('refuses %j', (argv, message) => {
    expect(() => soakOptions(argv, {})).toThrow(message);
  });
});
