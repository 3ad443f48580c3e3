-- How many of a product's variants have units available (on_hand > reserved): a product is in stock
-- when this is above zero. Listings filter and flag on it instead of searching the variants of every
-- candidate product (which made every listing hash the whole variants table).
--
-- Kept by the triggers below from each variant's own old and new row only, as +1/-1 steps: a step
-- never reads other rows, so two transactions taking the last units of two variants of one product
-- at once each subtract their own, and the count stays exact (an `UPDATE … SET n = n + step` is
-- applied to the newest row version). The product row is written only when a variant's
-- availability flips, not on every reservation.
ALTER TABLE products ADD COLUMN stocked_variants integer NOT NULL DEFAULT 0 CHECK (stocked_variants >= 0);

UPDATE products p SET stocked_variants = s.n
FROM (SELECT product_id, count(*)::int AS n FROM variants WHERE on_hand > reserved GROUP BY product_id) s
WHERE p.id = s.product_id;

CREATE FUNCTION catalog_count_stocked_variants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.on_hand > OLD.reserved THEN
        UPDATE products SET stocked_variants = stocked_variants - 1 WHERE id = OLD.product_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.on_hand > NEW.reserved THEN
        UPDATE products SET stocked_variants = stocked_variants + 1 WHERE id = NEW.product_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER variants_stocked_insert AFTER INSERT ON variants
    FOR EACH ROW WHEN (NEW.on_hand > NEW.reserved) EXECUTE FUNCTION catalog_count_stocked_variants();
CREATE TRIGGER variants_stocked_update AFTER UPDATE OF on_hand, reserved, product_id ON variants
    FOR EACH ROW WHEN ((OLD.on_hand > OLD.reserved) IS DISTINCT FROM (NEW.on_hand > NEW.reserved) OR OLD.product_id <> NEW.product_id)
    EXECUTE FUNCTION catalog_count_stocked_variants();
CREATE TRIGGER variants_stocked_delete AFTER DELETE ON variants
    FOR EACH ROW WHEN (OLD.on_hand > OLD.reserved) EXECUTE FUNCTION catalog_count_stocked_variants();
