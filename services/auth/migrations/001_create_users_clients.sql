-- People who sign in with a username and password (POST /tokens). `id` is the token subject (`sub`).
-- Usernames are normalised to lower-case ASCII by the service and compared byte for byte.
CREATE TABLE users (
  id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  username VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  password_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  roles JSON NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  CONSTRAINT users_username UNIQUE (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Services that obtain tokens with the OAuth 2.0 client-credentials grant (POST /oauth/token).
CREATE TABLE clients (
  client_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  secret_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  roles JSON NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Token signing keys as JWKs. Retired keys stay published in the JWKS until every token they signed
-- has expired; the newest key without `retired_at` signs.
CREATE TABLE signing_keys (
  kid VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  algorithm VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  public_jwk JSON NOT NULL,
  private_jwk JSON NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  retired_at TIMESTAMP(3) NULL DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
