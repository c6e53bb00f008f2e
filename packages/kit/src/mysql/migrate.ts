import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { Logger } from 'pino';
import type { Database } from './database.js';

const MIGRATION_FILE = /^(\d+)_([a-z0-9_]+)\.sql$/;

export interface Migration {
  file: string;
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(directory: string): Promise<Migration[]> {
  const files = (await readdir(directory)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = MIGRATION_FILE.exec(file);
    if (!match) throw new Error(`Migration file name ${file} must look like 001_create_things.sql`);
    const sql = await readFile(path.join(directory, file), 'utf8');
    migrations.push({
      file,
      version: Number(match[1]),
      name: match[2] ?? file,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`Duplicate migration versions in ${directory}`);
  return migrations;
}

interface AppliedRow extends RowDataPacket {
  version: number;
  checksum: string;
}

/**
 * Applies pending migrations in version order and records each in `schema_migrations`. A named lock
 * keeps two instances starting together from racing; a changed, already-applied file stops start-up.
 */
export async function migrate(database: Database, directory: string, logger: Logger): Promise<number> {
  const migrations = await readMigrations(directory);
  const lockName = `${database.name}.schema_migrations`;
  return database.withConnection((connection) => applyUnderLock(connection, lockName, migrations, logger));
}

async function applyUnderLock(connection: PoolConnection, lockName: string, migrations: Migration[], logger: Logger): Promise<number> {
  try {
    const [[lock]] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, 60) AS acquired', [lockName]);
    if (lock?.['acquired'] !== 1) throw new Error('Could not take the migration lock within 60 s');
    await connection.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INT PRIMARY KEY,
      name VARCHAR(255) NOT NULL,
      checksum CHAR(64) NOT NULL,
      applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
    )`);
    const [appliedRows] = await connection.query<AppliedRow[]>('SELECT version, checksum FROM schema_migrations');
    const applied = new Map(appliedRows.map((row) => [row.version, row.checksum]));
    let count = 0;
    for (const migration of migrations) {
      const checksum = applied.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(`Migration ${migration.file} changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      for (const statement of splitStatements(migration.sql)) await connection.query(statement);
      await connection.query('INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      logger.info({ version: migration.version, file: migration.file }, 'migration applied');
      count += 1;
    }
    return count;
  } finally {
    await connection.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => undefined);
  }
}

/** Migrations hold plain DDL/DML separated by `;` at line ends; no procedures, so a simple split is exact. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.replace(/^\s*--.*$/gm, '').trim())
    .filter((statement) => statement.length > 0);
}

