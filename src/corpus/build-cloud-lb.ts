/**
 * Builder for cloud-lb: customer names behind a cloud's DNS load balancing.
 * - Azure Traffic Manager: `api.example.com` → `example-api.trafficmanager.net`
 *   → `example-api-westeurope.cloudapp.azure.com`, one address per endpoint;
 *   Traffic Manager picks the endpoint region (performance, weighted or
 *   priority routing) with a 60 s TTL.
 * - AWS: `api.example.com` → `example-api-1234567890.eu-west-1.elb.amazonaws.com`
 *   with Route 53 latency or weighted records (TTL 60) over several regional
 *   load balancers; each balancer answers 2-3 of its nodes' addresses (one per
 *   availability zone), TTL 60.
 * So one name shows addresses in several countries, but only in the cloud's
 * one or two ASNs.
 */
import { AMAZON_ASN, AMAZON_US_EAST_ASN, MICROSOFT_ASN } from './asns.js';
import type { BuildContext } from './build-context.js';
import { addAnswerName, uniqueDomain, pickSome } from './build-context.js';
import { neighbourAddresses } from './build-benign.js';
import type { DomainBehaviour, ZoneServers } from './behaviours/behaviour.js';
import type { Route } from './behaviours/steered.js';
import { SteeredName } from './behaviours/steered.js';
import { formatIPv4 } from '../model/names.js';
import { managedDnsNames } from './name-servers.js';
import type { Prng } from './prng.js';
import { Regions } from './regions.js';
import { benignRegisteredDomain, hostName } from './vocabulary.js';

export interface CloudRegion {
  id: string;
  country: string;
  asn: number;
}

const AZURE_REGIONS: readonly CloudRegion[] = (
  [
    ['eastus', 'US'], ['westus2', 'US'], ['westeurope', 'NL'], ['northeurope', 'IE'], ['uksouth', 'GB'], ['southeastasia', 'SG'],
    ['brazilsouth', 'BR'], ['germanywestcentral', 'DE'], ['southafricanorth', 'ZA'], ['australiaeast', 'AU'], ['canadacentral', 'CA'],
    ['switzerlandnorth', 'CH'], ['japaneast', 'JP'], ['francecentral', 'FR'],
  ] as const
).map(([id, country]) => ({ id, country, asn: MICROSOFT_ASN }));

export const AWS_REGIONS: readonly CloudRegion[] = (
  [
    ['us-east-1', 'US'], ['us-west-2', 'US'], ['eu-west-1', 'IE'], ['eu-central-1', 'DE'], ['eu-west-2', 'GB'], ['ap-southeast-1', 'SG'],
    ['ap-northeast-1', 'JP'], ['sa-east-1', 'BR'], ['ap-southeast-2', 'AU'], ['ca-central-1', 'CA'], ['me-central-1', 'AE'],
  ] as const
).map(([id, country]) => ({ id, country, asn: id === 'us-east-1' ? AMAZON_US_EAST_ASN : AMAZON_ASN }));

const LB_HOSTS = ['api', 'app', 'www', 'portal', 'login', 'auth', 'gateway', 'shop', 'console', 'sso'];
const TTL = 60;
const CUSTOMER_TTLS = [300, 600, 3600];

const TRAFFIC_MANAGER_SERVERS: ZoneServers = {
  zone: 'trafficmanager.net',
  ns: ['tm1.msft.net', 'tm2.msft.net', 'tm1.msft.com', 'tm2.msft.com', 'tm1.edgedns-tm.info', 'tm2.edgedns-tm.info'],
  glue: [],
  ttl: 172800,
};

/** The regions of a cloud where its AS has addresses in the data (a region needs its country). */
export function usableRegions(ctx: BuildContext, table: readonly CloudRegion[]): CloudRegion[] {
  const regions = Regions.load(ctx.space);
  const usable = table.filter((r) => regions.hasCountry(r.asn, r.country));
  if (new Set(usable.map((r) => r.country)).size < 2) throw new Error('corpus: population: the ASN data places a cloud in fewer than two countries');
  return usable;
}

/** A regional load balancer's node addresses: 2-3 availability zones, 2-3 nodes each, inside the region's country. */
export function regionalNodes(ctx: BuildContext, region: CloudRegion, rng: Prng): string[] {
  const regions = Regions.load(ctx.space);
  const nodes: string[] = [];
  for (let zone = rng.range(2, 3); zone > 0; zone--) {
    nodes.push(...neighbourAddresses(regions.pickV4(region.asn, region.country, rng), rng.range(2, 3), rng));
  }
  return nodes;
}

/** 2-4 regions in at least two countries, the first preferred. */
function pickRegions(usable: readonly CloudRegion[], rng: Prng): CloudRegion[] {
  for (;;) {
    const picked = pickSome(usable, rng.range(2, 4), rng);
    if (new Set(picked.map((r) => r.country)).size >= 2) return picked;
  }
}

export function buildCloudLb(ctx: BuildContext, names: number, rng: Prng): DomainBehaviour[] {
  const out: DomainBehaviour[] = [];
  if (names === 0) return out;
  const azure = usableRegions(ctx, AZURE_REGIONS);
  const aws = usableRegions(ctx, AWS_REGIONS);
  const regions = Regions.load(ctx.space);
  while (out.length < names) {
    const registeredDomain = uniqueDomain(ctx, () => benignRegisteredDomain(rng));
    const app = (registeredDomain.split('.')[0] as string).replace(/-/g, '');
    const hostCount = Math.min(names - out.length, rng.range(1, 2));
    for (const host of pickSome(LB_HOSTS, hostCount, rng)) {
      const name = hostName(host, registeredDomain);
      const label = { name, registeredDomain, class: 'cloud-lb' as const, flux: null, network: null };
      const phase = rng.next() * 86400;
      const common = { label, steerTtl: TTL, addressTtl: TTL, selection: 'sample' as const, phase };
      let routes: Route[];
      if (rng.chance(0.5)) {
        const tm = `${app}-${host}.trafficmanager.net`;
        const toTm = { target: tm, ttl: rng.pick(CUSTOMER_TTLS) };
        routes = pickRegions(azure, rng).map((r) => {
          const endpoint = `${app}-${host}-${r.id}.cloudapp.azure.com`;
          return { chain: [toTm, { target: endpoint, ttl: TTL }], v4: [formatIPv4(regions.pickV4(r.asn, r.country, rng))], v6: [] };
        });
        out.push(new SteeredName({ ...common, routes, weights: weightsFor(routes.length, rng), stickiness: 0.6, perAnswer: 1, servers: TRAFFIC_MANAGER_SERVERS }));
      } else {
        const lb = `${app}-${host}-${rng.range(1_000_000_000, 2_147_483_647)}`;
        const servers = awsServers(rng);
        routes = pickRegions(aws, rng).map((r) => ({
          chain: [{ target: `${lb}.${r.id}.elb.amazonaws.com`, ttl: TTL }],
          v4: regionalNodes(ctx, r, rng),
          v6: [],
          servers: { ...servers, zone: `${r.id}.elb.amazonaws.com` },
        }));
        out.push(new SteeredName({ ...common, routes, weights: weightsFor(routes.length, rng), stickiness: 0.7, perAnswer: rng.range(2, 3), servers }));
      }
      for (const route of routes) for (const link of route.chain) addAnswerName(ctx, link.target, 'cloud-lb');
    }
  }
  return out;
}

/** Weighted or latency routing: the first region takes most answers. */
function weightsFor(n: number, rng: Prng): number[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? rng.range(3, 6) : 1));
}

function awsServers(rng: Prng): ZoneServers {
  return { zone: 'elb.amazonaws.com', ns: managedDnsNames('route53', rng), glue: [], ttl: 172800 };
}

