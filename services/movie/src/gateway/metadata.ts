import type { CallContext, MetadataGateway } from '../controller.js';
import { metadataSchema, type Metadata } from '../model.js';
import { GatewayNotFoundError } from './errors.js';
import { checkAlive, getJson, type DownstreamOptions } from './http.js';

/** The metadata service over HTTP: `GET {METADATA_URL}/metadata/{id}`. */
export class HttpMetadataGateway implements MetadataGateway {
  constructor(private readonly options: DownstreamOptions) {}

  async getMetadata(id: string, context: CallContext): Promise<Metadata> {
    const answer = await getJson(this.options, `/metadata/${encodeURIComponent(id)}`, metadataSchema, context);
    if (answer.status === 'not_found') throw new GatewayNotFoundError(this.options.peer, 'metadata for this movie');
    return answer.value;
  }

  /** For the readiness check: the service answers at all (its own dependencies are its business). */
  alive(timeoutMs: number): Promise<void> {
    return checkAlive(this.options, timeoutMs);
  }
}
