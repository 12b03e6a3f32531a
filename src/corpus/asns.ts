/**
 * Which real networks the corpus draws addresses from. Addresses are picked
 * inside these ASNs' announced ranges (from @ip-location-db/asn), so an
 * enricher using the same data sees the AS diversity the class is meant to
 * have: flux pools spread over consumer access networks in many countries,
 * benign hosting concentrated in a few data-centre networks.
 */

/** Consumer access ("eyeball") networks: where compromised home machines live. */
export const EYEBALL_ASNS: readonly number[] = [
  7922, // Comcast, US
  3320, // Deutsche Telekom, DE
  3215, // Orange, FR
  4134, // Chinanet, CN
  4837, // China Unicom, CN
  9829, // BSNL, IN
  8151, // Telmex (Uninet), MX
  12389, // Rostelecom, RU
  28573, // Claro, BR
  6830, // Liberty Global, EU
  3269, // TIM, IT
  4766, // Korea Telecom, KR
  17676, // SoftBank, JP
  7018, // AT&T, US
  701, // Verizon, US
  5089, // Virgin Media, GB
  12322, // Free, FR
  3352, // Telefonica, ES
  9121, // Turk Telekom, TR
  45899, // VNPT, VN
  4788, // TM, MY
  9299, // PLDT, PH
  7552, // Viettel, VN
  24560, // Bharti Airtel, IN
  8452, // TE Data, EG
  7303, // Telecom Argentina, AR
  20115, // Charter, US
  22773, // Cox, US
  577, // Bell Canada, CA
  1136, // KPN, NL
  6799, // OTE, GR
  8708, // Digi, RO
  6849, // Ukrtelecom, UA
];

/** Data-centre and cloud networks that host ordinary web sites and mail. */
export const HOSTING_ASNS: readonly number[] = [
  24940, // Hetzner
  16276, // OVH
  14061, // DigitalOcean
  16509, // Amazon (EC2)
  14618, // Amazon (us-east-1)
  15169, // Google
  396982, // Google Cloud
  8075, // Microsoft
  8560, // IONOS
  63949, // Akamai Connected Cloud (Linode)
  26496, // GoDaddy
  51167, // Contabo
  46606, // Unified Layer
];

export type CdnProvider = 'akamai' | 'cloudflare' | 'fastly' | 'cloudfront';

/** The ASNs each CDN serves its edge addresses from. */
export const CDN_ASNS: Readonly<Record<CdnProvider, readonly number[]>> = {
  akamai: [20940, 16625],
  cloudflare: [13335],
  fastly: [54113],
  cloudfront: [16509],
};

export const ALL_CORPUS_ASNS: readonly number[] = [
  ...new Set([...EYEBALL_ASNS, ...HOSTING_ASNS, ...Object.values(CDN_ASNS).flat()]),
];
