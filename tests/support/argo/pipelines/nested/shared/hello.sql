-- hello.sql - one row, with text a YAML 1.1 reader would take for other types if it were
-- written plain: yes, on, 0755, 1e3, 12:30, ~, null.
CREATE TABLE hello AS
SELECT getvariable('greeting') AS greeting, 'on' AS a, '0755' AS b, '1e3' AS c,
       '12:30' AS d, '~' AS e, 'null' AS f, 'Grüße, 世界' AS g;
