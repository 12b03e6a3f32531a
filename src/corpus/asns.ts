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

/**
 * Access networks that host Akamai caches inside their own address space
 * (Akamai Accelerated Network Partners): an Akamai answer may carry these
 * ISPs' addresses, the look-alike that makes "many eyeball ASNs" a weak tell.
 */
export const AKAMAI_HOST_ISPS: readonly number[] = [
  7922, 3320, 3215, 7018, 701, 5089, 1136, 3269, 3352, 4766, 17676, 577, 28573, 20115,
  2856, // BT, GB
  3209, // Vodafone, DE
  8447, // A1 Telekom, AT
  5432, // Proximus, BE
  3301, // Telia, SE
  1221, // Telstra, AU
  2516, // KDDI, JP
  812, // Rogers, CA
];

/** The clouds behind Azure Traffic Manager and AWS load balancers; us-east-1 answers from 14618. */
export const MICROSOFT_ASN = 8075;
export const AMAZON_ASN = 16509;
export const AMAZON_US_EAST_ASN = 14618;
export const GOOGLE_ASN = 15169;

/** National research and education networks: where many distribution mirrors and NTP servers live. */
export const RESEARCH_ASNS: readonly number[] = [
  680, // DFN, DE
  1103, // SURF, NL
  2200, // RENATER, FR
  786, // Jisc, GB
  1653, // SUNET, SE
  2852, // CESNET, CZ
  559, // SWITCH, CH
  7575, // AARNet, AU
  2907, // SINET, JP
  11537, // Internet2, US
];

/** Hosting networks volunteers and mirror operators rent servers from, beyond HOSTING_ASNS. */
export const VOLUNTEER_HOSTING_ASNS: readonly number[] = [
  24940, 16276, 14061, 63949, 51167, 8560,
  20473, // Vultr
  12876, // Scaleway, FR
  197540, // netcup, DE
  60781, // Leaseweb, NL
  6939, // Hurricane Electric
  9009, // M247
  47583, // Hostinger, LT
  13030, // Init7, CH
  39351, // 31173 Services, SE
  25091, // IP-Max, CH
];

/** Home broadband networks of NTP volunteers and dynamic-DNS users, beyond EYEBALL_ASNS. */
export const MORE_EYEBALL_ASNS: readonly number[] = [
  3209, // Vodafone, DE
  8881, // 1&1 Versatel, DE
  6805, // Telefonica, DE
  3303, // Swisscom, CH
  2856, // BT, GB
  8447, // A1 Telekom, AT
  5432, // Proximus, BE
  3301, // Telia, SE
  3292, // TDC, DK
  1221, // Telstra, AU
  2516, // KDDI, JP
  812, // Rogers, CA
  12430, // Vodafone, ES
];

/** Canonical (archive.ubuntu.com) and SUSE (download.opensuse.org) run their own mirrors too. */
export const DISTRIBUTION_ASNS: readonly number[] = [41231, 29298];

/**
 * Networks that popular sites serve from themselves: Google, Meta,
 * Wikimedia, X, Yahoo, Baidu, Yandex, GitHub, Automattic, LinkedIn, eBay,
 * PayPal, Booking, BBC, Twitch, Dropbox, VK, Tencent, Alibaba, Apple,
 * Netflix, Google Cloud, Microsoft, Amazon, ByteDance.
 */
export const TOP_SITE_ASNS: readonly number[] = [
  15169, 32934, 14907, 13414, 36647, 55967, 13238, 36459, 2635, 14413, 11643, 17012, 43996, 2818,
  46489, 19679, 47541, 45090, 37963, 714, 2906, 396982, 8075, 16509, 396986,
];

/**
 * Large single-tenant platforms (names checked against the org column of
 * @ip-location-db/asn): what a censoring middlebox injects, and what the
 * platforms' own names really answer from.
 */
export const PLATFORM_ASNS = {
  facebook: 32934, // "Facebook, Inc."
  twitter: 13414, // Twitter Inc.
  dropbox: 19679, // "Dropbox, Inc."
} as const;

/** Transit carriers whose ranges a middlebox's injected addresses also come from. */
export const INJECTION_CARRIER_ASNS: readonly number[] = [
  3356, // Level 3 Communications (Lumen)
  174, // Cogent Communications
  2914, // NTT America
];

/** National carriers per country, the networks a national multi-carrier CDN places its edges in. */
export const NATIONAL_CARRIERS: Readonly<Record<string, readonly number[]>> = {
  CN: [4134, 4837, 9808, 4538, 4809], // Chinanet, China Unicom, China Mobile, CERNET, China Telecom CN2
  RU: [12389, 8359, 3216, 31133], // Rostelecom, MTS, VimpelCom (Beeline), MegaFon
  BR: [28573, 26599, 7738, 26615], // Claro, Telefonica Brasil (Vivo), V.tal (Oi), TIM
  VN: [45899, 7552, 18403, 45903], // VNPT, Viettel, FPT Telecom, CMC Telecom
};

export const ALL_CORPUS_ASNS: readonly number[] = [
  ...new Set([
    ...EYEBALL_ASNS,
    ...HOSTING_ASNS,
    ...Object.values(CDN_ASNS).flat(),
    ...AKAMAI_HOST_ISPS,
    ...[MICROSOFT_ASN, AMAZON_ASN, AMAZON_US_EAST_ASN, GOOGLE_ASN],
    ...RESEARCH_ASNS,
    ...VOLUNTEER_HOSTING_ASNS,
    ...MORE_EYEBALL_ASNS,
    ...DISTRIBUTION_ASNS,
    ...TOP_SITE_ASNS,
    ...Object.values(PLATFORM_ASNS),
    ...INJECTION_CARRIER_ASNS,
    ...Object.values(NATIONAL_CARRIERS).flat(),
  ]),
];
