//! Postgres `to_char`/`to_timestamp`/`to_date` format patterns as Spark datetime patterns.
