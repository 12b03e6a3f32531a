import { describe, expect, it } from 'vitest';
import { documentedOperations } from './openapi.js';
import { SCHEMAS } from './schemas.js';
import { checkBody, documentAjv, DOCUMENT_ID, schemaValidator } from './validate.js';

describe('the document compiled by Ajv (strict)', () => {
  it('compiles every schema and every response schema of every operation', () => {
    for (const name of Object.keys(SCHEMAS)) expect(typeof schemaValidator(name)).toBe('function');
    const ajv = documentAjv();
    let responses = 0;
    for (const op of documentedOperations()) {
      for (const status of op.statuses) {
        const pointer = `${DOCUMENT_ID}#/paths/${op.path.replace(/\//g, '~1')}/${op.method.toLowerCase()}/responses/${status}/content`;
        expect(ajv.getSchema(`${pointer}/application~1json/schema`) ?? ajv.getSchema(`${pointer}/text~1csv/schema`), `${op.method} ${op.path} ${status}`).toBeTypeOf('function');
        responses++;
      }
    }
    expect(responses).toBeGreaterThan(60);
  });

  it('checks list bodies, naming the field', () => {
    expect(() => checkBody('ListAdd', { name: 'example.com', comment: 'ours' })).not.toThrow();
    expect(() => checkBody('ListRemove', { comment: 'fixed' })).not.toThrow();
    expect(() => checkBody('ListRemove', undefined)).toThrow(/^body: must be object$/);
    expect(() => checkBody('ListRemove', { comment: '' })).toThrow(/^comment: must NOT have fewer than 1 characters$/);
    expect(() => checkBody('ListAdd', { name: 3, comment: 'c' })).toThrow(/^name: must be string$/);
    expect(() => checkBody('ListAdd', { name: 'a' })).toThrow(/^body: comment is missing$/);
    expect(() => checkBody('ListAdd', { name: 'a', comment: 'c', admin: true })).toThrow(/^body: unknown field "admin"$/);
    expect(() => checkBody('ListAdd', ['a'])).toThrow(/^body: must be object$/);
    expect(() => checkBody('ListRemove', { comment: 'x'.repeat(501) })).toThrow(/^comment: must NOT have more than 500 characters$/);
  });
});
