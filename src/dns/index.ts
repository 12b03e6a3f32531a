/**
 * The one DNS wire codec every path uses (README.md): constants, the name
 * reader and writer with one escaping rule, the byte writer, the header and
 * question reader. It imports from src/model only.
 */
export * from './constants.js';
export { rcodeName, typeName } from './mnemonics.js';
export { byteText } from './byte-text.js';
export { decimalEscape, escapeName, NAME_TEXT } from './name-text.js';
export { lastName, nameWire, readName, readOneName, resetNameCache } from './name-reader.js';
export { nameText, nameToWire, wireLength, type NameText } from './name-writer.js';
export { ByteWriter } from './byte-writer.js';
export { newQueryInfo, readHeader, readQuery, type QueryInfo } from './header.js';
