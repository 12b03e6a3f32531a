/**
 * Real names the look-alike classes are made of: popular sites, Google's
 * service hostnames, the NTP pool's zones, Linux and BSD mirror names,
 * dynamic-DNS suffixes. Fixed lists, so the evaluation corpus asks for the
 * names a real resolver sees; the infrastructure behind each is modelled on
 * what the name resolves to in practice (own network, CDNs, DNS provider),
 * simplified.
 */
import type { ManagedDns } from './name-servers.js';

/** Where a popular site's answers come from: its own AS, or a CDN / cloud in front of it. */
export type SiteProvider = 'own' | 'akamai' | 'fastly' | 'cloudfront' | 'cloudflare' | 'azure' | 'gcp' | 'aws';

/** Who serves a popular site's zone: its own name servers, or a managed DNS provider. */
export type SiteDns = ManagedDns | 'own';

export interface TopSite {
  domain: string;
  /** The site's own AS; 0 when it has none and lives on providers only. */
  asn: number;
  /** Providers in steering order: the first takes most of the traffic and answers for the apex. */
  providers: SiteProvider[];
  dns: SiteDns;
}

/** `domain asn providers dns`, roughly in order of popularity (Tranco-like). */
const TOP_SITE_ROWS = `
google.com 15169 own google
youtube.com 15169 own google
facebook.com 32934 own own
instagram.com 32934 own own
wikipedia.org 14907 own own
amazon.com 16509 cloudfront,own ultradns
apple.com 714 akamai,own own
microsoft.com 8075 akamai,azure azure
netflix.com 16509 aws,own route53
linkedin.com 14413 akamai,azure,own nsone
twitter.com 13414 own,fastly own
x.com 13414 own,cloudflare own
whatsapp.com 32934 own own
yahoo.com 36647 own own
bing.com 8075 azure,akamai azure
live.com 8075 azure azure
office.com 8075 akamai,azure azure
baidu.com 55967 own own
yandex.ru 13238 own own
github.com 36459 own,fastly nsone
tiktok.com 396986 akamai,own akamai
reddit.com 0 fastly route53
zoom.us 16509 aws,cloudfront route53
gmail.com 15169 own google
msn.com 8075 akamai,azure azure
outlook.com 8075 azure azure
icloud.com 714 akamai,own own
ebay.com 11643 akamai,own own
paypal.com 17012 akamai,own ultradns
cloudflare.com 13335 cloudflare cloudflare
openai.com 0 cloudflare cloudflare
chatgpt.com 0 cloudflare cloudflare
stackoverflow.com 0 cloudflare cloudflare
cnn.com 0 fastly route53
nytimes.com 0 fastly nsone
bbc.co.uk 2818 akamai,fastly,own own
bbc.com 2818 akamai,fastly,own own
spotify.com 396982 gcp,fastly gcloud
adobe.com 0 akamai,fastly,azure akamai
wordpress.com 2635 own own
pinterest.com 16509 akamai,cloudfront,aws route53
imdb.com 16509 cloudfront ultradns
booking.com 43996 akamai,own own
twitch.tv 46489 fastly,own route53
dropbox.com 19679 own,cloudflare nsone
vk.com 47541 own own
qq.com 45090 own own
taobao.com 37963 own own
tmall.com 37963 own own
alipay.com 37963 own own
aliexpress.com 37963 akamai,own own
discord.com 0 cloudflare cloudflare
duckduckgo.com 16509 aws nsone
messenger.com 32934 own own
threads.net 32934 own own
fbcdn.net 32934 own own
whatsapp.net 32934 own own
wikimedia.org 14907 own own
wiktionary.org 14907 own own
office365.com 8075 azure azure
skype.com 8075 azure,akamai azure
xbox.com 8075 akamai,azure azure
azure.com 8075 azure azure
windowsupdate.com 8075 akamai azure
mozilla.org 0 cloudfront,gcp route53
firefox.com 0 cloudfront route53
salesforce.com 0 akamai,aws ultradns
shopify.com 0 cloudflare cloudflare
etsy.com 396982 gcp,fastly dyn
walmart.com 0 akamai,fastly akamai
target.com 0 akamai akamai
bestbuy.com 0 akamai akamai
homedepot.com 0 akamai,gcp akamai
ikea.com 0 akamai,azure akamai
espn.com 0 akamai,cloudfront route53
foxnews.com 0 akamai akamai
washingtonpost.com 0 akamai akamai
theguardian.com 0 fastly route53
dailymail.co.uk 0 akamai,fastly ultradns
forbes.com 0 fastly route53
bloomberg.com 0 akamai akamai
reuters.com 0 akamai akamai
wsj.com 0 akamai,fastly ultradns
usatoday.com 0 fastly nsone
huffpost.com 0 fastly,cloudfront route53
buzzfeed.com 0 fastly,cloudfront route53
quora.com 16509 cloudfront,aws route53
medium.com 0 cloudflare cloudflare
tumblr.com 2635 own,fastly own
flickr.com 0 cloudfront route53
vimeo.com 0 fastly,akamai nsone
soundcloud.com 0 cloudfront route53
steampowered.com 0 akamai akamai
epicgames.com 0 cloudflare,cloudfront cloudflare
roblox.com 0 akamai,fastly route53
ea.com 0 akamai akamai
playstation.com 0 akamai akamai
nintendo.com 0 akamai,cloudfront akamai
samsung.com 0 akamai akamai
sony.com 0 akamai akamai
hp.com 0 akamai akamai
dell.com 0 akamai akamai
lenovo.com 0 akamai,fastly akamai
intel.com 0 akamai akamai
nvidia.com 0 akamai akamai
ibm.com 0 akamai akamai
oracle.com 0 akamai akamai
cisco.com 0 akamai akamai
zillow.com 0 fastly,cloudfront route53
airbnb.com 0 cloudfront,akamai route53
uber.com 0 cloudflare,cloudfront cloudflare
lyft.com 0 cloudfront route53
expedia.com 0 akamai,cloudfront route53
tripadvisor.com 0 fastly,akamai ultradns
yelp.com 0 fastly route53
indeed.com 0 cloudflare cloudflare
chase.com 0 akamai akamai
bankofamerica.com 0 akamai akamai
wellsfargo.com 0 akamai akamai
capitalone.com 0 akamai,cloudfront akamai
americanexpress.com 0 akamai akamai
visa.com 0 akamai akamai
mastercard.com 0 akamai akamai
weather.com 0 akamai,fastly akamai
accuweather.com 0 akamai,cloudflare akamai
npr.org 0 akamai,fastly akamai
nih.gov 0 akamai akamai
cdc.gov 0 akamai akamai
nasa.gov 0 cloudfront,akamai route53
web.de 8560 own own
gmx.net 8560 own own
t-online.de 0 akamai akamai
spiegel.de 0 akamai,fastly ultradns
bild.de 0 akamai akamai
orange.fr 3215 own,akamai own
free.fr 12322 own own
lemonde.fr 0 fastly,cloudflare cloudflare
lefigaro.fr 0 fastly nsone
ok.ru 47541 own own
mail.ru 47541 own own
rakuten.co.jp 0 akamai akamai
yahoo.co.jp 0 akamai akamai
globo.com 0 akamai akamai
mercadolibre.com 0 akamai,cloudfront route53
canva.com 0 cloudflare cloudflare
notion.so 0 cloudflare cloudflare
slack.com 16509 cloudfront,aws route53
atlassian.com 16509 cloudfront route53
docusign.com 0 akamai,azure akamai
box.com 0 cloudflare cloudflare
hulu.com 0 akamai,cloudfront route53
disneyplus.com 0 akamai,fastly route53
max.com 0 cloudfront,fastly route53
primevideo.com 16509 cloudfront route53
crunchyroll.com 0 cloudflare,cloudfront route53
snapchat.com 396982 gcp gcloud
`;

export const TOP_SITES: readonly TopSite[] = TOP_SITE_ROWS.trim()
  .split('\n')
  .map((row) => {
    const [domain, asn, providers, dns] = row.split(' ') as [string, string, string, string];
    return { domain, asn: Number(asn), providers: providers.split(',') as SiteProvider[], dns: dns as SiteDns };
  });

/** Hosts besides the apex and www that popular sites are asked for. */
export const TOP_SITE_HOSTS: readonly string[] = ['m', 'api', 'login', 'static', 'images', 'accounts', 'mail', 'help'];

/**
 * Google service names answered by its front ends (AS15169): `host` or
 * `host>cname` where the name is a CNAME into Google's `l.google.com`-style
 * service names. www.google.com and www.youtube.com are top sites.
 */
const GOOGLE_HOST_ROWS: readonly [string, string][] = [
  [
    'google.com',
    'mail>googlemail.l.google.com accounts drive docs sheets slides calendar meet chat photos play maps news translate ' +
      'scholar books keep classroom contacts myaccount support policies apis clients1 clients2 clients4 clients6 ssl ' +
      'lens earth trends ads adservice workspace cloud developers fonts hangouts families passwords payments pay store ' +
      'one assistant gemini sites groups alerts analytics tagmanager lookerstudio admin',
  ],
  [
    'googleapis.com',
    'www fonts storage oauth2 ajax maps content firebaseinstallations firebaselogging-pa fcmregistrations android play ' +
      'youtube translate safebrowsing update people-pa chromewebstore firestore identitytoolkit securetoken speech ' +
      'vision texttospeech bigquery pubsub logging monitoring cloudresourcemanager compute',
  ],
  ['gstatic.com', 'www fonts ssl csi connectivitycheck encrypted-tbn0 encrypted-tbn1 encrypted-tbn2 encrypted-tbn3'],
  ['youtube.com', 'm>youtube-ui.l.google.com music>youtube-ui.l.google.com studio tv accounts'],
  ['ytimg.com', 'i s i9'],
  ['googleusercontent.com', 'lh3>googlehosted.l.googleusercontent.com lh4 lh5 lh6'],
  ['googletagmanager.com', 'www>www-googletagmanager.l.google.com'],
  ['google-analytics.com', 'www>www-google-analytics.l.google.com ssl>ssl-google-analytics.l.google.com region1'],
  ['doubleclick.net', 'stats.g>stats.l.doubleclick.net googleads.g>pagead46.l.doubleclick.net securepubads.g ad static cm.g pubads.g'],
  ['googlesyndication.com', 'pagead2>pagead46.l.doubleclick.net tpc'],
  ['googleadservices.com', 'www'],
  ['gvt1.com', 'redirector dl'],
  ['gvt2.com', 'beacons'],
  ['ggpht.com', 'yt3'],
  ['android.com', 'www developer source'],
];

export interface GoogleHost {
  name: string;
  /** The CNAME target, '' when the name owns its addresses. */
  cname: string;
}

export const GOOGLE_HOSTS: readonly GoogleHost[] = GOOGLE_HOST_ROWS.flatMap(([domain, hosts]) =>
  hosts.split(' ').map((entry) => {
    const [host, cname = ''] = entry.split('>') as [string, string?];
    return { name: `${host}.${domain}`, cname };
  }),
);

/** Vendor zones of the NTP pool (`0.debian.pool.ntp.org`). */
export const NTP_VENDOR_ZONES: readonly string[] = [
  'debian', 'ubuntu', 'centos', 'fedora', 'rhel', 'opensuse', 'freebsd', 'openwrt', 'arch', 'gentoo', 'netbsd', 'amazon', 'rocky',
];

export const NTP_CONTINENTS: readonly string[] = ['europe', 'north-america', 'asia', 'oceania', 'south-america', 'africa'];

/** Continent zone of a country, for the countries the corpus's volunteer networks are in. */
export const CONTINENT_OF: Readonly<Record<string, string>> = Object.fromEntries(
  (
    [
      ['europe', 'AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MD NL NO PL PT RO RS RU SE SI SK UA'],
      ['north-america', 'CA MX US CR PA'],
      ['asia', 'AE CN HK ID IL IN JP KR MY PH SG TH TR TW VN KZ SA PK BD'],
      ['oceania', 'AU NZ'],
      ['south-america', 'AR BR CL CO PE UY'],
      ['africa', 'EG KE NG ZA MA'],
    ] as const
  ).flatMap(([continent, codes]) => codes.split(' ').map((cc) => [cc, continent] as const)),
);

/**
 * Mirror redirectors and round-robin download names of Linux distributions
 * and BSDs. `name@fastly:target` is fronted by Fastly through a CNAME to `target`.
 */
export const MIRROR_REDIRECTORS: readonly string[] = [
  'deb.debian.org@fastly:debian.map.fastlydns.net',
  'cdn.openbsd.org@fastly:openbsd.map.fastly.net',
  'dl-cdn.alpinelinux.org@fastly:dl-cdn.alpinelinux.org.global.prod.fastly.net',
  'download.rockylinux.org@fastly:rockylinux.map.fastly.net',
  'security.debian.org',
  'archive.ubuntu.com',
  'security.ubuntu.com',
  'ports.ubuntu.com',
  'mirrors.fedoraproject.org',
  'download.fedoraproject.org',
  'dl.fedoraproject.org',
  'download.opensuse.org',
  'mirrors.opensuse.org',
  'ftp.freebsd.org',
  'download.freebsd.org',
  'pkg.freebsd.org',
  'cdn.netbsd.org',
  'ftp.netbsd.org',
  'mirror.centos.org',
  'mirrorlist.centos.org',
  'vault.centos.org',
  'mirrors.almalinux.org',
  'repo.almalinux.org',
  'mirrors.rockylinux.org',
  'geo.mirror.pkgbuild.com',
  'mirrors.kernel.org',
  'distfiles.gentoo.org',
];

/**
 * Country codes of per-country mirror names (`ftp.de.debian.org`,
 * `de.archive.ubuntu.com`, `ftp1.de.freebsd.org`). Debian writes the United
 * Kingdom `uk`; Ubuntu and FreeBSD write `gb`.
 */
export const MIRROR_COUNTRIES: readonly string[] =
  'at au be br ca ch cz de dk es fi fr gb gr hk ie it jp lt nl no nz pl pt ro se sg tw ua us'.split(' ');

/** Dynamic-DNS suffixes (all on the private section of the public suffix list) and their relative weights. */
export const DYNAMIC_DNS_SUFFIXES: readonly (readonly [string, number])[] = [
  ['duckdns.org', 20], ['myfritz.net', 15], ['ddns.net', 12], ['synology.me', 10], ['no-ip.org', 6], ['dyndns.org', 6],
  ['hopto.org', 4], ['zapto.org', 4], ['sytes.net', 4], ['dynv6.net', 4], ['homeip.net', 3], ['ddnss.de', 3], ['dynu.net', 3],
];
