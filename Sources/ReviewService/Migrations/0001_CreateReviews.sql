-- What customers bought, from the order service's events: a line is 'paid' when its order is paid,
-- 'delivered' when the order is delivered, and removed when the order is cancelled. Reviews are
-- accepted for delivered lines only, without asking the order service.
CREATE TABLE purchases (
    customer_id uuid NOT NULL,
    product_id uuid NOT NULL,
    order_id uuid NOT NULL,
    shop_id uuid NOT NULL,
    product_name text NOT NULL,
    status text NOT NULL CHECK (status IN ('paid', 'delivered')),
    delivered_at timestamptz,
    PRIMARY KEY (customer_id, product_id, order_id)
);

-- Which user owns which shop, from the shop service's events (who may reply).
CREATE TABLE shops (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL
);
CREATE INDEX shops_owner ON shops (owner_id);

CREATE TABLE reviews (
    id uuid PRIMARY KEY,
    product_id uuid NOT NULL,
    shop_id uuid NOT NULL,
    product_name text NOT NULL,
    author_id uuid NOT NULL,
    author_name text NOT NULL,
    rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title text NOT NULL,
    body text NOT NULL,
    status text NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'hidden')),
    moderation_reason text,
    moderated_at timestamptz,
    helpful_count integer NOT NULL DEFAULT 0 CHECK (helpful_count >= 0),
    open_reports integer NOT NULL DEFAULT 0 CHECK (open_reports >= 0),
    photo_count integer NOT NULL DEFAULT 0,
    reply_body text,
    reply_at timestamptz,
    reply_edited_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reviews_author_product_key UNIQUE (author_id, product_id)
);
-- The public list's three orders, over published reviews only.
CREATE INDEX reviews_newest ON reviews (product_id, id DESC) WHERE status = 'published';
CREATE INDEX reviews_helpful ON reviews (product_id, helpful_count DESC, id DESC) WHERE status = 'published';
CREATE INDEX reviews_rating ON reviews (product_id, rating DESC, id DESC) WHERE status = 'published';
CREATE INDEX reviews_reported ON reviews (open_reports DESC, id DESC) WHERE open_reports > 0;

CREATE TABLE review_photos (
    review_id uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    media_id uuid NOT NULL,
    position integer NOT NULL,
    thumbnails jsonb,
    PRIMARY KEY (review_id, media_id)
);
CREATE INDEX review_photos_media ON review_photos (media_id);

CREATE TABLE helpful_votes (
    review_id uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (review_id, user_id)
);

CREATE TABLE reports (
    review_id uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    reason text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    settled_at timestamptz,
    PRIMARY KEY (review_id, user_id)
);

-- A product's published ratings, kept in the transaction of every change. Its row is locked
-- first by each change of the product's reviews, so concurrent changes recount one after another.
CREATE TABLE summaries (
    product_id uuid PRIMARY KEY,
    stars integer[] NOT NULL DEFAULT ARRAY[0, 0, 0, 0, 0],
    version integer NOT NULL DEFAULT 0
);
