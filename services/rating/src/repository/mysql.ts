import type { Database } from '@cinemetrics/kit';
import type { RowDataPacket } from 'mysql2/promise';
import type { Rating, RecordKey } from '../model.js';
import type { PutOutcome, RatingRepository, RatingSummary } from './repository.js';

interface SummaryRow extends RowDataPacket {
  average: number | string | null;
  count: number | string;
}

/**
 * AVG over an integer column is a DECIMAL rounded to 4 places (and arrives as a string); over a DOUBLE
 * it is the exact float mean, the same number the memory repository computes. The WHERE clause is a
 * prefix of the primary key, so this reads one index range.
 */
export const SUMMARY_SQL = `SELECT AVG(CAST(value AS DOUBLE)) AS average, COUNT(*) AS count
  FROM ratings WHERE record_type = ? AND record_id = ?`;

export class MysqlRatingRepository implements RatingRepository {
  constructor(private readonly database: Database) {}

  async summarize({ recordType, recordId }: RecordKey): Promise<RatingSummary | undefined> {
    const [row] = await this.database.query<SummaryRow>(SUMMARY_SQL, [recordType, recordId]);
    const count = Number(row?.count ?? 0);
    if (!row || count === 0 || row.average === null) return undefined;
    return { average: Number(row.average), count };
  }

  async put({ recordType, recordId, userId, value }: Rating): Promise<PutOutcome> {
    const result = await this.database.execute(
      `INSERT INTO ratings (record_type, record_id, user_id, value) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE value = VALUES(value)`,
      [recordType, recordId, userId, value],
    );
    // The kit's pool connects without CLIENT_FOUND_ROWS, so MySQL reports 1 affected row for an insert,
    // 2 for an update and 0 for an update that changed nothing.
    return result.affectedRows === 1 ? 'created' : 'replaced';
  }

  async delete({ recordType, recordId }: RecordKey, userId: string): Promise<boolean> {
    const result = await this.database.execute(
      'DELETE FROM ratings WHERE record_type = ? AND record_id = ? AND user_id = ?',
      [recordType, recordId, userId],
    );
    return result.affectedRows > 0;
  }
}
