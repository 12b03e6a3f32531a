/**
 * Real names of the large single-tenant platforms whose address ranges a
 * censoring middlebox injects (a social network, a microblogging service, a
 * file-sharing service): the platforms' own web, API, media and download
 * hosts, answered from their own networks. `host>cname` is a CNAME into the
 * platform's own load-balancer names, as the real names are (`www.facebook.com`
 * → `star-mini.c10r.facebook.com`, `www.dropbox.com` → `www-env.dropbox-dns.com`);
 * `@` is the apex.
 */
import type { PLATFORM_ASNS } from './asns.js';

export type Platform = keyof typeof PLATFORM_ASNS;

/** Sites (airport codes) of the social network's regional media caches: `scontent-fra3-1.xx.fbcdn.net`. */
const MEDIA_SITES = 'ams2 fra3 lhr8 iad3 cdg4 mad1 waw1 arn2 dfw5 lax3 sin6 gru2'.split(' ');

function edgeHosts(kind: string, under = ''): string {
  return MEDIA_SITES.map((site) => `${kind}-${site}-1${under}`).join(' ');
}

const PLATFORM_ROWS: readonly [Platform, string, string][] = [
  [
    'facebook',
    'facebook.com',
    '@ www>star-mini.c10r.facebook.com m>star-mini.c10r.facebook.com web>star-mini.c10r.facebook.com ' +
      'graph>star.c10r.facebook.com b-graph>star.c10r.facebook.com api>star.c10r.facebook.com ' +
      'edge-chat>star.c10r.facebook.com edge-mqtt>mqtt.c10r.facebook.com mqtt-mini>mqtt-mini.c10r.facebook.com ' +
      'upload>star.c10r.facebook.com business>star.c10r.facebook.com developers>star.c10r.facebook.com ' +
      'l>star.c10r.facebook.com lm>star-mini.c10r.facebook.com z-m-graph>star.c10r.facebook.com',
  ],
  ['facebook', 'facebook.net', 'connect>scontent.xx.fbcdn.net'],
  ['facebook', 'fbcdn.net', `static.xx scontent.xx video.xx external.xx z-m-scontent.xx ${edgeHosts('scontent', '.xx')} ${edgeHosts('video', '.xx')}`],
  [
    'facebook',
    'instagram.com',
    '@ www>z-p42-instagram.c10r.instagram.com i>i.instagram.com api>i.instagram.com graph>instagram.c10r.instagram.com ' +
      'help>z-p42-instagram.c10r.instagram.com about>z-p42-instagram.c10r.instagram.com',
  ],
  ['facebook', 'cdninstagram.com', `static scontent ${edgeHosts('scontent')}`],
  ['facebook', 'whatsapp.com', '@ www web>mmx-ds.cdn.whatsapp.net faq'],
  ['facebook', 'whatsapp.net', 'mmg g e1 e2 e3 mmx-ds.cdn pps media-ams2-1 media-fra3-1'],
  ['facebook', 'messenger.com', '@ www edge-chat'],
  [
    'twitter',
    'twitter.com',
    '@ www mobile api upload platform syndication publish help about developer ads-api caps analytics tweetdeck',
  ],
  ['twitter', 'twimg.com', 'abs pbs video ton abs-0 si0'],
  ['twitter', 'x.com', '@ www api upload mobile help'],
  ['twitter', 't.co', '@'],
  [
    'dropbox',
    'dropbox.com',
    '@ www>www-env.dropbox-dns.com client>client-env.dropbox-dns.com d>d-env.dropbox-dns.com ' +
      'bolt>bolt-env.dropbox-dns.com api>api-env.dropbox-dns.com paper>paper-env.dropbox-dns.com ' +
      'help>www-env.dropbox-dns.com linux>www-env.dropbox-dns.com',
  ],
  [
    'dropbox',
    'dropboxusercontent.com',
    'dl>edge-block-www-env.dropbox-dns.com uc>edge-block-www-env.dropbox-dns.com ' +
      'previews>edge-block-www-env.dropbox-dns.com photos>edge-block-www-env.dropbox-dns.com',
  ],
  [
    'dropbox',
    'dropboxapi.com',
    'api>api-env.dropbox-dns.com content>content-env.dropbox-dns.com notify>notify-env.dropbox-dns.com',
  ],
  ['dropbox', 'dropboxstatic.com', 'cfl>cfl-env.dropbox-dns.com'],
  ['dropbox', 'db.tt', '@'],
];

export interface PlatformHost {
  name: string;
  platform: Platform;
  /** The registered domain whose zone answers for the name. */
  zone: string;
  /** CNAME target, '' when the name owns its addresses. */
  cname: string;
}

export const PLATFORM_HOSTS: readonly PlatformHost[] = PLATFORM_ROWS.flatMap(([platform, zone, hosts]) =>
  hosts.split(' ').map((entry) => {
    const [host, cname = ''] = entry.split('>') as [string, string?];
    return { name: host === '@' ? zone : `${host}.${zone}`, platform, zone, cname };
  }),
);
