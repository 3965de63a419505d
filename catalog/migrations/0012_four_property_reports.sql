-- 四性检测 reports kept with their record (issue 13): the one computed
-- right after filing (stage 归档) and any later one kept on purpose. The
-- report is the JSON the API returns; result repeats its verdict for
-- queries. Rows are only ever added.
CREATE TABLE four_property_reports (
    id         INTEGER PRIMARY KEY,
    record_id  TEXT NOT NULL,
    stage      TEXT NOT NULL,
    result     TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'unavailable')),
    checked_at TEXT NOT NULL,
    report     TEXT NOT NULL
);
CREATE INDEX four_property_reports_record ON four_property_reports (record_id, id);
