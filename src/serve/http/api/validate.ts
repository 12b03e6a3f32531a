/**
 * Request bodies checked against the document's own schemas: Ajv (JSON
 * Schema 2020-12, strict) compiles them once, from the OpenAPI document, so
 * what the document says a body is, is what the API accepts.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { openApiDocument } from './openapi.js';
import { ParamError } from './params.js';

/** The id the document is known by in Ajv; a schema is `${DOCUMENT_ID}#/components/schemas/Name`. */
export const DOCUMENT_ID = 'fluxhound-openapi.json';

/**
 * An Ajv holding the document: strict (unknown keywords, ambiguous types
 * refused), every error reported. The document's own top-level keywords are
 * not JSON Schema keywords, so Ajv is told about them.
 */
export function documentAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats.default(ajv);
  for (const keyword of ['openapi', 'info', 'jsonSchemaDialect', 'servers', 'security', 'paths', 'components', 'x-fluxhound-role']) ajv.addKeyword(keyword);
  ajv.addSchema(openApiDocument(), DOCUMENT_ID);
  return ajv;
}

let shared: Ajv2020 | null = null;

/** The validator of a schema in components.schemas (Ajv compiles each once and keeps it). */
export function schemaValidator(name: string): ValidateFunction {
  shared ??= documentAjv();
  const found = shared.getSchema(`${DOCUMENT_ID}#/components/schemas/${name}`);
  if (found === undefined) throw new Error(`api: no schema ${name} in the document`);
  return found;
}

/** Throws a ParamError naming the field ('name: must be string') unless `body` is what the schema says. */
export function checkBody(schema: string, body: unknown): void {
  const validate = schemaValidator(schema);
  if (!validate(body)) throw problem(validate.errors?.[0]);
}

function problem(error: ErrorObject | undefined): ParamError {
  if (error === undefined) return new ParamError('body', 'invalid');
  if (error.keyword === 'additionalProperties') return new ParamError('body', `unknown field ${JSON.stringify(String(error.params.additionalProperty).slice(0, 40))}`);
  if (error.keyword === 'required') return new ParamError('body', `${String(error.params.missingProperty)} is missing`);
  const field = error.instancePath === '' ? 'body' : error.instancePath.slice(1).replace(/\//g, '.');
  return new ParamError(field, error.message ?? 'invalid');
}
