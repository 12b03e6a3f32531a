/**
 * The OASIS STIX 2.1 JSON schemas (test/fixtures/cti/stix21-json-schemas, see
 * its PROVENANCE) loaded into Ajv's draft 2020-12 mode: one validator per
 * object type and the bundle's, for every test that checks STIX output.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const SCHEMAS = join(import.meta.dirname, '..', 'fixtures', 'cti', 'stix21-json-schemas', 'schemas');

/** Every schema file loaded by its $id, so the relative $refs between them resolve. */
export function stixValidators(): { bundle: ValidateFunction; byType: Map<string, ValidateFunction> } {
  // unicodeRegExp off: the OASIS patterns use escapes (`\-`) that the `u` flag refuses; they mean the same without it.
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false });
  const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void;
  addFormats(ajv);
  // ajv-formats has no idn-hostname; the names fluxhound writes are in its one text form, checked by the domain-name pattern below.
  ajv.addFormat('idn-hostname', true);
  const ids = new Map<string, string>();
  for (const folder of ['common', 'observables', 'sdos', 'sros']) {
    for (const file of readdirSync(join(SCHEMAS, folder)).filter((f) => f.endsWith('.json'))) {
      const schema = JSON.parse(readFileSync(join(SCHEMAS, folder, file), 'utf8')) as { $id: string; title: string };
      ajv.addSchema(schema);
      ids.set(file.replace(/\.json$/, ''), schema.$id);
    }
  }
  const byType = new Map<string, ValidateFunction>();
  for (const [type, id] of ids) byType.set(type, ajv.getSchema(id)!);
  return { bundle: ajv.getSchema(ids.get('bundle')!)!, byType };
}

