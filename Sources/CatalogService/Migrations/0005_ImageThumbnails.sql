-- Thumbnail URLs of an attached image, filled in from the media service's `media.ready` event.
ALTER TABLE product_images ADD COLUMN thumbnails jsonb;
