import type { Metadata, MetadataPage } from './model.js';
import type { MetadataRepository, PutOutcome } from './repository/repository.js';

export class MetadataNotFoundError extends Error {
  constructor(readonly id: string) {
    super('movie metadata not found');
    this.name = 'MetadataNotFoundError';
  }
}

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this service issued');
    this.name = 'InvalidCursorError';
  }
}

/** Cursors are opaque to clients: the last id of a page, base64url-encoded. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, isValidId: (id: string) => boolean): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isValidId(id) || encodeCursor(id) !== cursor) throw new InvalidCursorError();
  return id;
}

export class MetadataController {
  constructor(private readonly repository: MetadataRepository) {}

  async get(id: string): Promise<Metadata> {
    const metadata = await this.repository.get(id);
    if (!metadata) throw new MetadataNotFoundError(id);
    return metadata;
  }

  async put(metadata: Metadata): Promise<PutOutcome> {
    return this.repository.put(metadata);
  }

  /** One page in id order; `afterId` comes from the previous page's cursor. */
  async list(limit: number, afterId: string | undefined): Promise<MetadataPage> {
    // One extra row tells whether another page exists without a second query.
    const rows = await this.repository.list({ limit: limit + 1, ...(afterId === undefined ? {} : { afterId }) });
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
  }
}
