/**
 * Deterministic, realistic-looking test data: movies and the ratings users gave them.
 *
 * Everything derives from one integer seed through mulberry32 streams keyed by (seed, purpose, index),
 * so the same seed and counts always give byte-identical data, a movie can be built on its own
 * (`dataset.movie(i)`) and the rating stream is produced lazily (`dataset.ratings()`): 200k ratings
 * never sit in memory at once. Only IEEE-exact arithmetic is used (+ - * / floor sqrt, no Math.random,
 * no log/exp/pow), so results do not depend on the JavaScript engine's transcendental functions.
 *
 * Ratings: every (movie, user) pair occurs at most once. Movie popularity and user activity are
 * long-tailed (weights 1/(rank + c) over a seeded shuffle, so popular movies are not simply the first
 * ids); values lean high the way real ratings do (mode 4, mean about 3.5), shifted per movie (quality)
 * and per user (harshness). The stream is ordered by (movie id, user id), which is the ratings table's
 * primary key order, so bulk inserts append instead of splitting pages.
 */

export const RECORD_TYPE = 'movie';
export const MIN_YEAR = 1920;
export const MAX_YEAR = 2025;
export const MAX_MOVIES = 1_000_000;
export const MAX_RATINGS = 20_000_000;
/** When the user count is not given: about this many ratings per user on average. */
export const RATINGS_PER_USER = 25;

export interface Movie {
  id: string;
  title: string;
  year: number;
  description: string;
  director: string;
  actors: string[];
}

export type RatingValue = 1 | 2 | 3 | 4 | 5;

export interface Rating {
  recordType: typeof RECORD_TYPE;
  recordId: string;
  userId: string;
  value: RatingValue;
  /** Whole seconds, UTC, between the movie's release year (at the earliest 2005) and the end of 2025. */
  updatedAt: Date;
}

export interface DatasetOptions {
  seed: number;
  movies: number;
  ratings: number;
  /** Defaults to defaultUserCount(movies, ratings). */
  users?: number;
}

// ---------------------------------------------------------------------------------------------
// Random numbers

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** MurmurHash3-style mixing of 32-bit integers into one 32-bit stream key. */
export function hash32(...values: number[]): number {
  let h = 0x9747b28c;
  for (const value of values) {
    let k = Math.imul(value | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= values.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

class Random {
  private readonly next: () => number;

  constructor(key: number) {
    this.next = mulberry32(key);
  }

  float(): number {
    return this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Approximately standard normal (Irwin-Hall of four uniforms, rescaled); exact arithmetic only. */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * 1.7320508075688772;
  }
}

// Stream purposes, mixed into every key so streams never overlap.
const STREAM_MOVIE = 1;
const STREAM_POPULARITY = 2;
const STREAM_USERS = 3;
const STREAM_USER_BIAS = 4;
const STREAM_MOVIE_RATINGS = 5;

// ---------------------------------------------------------------------------------------------
// Word lists

const ADJECTIVES = [
  'Silent', 'Broken', 'Golden', 'Last', 'Hidden', 'Crimson', 'Endless', 'Forgotten', 'Burning', 'Lonely',
  'Wild', 'Frozen', 'Midnight', 'Electric', 'Velvet', 'Savage', 'Quiet', 'Distant', 'Shattered', 'Secret',
  'Black', 'Scarlet', 'Bitter', 'Restless', 'Invisible', 'Sweet', 'Stolen', 'Final', 'Northern', 'Paper',
  'Iron', 'Glass', 'Hollow', 'Wandering', 'Eternal', 'Little', 'Dangerous', 'Perfect', 'Crooked', 'Blue',
];
const NOUNS = [
  'River', 'Empire', 'Shadow', 'Garden', 'Horizon', 'Promise', 'Storm', 'Kingdom', 'Harbor', 'Winter',
  'Mirror', 'Witness', 'Stranger', 'Journey', 'Frontier', 'Letter', 'Orchard', 'Highway', 'Signal', 'Island',
  'Lighthouse', 'Carnival', 'Heart', 'Machine', 'Mountain', 'Summer', 'Covenant', 'Echo', 'Crown', 'Desert',
  'Station', 'Ghost', 'Symphony', 'Engine', 'Circus', 'Legacy', 'Fortune', 'Inheritance', 'Tide', 'Compass',
];
const PLURALS = [
  'Wolves', 'Stars', 'Kings', 'Lovers', 'Strangers', 'Saints', 'Thieves', 'Angels', 'Giants', 'Shadows',
  'Roses', 'Rivers', 'Dreams', 'Ashes', 'Echoes', 'Sparrows', 'Lions', 'Ghosts', 'Islands', 'Storms',
];
const PLACES = [
  'Lisbon', 'Casablanca', 'Tokyo', 'Berlin', 'Havana', 'Marseille', 'Istanbul', 'Brooklyn', 'Nairobi', 'Oslo',
  'Vienna', 'Bombay', 'Shanghai', 'Montana', 'Naples', 'Alaska', 'Mexico City', 'Saigon', 'Budapest', 'Tangier',
  'Patagonia', 'Sicily', 'Manhattan', 'Reykjavik', 'Seoul', 'Cairo', 'Dublin', 'Texas', 'Kyoto', 'Prague',
];
const FIRST_NAMES = [
  'James', 'Mary', 'Akira', 'Sofia', 'Pedro', 'Ingrid', 'Marcello', 'Grace', 'Satyajit', 'Agnes',
  'Federico', 'Jeanne', 'Wong', 'Chloe', 'Kenji', 'Isabella', 'Luis', 'Greta', 'Bong', 'Claire',
  'Denzel', 'Meryl', 'Toshiro', 'Anouk', 'Omar', 'Liv', 'Alfonso', 'Catherine', 'Yasujiro', 'Frances',
  'Rajesh', 'Monica', 'Ethan', 'Juliette', 'Hirokazu', 'Nadia', 'Kwame', 'Lea', 'Tilda', 'Gael',
  'Viola', 'Mads', 'Penelope', 'Song', 'Amara', 'Lars', 'Zhang', 'Emma', 'Carlos', 'Aisha',
];
const LAST_NAMES = [
  'Harrow', 'Kurosawa', 'Almeida', 'Bergman', 'Rossi', 'Kelly', 'Ray', 'Varda', 'Fellini', 'Moreau',
  'Kar-wai', 'Laurent', 'Watanabe', 'Conti', 'Buñuel', 'Garbo', 'Joon-ho', 'Denis', 'Washington', 'Streep',
  'Mifune', 'Aimée', 'Sharif', 'Ullmann', 'Cuarón', 'Deneuve', 'Ozu', 'McDormand', 'Khanna', 'Vitti',
  'Hawke', 'Binoche', 'Koreeda', 'Haddad', 'Mensah', 'Seydoux', 'Swinton', 'García', 'Davis', 'Mikkelsen',
  'Cruz', 'Kang-ho', 'Okafor', 'von Trier', 'Yimou', 'Stone', 'Oliveira', 'Nakamura', 'Lindqvist', 'Fischer',
];
const ROLE_ADJECTIVES = [
  'retired', 'disgraced', 'young', 'reluctant', 'grieving', 'ambitious', 'lonely', 'brilliant', 'small-town',
  'exiled', 'stubborn', 'idealistic', 'aging', 'headstrong', 'washed-up', 'shy', 'restless', 'fearless',
];
const ROLES = [
  'detective', 'nurse', 'pilot', 'chef', 'schoolteacher', 'boxer', 'smuggler', 'astronaut', 'journalist',
  'violinist', 'farmer', 'hacker', 'widow', 'soldier', 'lawyer', 'magician', 'lighthouse keeper', 'taxi driver',
  'architect', 'con artist', 'surgeon', 'ballerina', 'truck driver', 'priest', 'cartographer', 'bank clerk',
];
const ACTIONS = [
  'must protect', 'sets out to find', 'falls for', 'tries to expose', 'teams up with', 'is haunted by',
  'races to rescue', 'plots revenge against', 'befriends', 'hunts down', 'takes in', 'must outwit',
  'goes on the run with', 'risks everything for', 'uncovers the truth about', 'clashes with',
];
const OBJECTS = [
  'a runaway heiress', 'a mysterious stranger', 'a corrupt mayor', 'an old rival', 'a stolen painting',
  'a missing sister', 'a band of outlaws', 'a rogue AI', 'a wounded wolf', 'a charming impostor',
  'a secret society', 'an estranged father', 'a child prodigy', 'a ruthless cartel', 'a forgotten war hero',
  'a travelling circus', 'a dying millionaire', 'a ghost from the past', 'a rebellious student', 'an alien envoy',
];
const SETTINGS = [
  'before the storm reaches the coast', 'while a war closes in', 'during one long winter night',
  'on the eve of a royal wedding', 'as their own past catches up with them', 'in a town that keeps its secrets',
  'across a continent in turmoil', 'before the last train leaves', 'in the shadow of a collapsing empire',
  'over one unforgettable summer', 'while the whole city watches', 'with nothing left to lose',
  'in the final days of the season', 'as the floodwaters rise', 'far from everyone they know',
];
const SEQUELS = [' II', ' III', ': Part Two', ' Returns'];

// ---------------------------------------------------------------------------------------------
// Dataset

/** tt0000001, tt0000002, ... (index is 0-based). */
export function movieId(index: number): string {
  return `tt${String(index + 1).padStart(7, '0')}`;
}

/** About RATINGS_PER_USER ratings per user, and enough users that the ratings fit (one per movie each). */
export function defaultUserCount(movies: number, ratings: number): number {
  return Math.max(1, Math.ceil(ratings / Math.min(RATINGS_PER_USER, Math.max(1, movies))));
}

/** The reasons `options` cannot describe a dataset, empty when it can. */
export function datasetProblems(options: DatasetOptions): string[] {
  const problems: string[] = [];
  const integerIn = (name: string, value: number, min: number, max: number): void => {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got ${value})`);
    }
  };
  integerIn('seed', options.seed, 0, 0xffffffff);
  integerIn('movies', options.movies, 1, MAX_MOVIES);
  integerIn('ratings', options.ratings, 0, MAX_RATINGS);
  if (options.users !== undefined) integerIn('users', options.users, 1, MAX_RATINGS);
  if (problems.length === 0) {
    const users = options.users ?? defaultUserCount(options.movies, options.ratings);
    if (options.ratings > options.movies * users) {
      problems.push(
        `ratings (${options.ratings}) cannot exceed movies × users (${options.movies} × ${users}): each user rates a movie at most once`,
      );
    }
  }
  return problems;
}

interface RatingPlan {
  /** Ratings per movie, by movie index. */
  perMovie: Int32Array;
  /** Cumulative user activity weights, by activity rank (for weighted sampling). */
  userCdf: Float64Array;
  /** Activity rank → user index. */
  userByRank: Int32Array;
  /** Per-user offset to the value (harsh or generous raters), by user index. */
  userBias: Float64Array;
}

export class Dataset {
  readonly seed: number;
  readonly movieCount: number;
  readonly ratingCount: number;
  readonly userCount: number;
  private readonly userIdWidth: number;
  private plan: RatingPlan | undefined;

  constructor(options: DatasetOptions) {
    const problems = datasetProblems(options);
    if (problems.length > 0) throw new RangeError(`Invalid dataset options: ${problems.join('; ')}`);
    this.seed = options.seed;
    this.movieCount = options.movies;
    this.ratingCount = options.ratings;
    this.userCount = options.users ?? defaultUserCount(options.movies, options.ratings);
    this.userIdWidth = Math.max(5, String(this.userCount).length);
  }

  /** user00001, user00002, ... (index is 0-based; wider when there are more than 99999 users). */
  userId(index: number): string {
    return `user${String(index + 1).padStart(this.userIdWidth, '0')}`;
  }

  /** The movie at `index` (0-based), built on its own: cheap random access. */
  movie(index: number): Movie {
    if (!Number.isInteger(index) || index < 0 || index >= this.movieCount) {
      throw new RangeError(`movie index ${index} is outside 0..${this.movieCount - 1}`);
    }
    const random = new Random(hash32(this.seed, STREAM_MOVIE, index));
    // Density rising linearly towards the present: more films get made (and listed) every decade.
    const year = MIN_YEAR + Math.floor((MAX_YEAR - MIN_YEAR + 1) * Math.sqrt(random.float()));
    const title = makeTitle(random);
    const director = personName(random);
    const actors: string[] = [];
    const actorCount = 2 + random.int(5);
    while (actors.length < actorCount) {
      const name = personName(random);
      if (name !== director && !actors.includes(name)) actors.push(name);
    }
    return { id: movieId(index), title, year, description: makeDescription(random), director, actors };
  }

  /** Every movie in id order, built one at a time. */
  *movies(): Generator<Movie> {
    for (let index = 0; index < this.movieCount; index += 1) yield this.movie(index);
  }

  /** How many ratings the movie at `index` gets. */
  ratingsOfMovie(index: number): number {
    return this.ratingPlan().perMovie[index] ?? 0;
  }

  /**
   * Every rating, lazily, ordered by (movie id, user id). Building the plan takes O(movies + users)
   * memory once; the ratings themselves are produced one movie at a time.
   */
  *ratings(): Generator<Rating> {
    const plan = this.ratingPlan();
    const users = this.userCount;
    const chosen = new Set<number>();
    for (let movieIndex = 0; movieIndex < this.movieCount; movieIndex += 1) {
      const count = plan.perMovie[movieIndex] ?? 0;
      if (count === 0) continue;
      const random = new Random(hash32(this.seed, STREAM_MOVIE_RATINGS, movieIndex));
      const quality = 0.55 * random.normal();
      const selected = chooseUsers(random, count, users, plan, chosen);
      const recordId = movieId(movieIndex);
      const from = Math.max(Date.UTC(2005, 0, 1), Date.UTC(this.movie(movieIndex).year, 0, 1)) / 1000;
      const until = Date.UTC(MAX_YEAR, 11, 31, 23, 59, 59) / 1000;
      for (const userIndex of selected) {
        const latent = 3.65 + quality + (plan.userBias[userIndex] ?? 0) + 0.95 * random.normal();
        const value = Math.min(5, Math.max(1, Math.round(latent))) as RatingValue;
        const seconds = from + Math.floor(random.float() * (until - from));
        yield { recordType: RECORD_TYPE, recordId, userId: this.userId(userIndex), value, updatedAt: new Date(seconds * 1000) };
      }
    }
  }

  private ratingPlan(): RatingPlan {
    if (this.plan) return this.plan;
    const movies = this.movieCount;
    const users = this.userCount;

    // Popularity: weight 1/(rank + 10) over a seeded shuffle of the movies, capped at one rating per user.
    const popularity = new Random(hash32(this.seed, STREAM_POPULARITY));
    const movieByRank = shuffledIndexes(movies, popularity);
    const movieWeights = new Float64Array(movies);
    for (let rank = 0; rank < movies; rank += 1) movieWeights[rank] = 1 / (rank + 10);
    const perRank = allocate(this.ratingCount, movieWeights, users);
    const perMovie = new Int32Array(movies);
    for (let rank = 0; rank < movies; rank += 1) perMovie[movieByRank[rank] ?? 0] = perRank[rank] ?? 0;

    // Activity: weight 1/(rank + 20) over a seeded shuffle of the users.
    const activity = new Random(hash32(this.seed, STREAM_USERS));
    const userByRank = shuffledIndexes(users, activity);
    const userCdf = new Float64Array(users);
    let total = 0;
    for (let rank = 0; rank < users; rank += 1) {
      total += 1 / (rank + 20);
      userCdf[rank] = total;
    }
    const userBias = new Float64Array(users);
    for (let user = 0; user < users; user += 1) {
      userBias[user] = 0.4 * new Random(hash32(this.seed, STREAM_USER_BIAS, user)).normal();
    }
    this.plan = { perMovie, userCdf, userByRank, userBias };
    return this.plan;
  }
}

/** Groups `items` into arrays of `size` (the last one may be shorter), pulling lazily. */
export function* inBatches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer (got ${size})`);
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function personName(random: Random): string {
  return `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`;
}

function makeTitle(random: Random): string {
  let title: string;
  switch (random.int(9)) {
    case 0:
    case 1:
      title = `The ${random.pick(ADJECTIVES)} ${random.pick(NOUNS)}`;
      break;
    case 2:
      title = `${random.pick(NOUNS)} of ${random.pick(PLURALS)}`;
      break;
    case 3:
      title = `${random.pick(ADJECTIVES)} ${random.pick(PLURALS)}`;
      break;
    case 4:
      title = `The ${random.pick(NOUNS)}`;
      break;
    case 5:
      title = `${random.pick(PLACES)} ${random.pick(NOUNS)}`;
      break;
    case 6:
      title = `${random.pick(FIRST_NAMES)}'s ${random.pick(NOUNS)}`;
      break;
    case 7:
      title = `A ${random.pick(NOUNS)} in ${random.pick(PLACES)}`;
      break;
    default:
      title = `${random.pick(PLURALS)} and ${random.pick(PLURALS)}`;
  }
  return random.chance(0.04) ? title + random.pick(SEQUELS) : title;
}

function makeDescription(random: Random): string {
  const adjective = random.pick(ROLE_ADJECTIVES);
  const article = /^[aeiou]/i.test(adjective) ? 'An' : 'A';
  return `${article} ${adjective} ${random.pick(ROLES)} ${random.pick(ACTIONS)} ${random.pick(OBJECTS)} ${random.pick(SETTINGS)}.`;
}

/** A seeded Fisher-Yates shuffle of 0..n-1. */
function shuffledIndexes(n: number, random: Random): Int32Array {
  const indexes = new Int32Array(n);
  for (let i = 0; i < n; i += 1) indexes[i] = i;
  for (let i = n - 1; i > 0; i -= 1) {
    const j = random.int(i + 1);
    const swap = indexes[i] ?? 0;
    indexes[i] = indexes[j] ?? 0;
    indexes[j] = swap;
  }
  return indexes;
}

/**
 * Splits `total` over the items in proportion to `weights` (largest first), no item above `cap`.
 * The caller guarantees total <= items × cap.
 */
function allocate(total: number, weights: Float64Array, cap: number): Int32Array {
  const n = weights.length;
  const counts = new Int32Array(n);
  let remaining = total;
  while (remaining > 0) {
    let open = 0;
    for (let i = 0; i < n; i += 1) if ((counts[i] ?? 0) < cap) open += weights[i] ?? 0;
    const pool = remaining;
    let added = 0;
    for (let i = 0; i < n && added < pool; i += 1) {
      const count = counts[i] ?? 0;
      if (count >= cap) continue;
      const add = Math.min(cap - count, Math.floor((pool * (weights[i] ?? 0)) / open), pool - added);
      counts[i] = count + add;
      added += add;
    }
    remaining -= added;
    // Rounding left a remainder smaller than any proportional share: hand it out one by one, heaviest first.
    for (let i = 0; i < n && remaining > 0 && added === 0; i += 1) {
      if ((counts[i] ?? 0) < cap) {
        counts[i] = (counts[i] ?? 0) + 1;
        remaining -= 1;
      }
    }
  }
  return counts;
}

/** `count` distinct user indexes, weighted by activity, in ascending order. */
function chooseUsers(random: Random, count: number, users: number, plan: RatingPlan, chosen: Set<number>): Int32Array {
  const result = new Int32Array(count);
  if (count * 3 >= users) {
    // Most users rate this movie: a partial shuffle is exact and cheap.
    const all = shuffledPrefix(users, count, random);
    result.set(all.subarray(0, count));
  } else {
    chosen.clear();
    const total = plan.userCdf[users - 1] ?? 1;
    for (let attempt = 0; chosen.size < count && attempt < count * 50; attempt += 1) {
      chosen.add(plan.userByRank[lowerBound(plan.userCdf, random.float() * total)] ?? 0);
    }
    // Practically unreachable; keeps the loop bounded whatever the weights.
    for (let user = random.int(users); chosen.size < count; user = (user + 1) % users) chosen.add(user);
    let i = 0;
    for (const user of chosen) result[i++] = user;
  }
  return result.sort();
}

/** The first `count` entries of a seeded shuffle of 0..n-1. */
function shuffledPrefix(n: number, count: number, random: Random): Int32Array {
  const indexes = new Int32Array(n);
  for (let i = 0; i < n; i += 1) indexes[i] = i;
  for (let i = 0; i < count; i += 1) {
    const j = i + random.int(n - i);
    const swap = indexes[i] ?? 0;
    indexes[i] = indexes[j] ?? 0;
    indexes[j] = swap;
  }
  return indexes;
}

/** First index whose cumulative weight exceeds `target`. */
function lowerBound(cdf: Float64Array, target: number): number {
  let low = 0;
  let high = cdf.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((cdf[mid] ?? 0) > target) high = mid;
    else low = mid + 1;
  }
  return low;
}
