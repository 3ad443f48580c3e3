-- A product's published ratings by star (one-star first) and the version of the review service's
-- summary they come from (`review.summary_changed`), so an older summary delivered late is ignored.
ALTER TABLE products ADD COLUMN rating_stars integer[] NOT NULL DEFAULT ARRAY[0, 0, 0, 0, 0],
                     ADD COLUMN rating_version integer NOT NULL DEFAULT 0;
