/** GET /api/v1/networks and /api/v1/networks/{id}: the flux service networks the detector holds now. */
import type { ServeContext } from '../../service.js';
import { apiError, type Route } from '../route.js';
import { ParamError } from './params.js';

/** Addresses shown for one network, at most. */
export const NETWORK_ADDRESSES = 1000;

export function networkRoutes(context: ServeContext): Route[] {
  return [
    { method: 'GET', path: '/api/v1/networks', role: 'read', handle: () => ({ status: 200, body: { items: context.detector.networks.summaries() } }) },
    {
      method: 'GET',
      path: '/api/v1/networks/{id}',
      role: 'read',
      handle: async (request) => {
        const id = request.params.id ?? '';
        if (!/^fn-[1-9]\d{0,9}$/.test(id)) throw new ParamError('id', "not a network id ('fn-3')");
        const detector = context.detector;
        let members;
        try {
          // With workers, every worker holds part of the network (its own domains' addresses).
          members = detector.liveNetworkMembers !== undefined ? await detector.liveNetworkMembers(id, NETWORK_ADDRESSES) : detector.networkMembers(id, NETWORK_ADDRESSES);
        } catch (err) {
          return apiError(503, `the detector workers did not answer: ${(err as Error).message}`);
        }
        return members === null ? apiError(404, `no flux network ${id}`) : { status: 200, body: members };
      },
    },
  ];
}
