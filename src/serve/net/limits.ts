/**
 * The limits every listener's connections live under, from `serve.net` in
 * the config (documented defaults there and in fluxhound.example.yaml). A
 * listener may narrow a few of them (the RPZ server's connection cap,
 * dnstap's idle time); none may lift the daemon-wide budget.
 */
import type { Config } from '../../config/schema.js';

export type NetLimits = Config['serve']['net'];

/** Why a connection was refused or cut: the `reason` label of fluxhound_net_refused_total. */
export type RefusalReason =
  | 'acl'
  | 'listener_cap'
  | 'client_cap'
  | 'fd_budget'
  | 'first_byte_deadline'
  | 'frame_deadline'
  | 'idle'
  | 'outbound_budget'
  | 'displaced'
  | 'stopping'
  // TLS handshakes (handshake.ts): refused on accept, or cut while pending.
  | 'handshake_cap'
  | 'handshake_client_cap'
  | 'handshake_rate'
  | 'handshake_deadline'
  // DNS over HTTPS sessions and requests (dns/doh.ts).
  | 'h2_reset_flood'
  | 'h2_control_flood'
  | 'h2_protocol'
  | 'body_deadline'
  | 'body_too_large';
