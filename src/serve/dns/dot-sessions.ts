/**
 * An encrypted DNS listener's TLS context (DoT's, and DoH's through
 * serverOptions()), with session resumption (RFC 8446
 * section 4.6.1, RFC 5077): a reconnecting client presents the ticket it
 * was given and skips the certificate exchange and signature of a full
 * handshake. Tickets are stateless (the server keeps no session cache; the
 * ticket is the session, encrypted under the context's ticket keys).
 *
 * What a ticket is good for:
 * - The ticket keys are random, held in memory only (a restart makes every
 *   client do one full handshake), and replaced every `rotateMs` (an hour):
 *   a stolen key reads at most an hour of tickets, and a ticket lives at
 *   most until the next rotation (the lifetime hint says the same).
 * - A SIGHUP keeps the keys, so a reload of policy or allowlists does not
 *   cost every client a full handshake; but the session ID context is a
 *   hash of the certificate, and OpenSSL resumes no session made in
 *   another context: after a new certificate every client sees it in a
 *   full handshake, none resumes a session it authenticated against the
 *   old one (a certificate is usually replaced for a reason).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import { readTlsPem, tlsContextOf, type TlsFiles } from '../http/tls.js';

/** How long ticket keys live (and tickets with them). */
export const TICKET_KEY_ROTATE_MS = 3_600_000;
/** Node's ticketKeys: 16 bytes of key name, 16 of HMAC key, 16 of AES key. */
const TICKET_KEYS_BYTES = 48;

export class TlsTicketContext {
  private pem: { cert: Buffer; key: Buffer };
  private ticketKeys = randomBytes(TICKET_KEYS_BYTES);
  private keysSince: number;
  private context: SecureContext;
  /** Ticket key rotations since start. */
  rotations = 0;

  constructor(
    private files: TlsFiles,
    private readonly rotateMs = TICKET_KEY_ROTATE_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.pem = readTlsPem(files, 'dns');
    this.keysSince = now();
    this.context = this.build(this.pem, files);
  }

  /** The certificate and key files served now (SIGHUP re-reads these unless the next config names others). */
  get tlsFiles(): TlsFiles {
    return this.files;
  }

  /** The context for a connection accepted now; rotates the ticket keys when they are due (no timer). */
  current(): SecureContext {
    if (this.now() - this.keysSince >= this.rotateMs) this.rotate();
    return this.context;
  }

  /**
   * The pair and session options as server options (DoH's createSecureServer
   * and setSecureContext, which keep no SecureContext of ours): the pair that
   * was checked is the pair served.
   */
  serverOptions(): { cert: Buffer; key: Buffer; ticketKeys: Buffer; sessionTimeout: number; sessionIdContext: string } {
    return { ...this.pem, ...this.sessionOptions(this.pem) };
  }

  /** New ticket keys: tickets issued so far no longer resume (their holders make a full handshake). */
  rotate(): void {
    this.ticketKeys = randomBytes(TICKET_KEYS_BYTES);
    this.keysSince = this.now();
    this.rotations++;
    this.context = this.build(this.pem, this.files);
  }

  /**
   * SIGHUP: reads and checks the next certificate and key (a bad pair
   * throws its one-line error and nothing changes); the function returned
   * takes them. The ticket keys stay (see above).
   */
  prepare(files: TlsFiles): () => void {
    const pem = readTlsPem(files, 'dns');
    this.build(pem, files);
    return () => {
      this.pem = pem;
      this.files = files;
      this.context = this.build(pem, files);
    };
  }

  private build(pem: { cert: Buffer; key: Buffer }, files: TlsFiles): SecureContext {
    return tlsContextOf(pem, files, 'dns', this.sessionOptions(pem));
  }

  private sessionOptions(pem: { cert: Buffer }): { ticketKeys: Buffer; sessionTimeout: number; sessionIdContext: string } {
    return {
      ticketKeys: this.ticketKeys,
      sessionTimeout: Math.floor(this.rotateMs / 1000),
      // OpenSSL's session ID context holds at most 32 bytes.
      sessionIdContext: createHash('sha256').update(pem.cert).digest('hex').slice(0, 32),
    };
  }
}
