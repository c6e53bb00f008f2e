import type { DownstreamClient, ReadThroughCache } from '@cinemetrics/kit';
import type { CallContext, MetadataGateway } from './gateway.js';
import { metadataSchema, type Metadata } from '../model.js';
import { GatewayNotFoundError } from './errors.js';
import { checkAlive, getJson } from './http.js';

/** The metadata service over HTTP: `GET {METADATA_URL}/metadata/{id}`. */
export class HttpMetadataGateway implements MetadataGateway {
  constructor(private readonly client: DownstreamClient) {}

  async getMetadata(id: string, context: CallContext): Promise<Metadata> {
    const answer = await getJson(this.client, `/metadata/${encodeURIComponent(id)}`, metadataSchema, context);
    if (answer.status === 'not_found') throw new GatewayNotFoundError(this.client.name, 'metadata for this movie');
    return answer.value;
  }

  /** The service answers at all (its own dependencies are its business). */
  alive(timeoutMs: number): Promise<void> {
    return checkAlive(this.client, timeoutMs);
  }
}

/**
 * Metadata through a read-through cache: a hit never reaches the metadata service. Only found records
 * are kept (a missing movie may be created any moment; a failure is not an answer).
 */
export class CachedMetadataGateway implements MetadataGateway {
  constructor(
    private readonly inner: MetadataGateway,
    private readonly cache: ReadThroughCache<Metadata>,
  ) {}

  async getMetadata(id: string, context: CallContext): Promise<Metadata> {
    const record = await this.cache.get(id, () => this.inner.getMetadata(id, context));
    // Callers may change what they get; the cached record must stay as the service sent it.
    return structuredClone(record);
  }
}
