import { defineRoute, notFound, type Route } from '@cinemetrics/kit';
import { z } from 'zod';
import { MovieNotFoundError, type MovieController } from '../controller.js';
import { movieDetailsSchema, movieId } from '../model.js';

const idParams = z.object({ id: movieId });

export function movieRoutes(controller: MovieController): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/movies/:id',
      operationId: 'getMovieDetails',
      summary: 'A movie with its aggregate rating; still answered, marked degraded, when ratings are unavailable',
      tags: ['movies'],
      request: { params: idParams },
      responses: {
        200: { description: 'The movie; `degraded` lists the parts left out', schema: movieDetailsSchema },
        404: { description: 'No such movie' },
      },
      handler: async (ctx, { params }) => {
        try {
          ctx.body = await controller.getMovieDetails(params.id);
        } catch (error) {
          if (error instanceof MovieNotFoundError) throw notFound(`No movie with id ${params.id}`);
          throw error;
        }
      },
    }),
  ];
}
