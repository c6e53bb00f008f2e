import { defineRoute, notFound, queryInteger, validationFailed, type Route } from '@cinemetrics/kit';
import { z } from 'zod';
import { decodeCursor, InvalidCursorError, MetadataNotFoundError, type MetadataController } from '../controller.js';
import { metadataFields, metadataPageSchema, metadataSchema, recordId } from '../model.js';

const idParams = z.object({ id: recordId });

const listQuery = z.object({
  limit: queryInteger({ min: 1, max: 100 }).default(20).describe('Page size, 1-100'),
  cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page'),
});

const putBody = metadataFields.extend({
  id: recordId.optional().describe('When present, must equal the id in the path'),
});

export function metadataRoutes(controller: MetadataController): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/metadata/:id',
      operationId: 'getMetadata',
      summary: 'Get one movie record',
      tags: ['metadata'],
      request: { params: idParams },
      responses: { 200: { description: 'The record', schema: metadataSchema }, 404: { description: 'No such movie' } },
      handler: async (ctx, { params }) => {
        try {
          ctx.body = await controller.get(params.id);
        } catch (error) {
          if (error instanceof MetadataNotFoundError) throw notFound(`No movie with id ${params.id}`);
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metadata',
      operationId: 'listMetadata',
      summary: 'List movie records in id order (keyset pagination)',
      tags: ['metadata'],
      request: { query: listQuery },
      responses: { 200: { description: 'One page', schema: metadataPageSchema } },
      handler: async (ctx, { query }) => {
        let afterId: string | undefined;
        try {
          afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, (id) => recordId.safeParse(id).success);
        } catch (error) {
          if (error instanceof InvalidCursorError) {
            throw validationFailed([{ field: 'query.cursor', rule: 'invalid_cursor', message: error.message }]);
          }
          throw error;
        }
        ctx.body = await controller.list(query.limit, afterId);
      },
    }),
    defineRoute({
      method: 'put',
      path: '/metadata/:id',
      operationId: 'putMetadata',
      summary: 'Create or replace a movie record (idempotent)',
      tags: ['metadata'],
      auth: { roles: ['admin'] },
      request: { params: idParams, body: putBody },
      responses: {
        200: { description: 'Replaced', schema: metadataSchema },
        201: { description: 'Created', schema: metadataSchema },
      },
      handler: async (ctx, { params, body }) => {
        if (body.id !== undefined && body.id !== params.id) {
          throw validationFailed([{ field: 'body.id', rule: 'matches_path', message: 'must equal the id in the path' }]);
        }
        const { id: _sameAsPath, ...fields } = body;
        const metadata = { id: params.id, ...fields };
        const outcome = await controller.put(metadata);
        ctx.status = outcome === 'created' ? 201 : 200;
        if (outcome === 'created') ctx.set('location', `/metadata/${encodeURIComponent(params.id)}`);
        ctx.body = metadata;
      },
    }),
  ];
}
