export { decodeDatagram, type DatagramSource, type DecodeCounts, type DecodeResult } from './decode.js';
export { TemplateCache, type TemplateCacheOptions, type Template, type TemplateField } from './templates.js';
export { createNetflowFormat, netflowFormat, type NetflowFormatOptions } from './format.js';
export { datagramLength, sniffDatagrams } from './framing.js';
