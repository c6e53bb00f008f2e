import type { Database } from '@cinemetrics/kit';
import type { RowDataPacket } from 'mysql2/promise';
import type { Metadata } from '../model.js';
import type { ListQuery, MetadataRepository, PutOutcome } from './repository.js';

interface MovieRow extends RowDataPacket {
  id: string;
  title: string;
  year: number | null;
  description: string | null;
  director: string | null;
  actors: string | string[];
}

const COLUMNS = 'id, title, year, description, director, actors';

function toMetadata(row: MovieRow): Metadata {
  return {
    id: row.id,
    title: row.title,
    year: row.year,
    description: row.description ?? '',
    director: row.director ?? '',
    // MariaDB returns JSON columns as text, MySQL as parsed values.
    actors: typeof row.actors === 'string' ? (JSON.parse(row.actors) as string[]) : row.actors,
  };
}

export class MysqlMetadataRepository implements MetadataRepository {
  constructor(private readonly database: Database) {}

  async get(id: string): Promise<Metadata | undefined> {
    const rows = await this.database.query<MovieRow>(`SELECT ${COLUMNS} FROM movies WHERE id = ?`, [id]);
    return rows[0] && toMetadata(rows[0]);
  }

  async put(metadata: Metadata): Promise<PutOutcome> {
    const result = await this.database.execute(
      `INSERT INTO movies (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE title = VALUES(title), year = VALUES(year), description = VALUES(description),
         director = VALUES(director), actors = VALUES(actors)`,
      [metadata.id, metadata.title, metadata.year, metadata.description, metadata.director, JSON.stringify(metadata.actors)],
    );
    // MySQL reports 1 affected row for an insert, 2 for an update and 0 for an update that changed nothing.
    return result.affectedRows === 1 ? 'created' : 'replaced';
  }

  async list({ limit, afterId }: ListQuery): Promise<Metadata[]> {
    const rows =
      afterId === undefined
        ? await this.database.query<MovieRow>(`SELECT ${COLUMNS} FROM movies ORDER BY id LIMIT ?`, [limit])
        : await this.database.query<MovieRow>(`SELECT ${COLUMNS} FROM movies WHERE id > ? ORDER BY id LIMIT ?`, [afterId, limit]);
    return rows.map(toMetadata);
  }
}
