/**
 * What refresh-reference.mjs cannot read from upstream files: the pinned
 * commits and dates, provider naming and classing rules, and the curated
 * entries (CNAME suffixes, ASNs, pools), each with its reason. Edit here,
 * bump CURATED_REVIEWED, rerun the script, review the diff.
 */

/** What the shipped lists were built from. The files themselves carry no commit, and only some MISP lists a date. */
export const PINS = {
  misp: { repo: 'MISP/misp-warninglists', commit: '84f0610', licence: 'CC0-1.0' },
  cdncheck: { repo: 'projectdiscovery/cdncheck', commit: '6fbcc53', copied: '2026-11-26', licence: 'MIT (Copyright (c) ProjectDiscovery, Inc.)' },
  cdnIpDatabase: { repo: 'mansourjabin/cdn-ip-database', commit: '3f4e248', copied: '2026-11-26', licence: 'MIT (Copyright (c) 2025 Mansour Jabin)' },
  topSites: { package: 'top-sites', version: '1.1.222', published: '2025-10-01', licence: 'MIT (Copyright (c) Kiko Beats)' },
};

/** MISP CIDR lists → provider and class. */
export const MISP_CIDRS = {
  akamai: ['akamai', 'cdn'], 'amazon-aws': ['aws', 'cloud'], cloudflare: ['cloudflare', 'cdn'],
  fastly: ['fastly', 'cdn'], 'google-gcp': ['google-cloud', 'cloud'], 'microsoft-azure': ['azure', 'cloud'],
};

/** Top lists and the letter each contributes to a top-sites line. */
export const TOP_LISTS = [
  ['tranco10k', 't', 'Tranco top 10k'],
  ['cisco_top10k', 'u', 'Cisco Umbrella top 10k (DNS query volume)'],
  ['cloudflare-top10k', 'r', 'Cloudflare Radar top 10k'],
  ['majestic_million', 'm', 'Majestic Million top 10k'],
];

/**
 * Upstream provider names → ours (ASCII, stable). cdncheck's Chinese names are
 * translated to the company's usual Latin name; an unknown non-ASCII name stops the script.
 */
export const ALIASES = {
  amazon: 'aws', incapsula: 'imperva', office365: 'microsoft-365', 'microsoft azure': 'azure', 'google cloud': 'google-cloud',
  'chinacache (quantil)': 'chinacache',
  '360 云 CDN (由奇安信运营)': 'qianxin', '360 云 CDN (由奇虎 360 运营)': 'qihoo360', '360 云加速 CDN': 'qihoo360',
  '七牛云': 'qiniu', '云盾 CDN': 'yundun', '云盾': 'yundun', '京东云 CDN': 'jdcloud', '加速乐 CDN': 'jiasule', '加速乐': 'jiasule',
  '华为云 CDN': 'huawei-cloud', '华为云 WAF': 'huawei-cloud', '又拍云 CDN': 'upyun', '奇安信网站卫士': 'qianxin',
  '安恒玄武盾': 'dbappsecurity', '帝联 CDN': 'dnion', '广东网堤 CDN': 'wangdi', '深信服云盾': 'sangfor',
  '白山云科技 CDN': 'baishancloud', '绿盟云 WAF': 'nsfocus', '网宿 CDN': 'wangsu', '网神 CDN': 'legendsec', '美橙 CDN': 'meicheng',
  '腾正安全加速 (原 15CDN)': 'tengzheng', '腾讯云 CDN': 'tencent-cloud', '腾讯云': 'tencent-cloud', '蓝盾云 CDN': 'landun',
  '阿里云 CDN': 'alibaba-cloud', '百度云加速': 'baidu',
};
/** cdncheck's "cloud" google list is cloud.json; its "cdn" google list is goog.json (all of Google). */
export const CLOUD_ALIASES = { google: 'google-cloud' };

/**
 * Class of a provider. cdn: the operator's own edge (CDN, reverse proxy/WAF,
 * its own services): no customer picks the address. cloud: addresses any
 * customer, an attacker too, can rent. cdncheck's cdn and waf lists are cdn,
 * its cloud lists cloud, except these operator-run services:
 */
export const CLASS_OVERRIDES = { 'microsoft-365': 'cdn', zscaler: 'cdn' };

/**
 * At equal prefix length the higher rank wins, then cdn over cloud, then the
 * name. ip-ranges.json lists every CloudFront prefix again under AMAZON;
 * goog.json holds cloud.json (Google: "goog.json minus cloud.json" is Google's
 * own services); Microsoft 365 front ends sit inside Azure's ranges.
 */
export const TIE_RANK = { cloudfront: 2, 'google-cloud': 2, 'microsoft-365': 2 };

/** CNAME suffixes cdncheck lacks or gets wrong. */
export const CURATED_SUFFIXES = [
  ['akadns.net', 'akamai', 'cdn', 'Akamai Global Traffic Management (...globalredir.akadns.net)'],
  ['akamai.net', 'akamai', 'cdn', "Akamai's classic edge names (a123.g.akamai.net)"],
  ['akamaized.net', 'akamai', 'cdn', "Akamai's customer edge names"],
  ['edgesuite.net', 'akamai', 'cdn', 'Akamai EdgeSuite edge names; cdncheck also lists it under edgecast, wrongly'],
  ['cloudfront.net', 'cloudfront', 'cdn', 'Amazon CloudFront distribution names; cdncheck maps it to "amazon" with amazonaws.com'],
  ['amazonaws.com', 'aws', 'cloud', 'AWS service and customer endpoints (S3, ELB, EC2): rentable, so cloud'],
  ['fastlylb.net', 'fastly', 'cdn', "Fastly's load-balancer map names"],
  ['azureedge.net', 'azure-cdn', 'cdn', 'Azure CDN endpoints'],
  ['azurefd.net', 'azure-cdn', 'cdn', 'Azure Front Door endpoints'],
  ['trafficmanager.net', 'azure', 'cloud', 'Azure Traffic Manager: DNS load balancing to endpoints the customer chooses'],
  ['cloudapp.net', 'azure', 'cloud', 'Azure cloud services (classic)'],
  ['cloudapp.azure.com', 'azure', 'cloud', 'Azure VM public names'],
  ['azurewebsites.net', 'azure', 'cloud', 'Azure App Service'],
  ['googleusercontent.com', 'google-cloud', 'cloud', 'Google Cloud VM and user-content names'],
  ['appspot.com', 'google-cloud', 'cloud', 'Google App Engine'],
  ['googlehosted.com', 'google', 'cdn', 'Google-hosted sites (ghs.googlehosted.com)'],
  ['cloudflare.net', 'cloudflare', 'cdn', 'Cloudflare CNAME-setup targets (*.cdn.cloudflare.net)'],
  ['incapdns.net', 'imperva', 'cdn', 'Imperva (Incapsula) CNAME targets'],
  ['llnwd.net', 'limelight', 'cdn', 'Limelight (Edgio) edge names'],
  ['hwcdn.net', 'stackpath', 'cdn', 'Highwinds / StackPath CDN edge names'],
  ['cdn77.org', 'cdn77', 'cdn', 'CDN77 resource names (*.rsc.cdn77.org)'],
  ['b-cdn.net', 'bunny', 'cdn', 'Bunny CDN pull-zone names'],
  ['kxcdn.com', 'keycdn', 'cdn', 'KeyCDN zone names'],
  ['gcdn.co', 'gcore', 'cdn', 'Gcore CDN resource names'],
  ['cdngc.net', 'cdnetworks', 'cdn', 'CDNetworks edge names'],
  ['sucuri.net', 'sucuri', 'cdn', 'Sucuri WAF proxies (cloudproxyNNNNN.sucuri.net)'],
  ['azioncdn.net', 'azion', 'cdn', 'Azion edge names'],
  ['cachefly.net', 'cachefly', 'cdn', 'CacheFly edge names'],
];

/** The big providers' own ASNs, which the upstream CDN lists leave out (PeeringDB and RIR records). */
export const CURATED_ASNS = [
  [13335, 'cloudflare', 'cdn', 'Cloudflare, Inc.: announces its published ranges'],
  [54113, 'fastly', 'cdn', 'Fastly, Inc.: announces its published ranges'],
  [16509, 'aws', 'cloud', 'Amazon.com (AMAZON-02): EC2, CloudFront and most AWS ranges; the CIDR answer is finer'],
  [14618, 'aws', 'cloud', 'Amazon.com (AMAZON-AES): us-east-1'],
  [15169, 'google', 'cdn', "Google LLC: Google's own services (some Google Cloud ranges too; the CIDR answer is finer)"],
  [396982, 'google-cloud', 'cloud', 'Google Cloud Platform'],
  [8075, 'azure', 'cloud', 'Microsoft Corporation: Azure and Microsoft services'],
  [31898, 'oracle', 'cloud', 'Oracle Cloud Infrastructure'],
];

/** Volunteer and mirror pools: names under these rotate over many networks by design. */
export const POOLS = [
  ['pool.ntp.org', 'ntp-pool', 'NTP Pool Project: ~4,000 volunteer servers in ~1,000 ASNs, new answers every query, TTL 130 s (not ntp.org itself: www, support are ordinary hosts)'],
  ['debian.org', 'debian-mirrors', 'Debian: deb.debian.org (multi-CDN), security.debian.org and ftp.CC.debian.org mirrors hosted by universities and ISPs; only Debian creates names here'],
  ['archive.ubuntu.com', 'ubuntu-mirrors', 'Ubuntu archive round robin and CC.archive.ubuntu.com country mirrors run by third parties'],
  ['security.ubuntu.com', 'ubuntu-mirrors', 'Ubuntu security archive, round robin over Canonical servers'],
  ['ports.ubuntu.com', 'ubuntu-mirrors', 'Ubuntu ports archive, round robin'],
  ['fedoraproject.org', 'fedora-mirrors', 'Fedora: mirrors. and download.fedoraproject.org answer with proxies in many hosting networks'],
  ['centos.org', 'centos-mirrors', 'CentOS: mirror.centos.org and mirrorlist.centos.org were round robins over donated mirrors; old hosts still ask'],
  ['mirror.pkgbuild.com', 'arch-mirrors', "Arch Linux: geo.mirror.pkgbuild.com, the project's GeoDNS mirror set"],
  ['freebsd.org', 'freebsd-mirrors', 'FreeBSD: pkg. and update. mirror sets (pkg0.SITE.freebsd.org) and ftp.CC.freebsd.org mirrors; only FreeBSD creates names here'],
  ['openbsd.org', 'openbsd-mirrors', 'OpenBSD: cdn.openbsd.org and ftp.CC.openbsd.org mirrors; only OpenBSD creates names here'],
  ['kernel.org', 'kernel-mirrors', 'kernel.org: mirrors.kernel.org and cdn.kernel.org, several regions and providers'],
];

/**
 * Dynamic-DNS providers the MISP list lacks: home users' names under these
 * point at residential lines (one address, low TTL), which bots use too.
 */
export const CURATED_DYNAMIC_DNS = [
  ['dynu.net', 'Dynu Systems: free dynamic-DNS hostnames (NAME.dynu.net)'],
  ['freeddns.org', 'Dynu Systems: free dynamic-DNS domain'],
  ['mywire.org', 'Dynu Systems: free dynamic-DNS domain'],
  ['myfritz.net', 'AVM MyFRITZ!: every FRITZ!Box gets HASH.myfritz.net pointing at its line'],
  ['synology.me', 'Synology DDNS: NAS owners get NAME.synology.me'],
  ['no-ip.org', 'No-IP: free dynamic-DNS domain (as ddns.net, hopto.org, zapto.org, sytes.net, which the MISP list has)'],
  ['ddnss.de', 'DDNSS: German free dynamic-DNS service'],
];

/** When the curated entries (POOLS, CURATED_*) were last reviewed. */
export const CURATED_REVIEWED = '2026-11-26';

/**
 * Large single-tenant platforms: networks (ASNs) that serve only the
 * operator's own services, and the registered domains those services use.
 * An answer into one of these networks for a name none of its domains covers
 * (nor any CNAME target of the answer) is an injected answer: censoring
 * middleboxes answer censored names with such addresses. Multi-tenant clouds
 * and CDNs (Google with Google Cloud in AS15169, Amazon, Microsoft, Akamai,
 * Cloudflare) are NOT here: any customer's name may point into them. Nor is
 * Wikimedia (Cloud VPS floating addresses in AS14907 carry volunteers' own
 * domains) or Apple (too many domains of its own to list with confidence).
 * Each ASN carries the organisation @ip-location-db/asn names for it (the
 * script checks it against the installed package, so a transferred AS
 * stops the refresh); the domains are the operators' own documentation of
 * what to allow through a firewall (cited per platform).
 * [platform, why, ASNs as [asn, organisation], domains]
 */
export const PLATFORMS = [
  ['meta', 'Meta (Facebook, Instagram, WhatsApp, Messenger, Threads): AS32934 is announced only for its own services (PeeringDB "Facebook"); domains from developers.facebook.com "Domains and IP addresses" and WhatsApp\'s firewall FAQ',
    [[32934, 'Facebook, Inc.'], [54115, 'Facebook Inc'], [63293, 'Facebook, Inc.']],
    ['facebook.com', 'facebook.net', 'fb.com', 'fb.me', 'fbcdn.net', 'fbsbx.com', 'fbpigeon.com', 'facebookmail.com', 'tfbnw.net', 'messenger.com', 'm.me',
      'instagram.com', 'cdninstagram.com', 'ig.me', 'whatsapp.com', 'whatsapp.net', 'wa.me', 'meta.com', 'meta.ai', 'threads.net', 'threads.com',
      'oculus.com', 'oculuscdn.com', 'workplace.com', 'accountkit.com', 'freebasics.com', 'internet.org']],
  ['x', 'X Corp. (Twitter): AS13414/AS35995/AS63179 carry only its own services (PeeringDB "Twitter, Inc."); domains from help.x.com "Domains used by X"',
    [[13414, 'Twitter Inc.'], [35995, 'Twitter Inc.'], [63179, 'Twitter Inc.']],
    ['twitter.com', 'x.com', 'twimg.com', 't.co', 'twttr.com', 'twitter.co', 'ads-twitter.com', 'periscope.tv', 'pscp.tv', 'vine.co']],
  ['dropbox', 'Dropbox: AS19679/AS54372/AS393874 serve only Dropbox (PeeringDB "Dropbox"); domains from help.dropbox.com "Firewall and network configuration"',
    [[19679, 'Dropbox, Inc.'], [54372, 'Dropbox, Inc.'], [393874, 'Dropbox Inc']],
    ['dropbox.com', 'dropboxapi.com', 'dropboxstatic.com', 'dropboxusercontent.com', 'dropbox-dns.com', 'dropboxbusiness.com', 'dropboxcaptcha.com', 'getdropbox.com', 'db.tt',
      'hellosign.com', 'docsend.com']],
  ['telegram', 'Telegram: its data centres announce these ASNs for its own services only (core.telegram.org/resources/cidr.txt lists their prefixes); domains from telegram.org',
    [[44907, 'Telegram Messenger Inc'], [59930, 'Telegram Messenger Inc'], [62014, 'Telegram Messenger Inc'], [62041, 'Telegram Messenger Inc'], [211157, 'Telegram Messenger Inc']],
    ['telegram.org', 'telegram.me', 't.me', 'telegram.dog', 'telesco.pe', 'tdesktop.com', 'telegra.ph', 'graph.org', 'fragment.com', 'cdn-telegram.org']],
  ['netflix', 'Netflix Open Connect: AS2906/AS40027/AS55095 carry only Netflix streaming (openconnect.netflix.com, PeeringDB "Netflix"); domains from Netflix\'s Open Connect docs',
    [[2906, 'Netflix Streaming Services Inc.'], [40027, 'Netflix Streaming Services Inc.'], [55095, 'Netflix Inc']],
    ['netflix.com', 'netflix.net', 'nflxvideo.net', 'nflximg.net', 'nflximg.com', 'nflxext.com', 'nflxso.net', 'nflxsearch.net', 'fast.com']],
  ['linkedin', 'LinkedIn: AS14413 carries only LinkedIn (PeeringDB "LinkedIn Corporation"); domains from LinkedIn\'s help "Network requirements"',
    [[14413, 'LinkedIn Corporation']],
    ['linkedin.com', 'licdn.com', 'lnkd.in']],
];

/** When PLATFORMS was last reviewed (ASN organisations checked against @ip-location-db/asn). */
export const PLATFORMS_REVIEWED = '2026-12-05';
