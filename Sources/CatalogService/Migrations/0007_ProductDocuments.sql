-- Each product's detail as served (JSON and its entity tag), stored so that a read which misses the
-- in-memory cache (another replica, a restart, an evicted entry) is one indexed fetch instead of two
-- queries, the decoding of their rows and the encoding of the response. `stamp` names the rows the
-- document was built from (the format's key, then the xmin of the product row, of its variants and
-- of its images): any change to those rows gives them a new xmin, so a document is served only
-- while every row it came from is unchanged, and rebuilt by the first read after a change.
CREATE TABLE product_documents (
    product_id uuid PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    stamp text NOT NULL,
    etag text NOT NULL,
    body bytea NOT NULL
);
