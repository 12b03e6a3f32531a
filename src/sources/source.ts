/**
 * The one interface every input implements: bytes in, DnsObservation out.
 * A decoder is fed chunks synchronously (no per-record promises); it calls
 * sink.observe for every good record and sink.skip for every bad one, with
 * its position, and never throws on bad input.
 */
import type { FlowRecord } from '../model/flow.js';
import type { DnsObservation, SkippedRecord } from '../model/observation.js';

export interface ObservationSink {
  observe(observation: DnsObservation): void;
  skip(skipped: SkippedRecord): void;
  /**
   * A flow record (NetFlow/IPFIX, Zeek conn.log, Suricata eve flow/netflow,
   * nfdump csv). A sink without it ignores flows; a bad flow record goes to
   * skip like any other.
   */
  flow?(flow: FlowRecord): void;
  /**
   * Asked (by decoders that can: Zeek TSV) once a record's query name is
   * known, before the rest is decoded: false drops the record here — no
   * observe, no skip, whatever the rest holds. A partition of the detector
   * reading the whole input (detect/parallel) decodes only its own names.
   */
  admit?(qname: string): boolean;
  /**
   * After admit() said false: each answer address of the dropped record, as
   * the detector keys it (IPv4 as a signed 32-bit integer, IPv6 in RFC 5952
   * text), or null for an answer the decoder cannot tell from text without
   * unescaping it (the partition then assumes any address may be shared).
   * A partition learns which addresses other partitions' names resolve to.
   */
  refusedAddress?(key: number | string | null): void;
}

export interface Decoder {
  /** Feed the next chunk of the (already decompressed) input. */
  push(chunk: Buffer): void;
  /** The input ended. Flushes a last unterminated record. */
  end(): void;
  /** 1-based number of the record (line, packet, frame) being decoded now, for error positions. */
  position(): number;
}

export interface SourceFormat {
  /** The --format name: 'zeek', 'zeek-json', 'eve', 'pdns', ... */
  readonly name: string;
  /** One line for --help. */
  readonly description: string;
  /** True when the first bytes of an input (at most 64 KiB, decompressed) look like this format. */
  sniff(head: Buffer): boolean;
  /**
   * The sniff is a magic number, not a guess: an input it rejects is not in
   * this format even under --format (a Zeek log read as pcap is refused in
   * one line instead of yielding nothing). Text formats leave it unset.
   */
  readonly magic?: string;
  /**
   * false: a decoder of this format never hands a flow record (sink.flow), as
   * in a DNS-only log. analyze then knows, when such an input is its last and
   * no flow came before, that the run holds no flows (detect/flows keeps no
   * DNS memory for them). Unset: it may (the safe side).
   */
  readonly flows?: boolean;
  /** A fresh decoder for one input; `file` is used in positions ('-' for stdin). */
  createDecoder(file: string, sink: ObservationSink): Decoder;
  /**
   * A decoder that hands exactly the flow records createDecoder's would, and
   * nothing else, doing as little else as it can (a capture: packet headers,
   * no DNS message). analyze runs it over a file before reading it (input.ts
   * holdsFlows), to learn whether the run keeps a DNS memory for flows. Unset
   * on a format that may hold flows: the file is taken to hold some.
   */
  createFlowScanner?(file: string, sink: ObservationSink): Decoder;
}
