export { decodeDatagram, type DatagramSource, type DecodeCounts, type DecodeResult } from './decode.js';
export { TemplateCache, type TemplateCacheOptions, type Template, type TemplateField } from './templates.js';
