-- Uploaded images and their renditions (the bytes live in the BlobStore under these keys).
CREATE TABLE media (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'ready', 'failed')),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/gif')),
    size bigint NOT NULL CHECK (size > 0),
    width int NOT NULL CHECK (width > 0),
    height int NOT NULL CHECK (height > 0),
    -- EXIF orientation of the upload (1: upright); processing turns the pixels and sets it to 1.
    orientation int NOT NULL DEFAULT 1 CHECK (orientation BETWEEN 1 AND 8),
    filename text CHECK (length(filename) <= 200),
    original_key text NOT NULL UNIQUE,
    small_key text,
    medium_key text,
    large_key text,
    failure text,
    -- Set when a product or review first used it; unattached uploads are deleted after a day.
    attached_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_orphans ON media (created_at) WHERE attached_at IS NULL;

-- Every upload, kept a day for the per-user quotas (deleting an upload does not give its quota back).
CREATE TABLE media_uploads (
    owner_id uuid NOT NULL,
    bytes bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_uploads_owner ON media_uploads (owner_id, created_at);

-- Stored objects no row refers to any more, removed from the store by the clean-up job (a store
-- that is down when media is deleted loses nothing).
CREATE TABLE media_garbage (
    key text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
