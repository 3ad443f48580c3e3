-- The search vocabulary: every word of product names and attribute values. A misspelt query word
-- is corrected against this small table (trigram index) before the full-text query runs, so typo
-- tolerance never needs a similarity scan over every product.
CREATE TABLE search_terms (
    term text PRIMARY KEY
);
CREATE INDEX search_terms_trgm ON search_terms USING gin (term gin_trgm_ops);

CREATE FUNCTION catalog_collect_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_terms (term)
    SELECT DISTINCT word
    FROM regexp_split_to_table(
        lower(NEW.name || ' ' || coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(NEW.attributes)), '')),
        '[^[:alnum:]]+') AS word
    WHERE length(word) BETWEEN 3 AND 40
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$;

CREATE TRIGGER products_search_terms AFTER INSERT OR UPDATE OF name, attributes ON products
    FOR EACH ROW EXECUTE FUNCTION catalog_collect_search_terms();

INSERT INTO search_terms (term)
SELECT DISTINCT word
FROM products p, regexp_split_to_table(
    lower(p.name || ' ' || coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(p.attributes)), '')),
    '[^[:alnum:]]+') AS word
WHERE length(word) BETWEEN 3 AND 40
ON CONFLICT DO NOTHING;
