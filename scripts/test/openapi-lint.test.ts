import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { lintDocuments, SERVED_DOCUMENTS_DIRECTORY, writeServedDocuments } from '../src/openapi/lint.js';

type Operation = { security?: unknown[]; responses: Record<string, unknown> };
type Document = { paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI documents the services serve', () => {
  let files: string[];
  before(async () => {
    files = await writeServedDocuments();
  });

  const served = async (service: string): Promise<Document> =>
    JSON.parse(await readFile(path.join(SERVED_DOCUMENTS_DIRECTORY, `${service}.json`), 'utf8')) as Document;

  test("pass Redocly's recommended rules, warnings included (npm run lint:openapi)", async () => {
    assert.deepEqual(files.map((file) => path.basename(file)).sort(), ['auth.json', 'metadata.json', 'movie.json', 'rating.json']);
    const { code, text } = await lintDocuments(files);
    assert.equal(code, 0, text);
    assert.match(text, /Your API descriptions are valid/);
  });

  test('the lint fails a document that breaks a rule (the configuration is in force)', async () => {
    const broken = path.join(SERVED_DOCUMENTS_DIRECTORY, 'broken.json');
    const { servers: _servers, ...withoutServers } = JSON.parse(await readFile(files[0] ?? '', 'utf8')) as Record<string, unknown>;
    await writeFile(broken, JSON.stringify(withoutServers));
    const { code, text } = await lintDocuments([broken]);
    assert.notEqual(code, 0);
    assert.match(text, /no-empty-servers/);
  });

  test('declare who may call: admins write metadata, people rate, everything else is public', async () => {
    const bearer = [{ bearerAuth: [] }];
    const metadata = (await served('metadata')).paths;
    assert.deepEqual(metadata['/metadata/{id}']?.['put']?.security, bearer);
    assert.ok(metadata['/metadata/{id}']?.['put']?.responses['403']);
    assert.deepEqual(metadata['/metadata/{id}']?.['get']?.security, []);
    assert.deepEqual(metadata['/metadata']?.['get']?.security, []);
    const ratings = (await served('rating')).paths['/ratings/{recordType}/{recordId}'];
    for (const method of ['put', 'delete']) {
      assert.deepEqual(ratings?.[method]?.security, bearer, method);
      assert.ok(ratings?.[method]?.responses['403'], method);
    }
    assert.deepEqual(ratings?.['get']?.security, []);
    assert.deepEqual((await served('movie')).paths['/movies/{id}']?.['get']?.security, []);
  });
});
