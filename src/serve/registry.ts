/**
 * The one ordered list of serve's services. Adding a service is one folder
 * under serve/ and one line here.
 */
import { sourceFormats } from '../sources/registry.js';
import type { ServiceFactory } from './service.js';
import { dnsService } from './dns/index.js';
import { httpService } from './http/index.js';
import { storeService } from './store/index.js';
import { clusterStoreService } from './store/cluster-store.js';
import { rpzServerService } from './rpz-server/index.js';
import { followService } from './follow/index.js';
import { dnstapService } from './dnstap/index.js';
import { flowsService } from './flows/index.js';
import { rpzFileService } from './rpz-file/index.js';
import { ipBlocklistService } from './rpz-file/blocklist.js';
import { blockPageService } from './block-page/index.js';
import { confirmService } from './confirm/index.js';
import { listsService } from './lists/index.js';
import { reportsService } from './reports/service.js';
import { queryLogService } from './querylog/index.js';
import { taxiiService } from './taxii/index.js';
import { mispFeedService, stixFileService } from './share/index.js';
import { intelService } from './intel/index.js';
import { clusterSensorService } from './cluster/sensor.js';
import { clusterConsoleService } from './cluster/console.js';
import { clusterJudgeService } from './cluster/judge-service.js';

/**
 * The parts of `fluxhound serve`, in start order (stopped in reverse): each
 * adds its flags and starts only when they are given.
 */
export const serviceFactories: readonly ServiceFactory[] = [
  // The store first: it restores flagged names and windows before anything is served.
  storeService(),
  // After the store (it reads beside it): with a cluster, what the API and the reports read.
  clusterStoreService,
  // After the store (its entries live there), before every service that blocks: allow and deny apply from the first answer.
  listsService,
  // Before every input and the forwarder: the feeds are loaded before the first lookup, so a listed name is caught on it.
  intelService,
  // Before every input: it hears their first observation, and stops after the last (its last batch is sent or spooled).
  clusterSensorService,
  // Beside the sensor, before the forwarder: the query log and counts reach the cluster from the first answer.
  clusterConsoleService,
  // After intel (the judge replays with the feeds), before the forwarder: a node blocks what the cluster flagged from its first answer.
  clusterJudgeService,
  followService(() => sourceFormats),
  dnstapService,
  // Beside dnstap: another live input, its flows reach the analysis through the same sink.
  flowsService,
  rpzServerService,
  rpzFileService,
  ipBlocklistService,
  // What is shared with partners as files, kept current like the RPZ file.
  stixFileService,
  mispFeedService,
  blockPageService,
  // Before the forwarder: its sinks are open before the first query is answered, and drain after the last.
  queryLogService(),
  dnsService(),
  // After the forwarder: it probes through the same upstreams, and stops first.
  confirmService(),
  httpService(),
  // After http: another listener for the same tokens; it reads only the flagged set.
  taxiiService,
  // Last: they only read the store (transparency reports on a schedule), and stop first.
  reportsService,
];
