import { Dataset, type Movie } from '../dataset.js';
import { DEMO_DATASET } from './config.js';
import type { ServicePorts } from './services.js';

const SAMPLE_TIMEOUT_MS = 5_000;

/** One line showing the movie service combining metadata and rating for the first demo movie. */
export async function sampleLine(all: ServicePorts[]): Promise<string> {
  const movie: Movie = new Dataset(DEMO_DATASET).movie(0);
  const port = all.find((s) => s.name === 'movie')?.port ?? 0;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/movies/${movie.id}`, { signal: AbortSignal.timeout(SAMPLE_TIMEOUT_MS) });
    const body = (await response.json()) as { rating?: { average?: number; count?: number } | null };
    if (response.status !== 200) return `GET /movies/${movie.id} answered ${response.status}`;
    const rating = body.rating ? `${(body.rating.average ?? 0).toFixed(2)} from ${body.rating.count} ratings` : 'no ratings yet';
    return `${movie.id} "${movie.title}" (${movie.year}): ${rating}`;
  } catch (error) {
    return `GET /movies/${movie.id} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}
