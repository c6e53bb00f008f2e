import { defineRoute, notFound, requireCaller, type HttpMethod, type Route } from '@cinemetrics/kit';
import { RatingsNotFoundError, UserRatingNotFoundError, type RatingController } from '../controller.js';
import { ratingAggregateSchema, ratingBody, ratingSchema, recordKeySchema } from '../model.js';

export function ratingRoutes(controller: RatingController): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/ratings/:recordType/:recordId',
      operationId: 'getRatingAggregate',
      summary: "Average and count of a record's ratings",
      tags: ['ratings'],
      request: { params: recordKeySchema },
      responses: {
        200: { description: 'The aggregate', schema: ratingAggregateSchema },
        404: { description: 'The record has no ratings' },
      },
      handler: async (ctx, { params }) => {
        try {
          ctx.body = await controller.aggregate(params);
        } catch (error) {
          if (error instanceof RatingsNotFoundError) {
            throw notFound(`No ratings for ${params.recordType} ${params.recordId}`);
          }
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'put',
      path: '/ratings/:recordType/:recordId',
      operationId: 'putRating',
      summary: "Create or replace the caller's rating of a record (idempotent)",
      tags: ['ratings'],
      auth: { usersOnly: true },
      request: { params: recordKeySchema, body: ratingBody },
      responses: {
        200: { description: 'Replaced', schema: ratingSchema },
        201: { description: 'Created', schema: ratingSchema },
      },
      handler: async (ctx, { params, body }) => {
        const { userId } = requireCaller(ctx);
        const rating = { recordType: params.recordType, recordId: params.recordId, userId, value: body.value };
        const outcome = await controller.put(rating);
        ctx.status = outcome === 'created' ? 201 : 200;
        ctx.body = rating;
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/ratings/:recordType/:recordId',
      operationId: 'deleteRating',
      summary: "Remove the caller's rating of a record",
      tags: ['ratings'],
      auth: { usersOnly: true },
      request: { params: recordKeySchema },
      responses: {
        204: { description: 'Removed' },
        404: { description: 'The caller has not rated the record' },
      },
      handler: async (ctx, { params }) => {
        const { userId } = requireCaller(ctx);
        try {
          await controller.delete(params, userId);
        } catch (error) {
          if (error instanceof UserRatingNotFoundError) {
            throw notFound(`The caller has not rated ${params.recordType} ${params.recordId}`);
          }
          throw error;
        }
        ctx.status = 204;
      },
    }),
  ];
}

/** Method and path template of every route the service registers (for tests and tooling). */
export function ratingOperations(routes: readonly Route[]): { method: HttpMethod; path: string }[] {
  return routes.map(({ method, path }) => ({ method, path }));
}
