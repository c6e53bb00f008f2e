import { RECORD_TYPE, movieId, mulberry32 } from '../dataset.js';
import { LOAD_USERS, type LoadOptions } from './options.js';

export interface PlannedRequest {
  /** The kind of user action, reported in the summary. */
  action: 'details' | 'browse' | 'read-rating' | 'rate';
  method: 'GET' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** The user who sends it (signed in, with a bearer token), for writes. */
  username?: string;
}

/** How often each action happens: mostly reading, some browsing, a few ratings. */
const WEIGHTS: readonly [PlannedRequest['action'], number][] = [
  ['details', 0.55],
  ['browse', 0.2],
  ['read-rating', 0.15],
  ['rate', 0.1],
];

/** Users mistype and follow stale links: a small share of detail reads ask for ids that do not exist. */
const UNKNOWN_ID_SHARE = 0.02;
const PAGE_SIZES = [10, 20, 50] as const;

export interface ServiceUrls {
  movie: string;
  metadata: string;
  rating: string;
  auth: string;
}

export function serviceUrls(basePort: number, serviceHosts = false): ServiceUrls {
  const at = (service: keyof ServiceUrls, offset: number): string => `http://${serviceHosts ? service : '127.0.0.1'}:${basePort + offset}`;
  return { metadata: at('metadata', 1), rating: at('rating', 2), movie: at('movie', 3), auth: at('auth', 4) };
}

/** The request sequence: deterministic for a seed, so two runs send the same traffic. Without `writes`, ratings become detail reads. */
export class Scenario {
  private readonly random: () => number;
  private readonly hotCount: number;

  constructor(
    private readonly options: LoadOptions,
    private readonly urls: ServiceUrls,
    private readonly writes = true,
  ) {
    this.random = mulberry32(options.seed);
    this.hotCount = Math.max(1, Math.round(options.movies / 10));
  }

  next(): PlannedRequest {
    const action = this.pickAction();
    switch (action) {
      case 'details': {
        const id = this.random() < UNKNOWN_ID_SHARE ? movieId(9_000_000 + Math.floor(this.random() * 999_999)) : this.pickId();
        return { action, method: 'GET', url: `${this.urls.movie}/movies/${id}`, headers: {} };
      }
      case 'browse': {
        const limit = PAGE_SIZES[Math.floor(this.random() * PAGE_SIZES.length)] ?? 20;
        return { action, method: 'GET', url: `${this.urls.metadata}/metadata?limit=${limit}`, headers: {} };
      }
      case 'read-rating':
        return { action, method: 'GET', url: `${this.urls.rating}/ratings/${RECORD_TYPE}/${this.pickId()}`, headers: {} };
      case 'rate': {
        const username = `load-user-${1 + Math.floor(this.random() * LOAD_USERS)}`;
        const value = 1 + Math.floor(this.random() * 5);
        const url = `${this.urls.rating}/ratings/${RECORD_TYPE}/${this.pickId()}`;
        if (!this.writes) return { action: 'details', method: 'GET', url: `${this.urls.movie}/movies/${this.pickId()}`, headers: {} };
        return { action, method: 'PUT', url, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value }), username };
      }
    }
  }

  private pickAction(): PlannedRequest['action'] {
    let roll = this.random();
    for (const [action, weight] of WEIGHTS) {
      if (roll < weight) return action;
      roll -= weight;
    }
    return 'details';
  }

  /** Hot ids (the first tenth) get hotShare of the reads; the rest spread evenly over all ids. */
  private pickId(): string {
    const hot = this.random() < this.options.hotShare;
    const range = hot ? this.hotCount : this.options.movies;
    return movieId(Math.floor(this.random() * range));
  }
}
