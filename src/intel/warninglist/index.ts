/** MISP warninglists as allowlist feeds: parse, extend the reference lists, intel refusals. */
export { parseWarninglist, WARNINGLIST_TYPES, MAX_WARNINGLIST_TEXT, type Warninglist, type WarninglistType } from './parse.js';
export { extendInfra, WarninglistInfra, WARNINGLIST_REFUSALS, type WarninglistCounts, type WarninglistFeed, type WarninglistRules } from './extend.js';
export { withWarninglistFiles } from './load.js';
export { withKnownNames } from './rules.js';
