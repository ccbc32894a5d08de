-- Replay: Grafana 10-11 PostgreSQL data source: the configuration page's version and TimescaleDB
-- checks, and the query editor's table and column lists (postgresMetaQuery.ts /
-- pkg/tsdb/grafana-postgresql-datasource), verbatim with the search_path constraint.
-- Run by tests/catalog_replay.rs; format in tests/replay/README.md.

-- @query version
-- @expect rows = 1
-- @expect columns version
-- @expect row 1500
SELECT current_setting('server_version_num')::int/100 as version;

-- @query timescaledb
-- @expect rows = 0
-- @expect columns extversion
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb';

-- @query tables
-- @expect rows = 15
-- @expect columns table
-- @expect row dli_flink.jobs
-- @expect row tpch.nation
SELECT
    CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          ) THEN 0 ELSE 1 END, 1;

-- @query columns
-- @expect rows = 4
-- @expect columns column,type
-- @expect row n_nationkey|bigint
-- @expect row n_name|text
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('tpch.nation'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('tpch.nation'))[1]
          AND quote_ident(table_name) = (parse_ident('tpch.nation'))[2]
        ELSE quote_ident(table_name) = 'tpch.nation'
          AND 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END;
