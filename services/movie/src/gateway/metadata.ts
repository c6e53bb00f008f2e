import type { DownstreamClient, ReadThroughCache } from '@cinemetrics/kit';
import type { MetadataGateway } from './gateway.js';
import { copyMetadata, metadataSchema, type Metadata } from '../model.js';
import { GatewayNotFoundError } from './errors.js';
import { getJson } from './http.js';

/** The metadata service over HTTP: `GET {METADATA_URL}/metadata/{id}`. */
export class HttpMetadataGateway implements MetadataGateway {
  constructor(private readonly client: DownstreamClient) {}

  async getMetadata(id: string): Promise<Metadata> {
    const answer = await getJson(this.client, `/metadata/${encodeURIComponent(id)}`, metadataSchema);
    if (answer.status === 'not_found') throw new GatewayNotFoundError(this.client.name, 'metadata for this movie');
    return answer.value;
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

  async getMetadata(id: string): Promise<Metadata> {
    const record = await this.cache.get(id, () => this.inner.getMetadata(id));
    // Callers may change what they get; the cached record must stay as the service sent it.
    return copyMetadata(record);
  }
}
