/**
 * softflowd (Debian package softflowd, 1.1.0) as the exporter in the flow
 * tests and the bench: it reads a capture (-r) and sends NetFlow v5, v9 or
 * IPFIX (-v 10) to every destination of -n at once. Comma-separated
 * destinations without -l get each export datagram, byte for byte, so
 * fluxhound and nfcapd decode the very same datagrams (no tee needed).
 *
 * Flags and why:
 *   -d       foreground: the test waits for its exit, which follows the end of the file
 *   -T full  one flow per address/port/protocol 5-tuple (the default, said out loud)
 *   -a       flow times follow the capture's clock, not the wall clock, so they can be asserted
 *   -s N     1-in-N sampling, announced in the export (optional)
 *   -A milli absolute millisecond times instead of uptime-relative ones (optional)
 * Never -c: with -r, 1.1.0 polls no socket but still tests the control
 * socket's (unset) poll result and blocks in accept() forever.
 * With -r, softflowd expires no flow on time: every flow is exported when the
 * file ends ("flushed"), so one run = one deterministic burst.
 */
import { execFile } from 'node:child_process';
import { findBinary } from './binaries.js';

export const softflowd = findBinary('softflowd', 'softflowd');

export type ExportVersion = 5 | 9 | 10;

export interface SoftflowdOptions {
  /** 1-in-N packet sampling (-s). */
  sampling?: number;
  /** Flows tracked before the oldest are expired early (-m, default 8192). */
  maxFlows?: number;
  /** -A milli: absolute flowStart/EndMilliseconds (IPFIX) instead of sysUpTime-relative times. */
  absoluteMillis?: boolean;
}

export interface SoftflowdRun {
  /** Flows softflowd says it exported ("Flows exported: F (R records) in D packets"). */
  flows: number;
  /** Records: a v5/v9/IPFIX record per direction of each flow. */
  records: number;
  /** Export datagrams sent to EACH destination. */
  datagrams: number;
  /** Export datagrams that failed to send. */
  failures: number;
  output: string;
}

const EXPORTED = /Flows exported: (\d+) \((\d+) records\) in (\d+) packets \((\d+) failures\)/;

/** Runs softflowd over `pcap` to `destinations` ('127.0.0.1:PORT'); resolves when it has exited. */
export function runSoftflowd(pcap: string, version: ExportVersion, destinations: string[], options: SoftflowdOptions = {}): Promise<SoftflowdRun> {
  if (softflowd.path === null) throw new Error(softflowd.missing!);
  const args = ['-d', '-r', pcap, '-n', destinations.join(','), '-v', String(version), '-T', 'full', '-a'];
  if (options.sampling !== undefined) args.push('-s', String(options.sampling));
  if (options.maxFlows !== undefined) args.push('-m', String(options.maxFlows));
  if (options.absoluteMillis === true) args.push('-A', 'milli');
  return new Promise((resolve, reject) => {
    execFile(softflowd.path!, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const output = stdout + stderr;
      const counts = EXPORTED.exec(output);
      if (err !== null || counts === null) {
        reject(new Error(`softflowd ${args.join(' ')} failed: ${err?.message ?? 'no export statistics'}\n${output}`));
        return;
      }
      resolve({ flows: Number(counts[1]), records: Number(counts[2]), datagrams: Number(counts[3]), failures: Number(counts[4]), output });
    });
  });
}
