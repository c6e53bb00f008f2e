-- One row per user per rated record. The primary key's prefix (record_type, record_id) serves the
-- aggregate query; ascii_bin makes ids compare by their bytes, so 'a' and 'A' are different records.
CREATE TABLE ratings (
  record_type VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  record_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  value TINYINT NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (record_type, record_id, user_id),
  CONSTRAINT ratings_value_range CHECK (value BETWEEN 1 AND 5)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
