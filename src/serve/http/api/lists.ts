/**
 * The operator's lists: GET /api/v1/allowlist and /api/v1/blocklist (the
 * deny list), POST to add a name, DELETE .../{name} to remove one. Changes
 * go through ManagedLists (written with their audit line, applied live),
 * made in the name of the token's NAME.
 */
import { liveAllowlist } from '../../../act/rpz/allowlist.js';
import type { ListName } from '../../../model/query-log.js';
import { ListRefusal, listName } from '../../lists/entry.js';
import type { ServeContext } from '../../service.js';
import { apiError, type ApiRequest, type ApiResult, type Route } from '../route.js';
import { needLists, nowSeconds } from './common.js';
import { ParamError } from './params.js';
import { checkBody } from './validate.js';

export function listRoutes(context: ServeContext): Route[] {
  return [...routesOf(context, '/api/v1/allowlist', 'allow'), ...routesOf(context, '/api/v1/blocklist', 'deny')];
}

function routesOf(context: ServeContext, path: string, list: ListName): Route[] {
  return [
    {
      method: 'GET',
      path,
      role: 'read',
      handle: () => ({
        status: 200,
        body: { items: needLists(context).entries(list), static: list === 'allow' ? [...liveAllowlist(context.config).configured.names] : [] },
      }),
    },
    { method: 'POST', path, role: 'admin', handle: (request) => add(context, list, request) },
    { method: 'DELETE', path: `${path}/{name}`, role: 'admin', handle: (request) => remove(context, list, request) },
  ];
}

async function add(context: ServeContext, list: ListName, request: ApiRequest): Promise<ApiResult> {
  checkBody('ListAdd', request.body);
  const body = request.body as { name: string; comment: string };
  // The lists' own reading of a name (an internationalised name becomes its xn-- A-labels, as queries ask it).
  const name = changed(() => listName(body.name, list));
  const lists = needLists(context);
  const at = nowSeconds();
  const comment = body.comment;
  await changedAsync(() => lists.change({ op: 'add', list, name, comment, by: request.principal.name, at }));
  const entry = lists.entries(list).find((e) => e.name === name) ?? { list, name, comment, by: request.principal.name, at };
  return { status: 201, body: entry };
}

async function remove(context: ServeContext, list: ListName, request: ApiRequest): Promise<ApiResult> {
  const name = changed(() => listName(request.params.name ?? '', list, false));
  checkBody('ListRemove', request.body);
  const lists = needLists(context);
  const { comment } = request.body as { comment: string };
  const removed = await changedAsync(() => lists.change({ op: 'remove', list, name, comment, by: request.principal.name, at: nowSeconds() }));
  return removed ? { status: 200, body: { removed: true } } : apiError(404, `not on the ${list === 'allow' ? 'allowlist' : 'blocklist'}`);
}

/** A change the lists refuse (a public suffix on the deny list, a comment too long, a full list) is answered 400 naming the field. */
function changed<T>(change: () => T): T {
  try {
    return change();
  } catch (err) {
    throw refusal(err);
  }
}

async function changedAsync<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (err) {
    throw refusal(err);
  }
}

function refusal(err: unknown): unknown {
  return err instanceof ListRefusal ? new ParamError(err.reason === 'comment' ? 'comment' : 'name', err.message) : err;
}
