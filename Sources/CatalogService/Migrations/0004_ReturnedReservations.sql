-- A paid order that is cancelled returns its sold units to stock.
ALTER TABLE reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE reservations ADD CONSTRAINT reservations_status_check CHECK (status IN ('reserved', 'committed', 'released', 'expired', 'returned'));
