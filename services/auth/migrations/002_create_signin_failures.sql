-- Failed sign-ins per account and per client address (rate-limiter-flexible's MySQL store, which
-- reads and writes these three columns in this order), shared by every replica. Keys are
-- `account:<sha256>` or `address:<sha256>`: no username or address is stored in clear.
CREATE TABLE signin_failures (
  `key` VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  points INT NOT NULL DEFAULT 0,
  expire BIGINT UNSIGNED NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
