-- seq.sql - `scale` numbers per item, starting at item * 100.
CREATE TABLE nums AS
SELECT getvariable('item')::BIGINT * 100 + range AS x
FROM range(getvariable('scale'));
