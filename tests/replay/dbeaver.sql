-- Replay: DBeaver 23-25 (PostgreSQL plugin, over pgjdbc). Connection start-up queries as replayed by
-- datafusion-postgres' DBeaver test, and the navigator's table/column/constraint/index loaders
-- (PostgreSchema caches; `?` parameters are the schema and table OIDs, bound here with @let).
-- Run by tests/catalog_replay.rs; format in tests/replay/README.md.

-- @query current_schema_and_user
-- @expect rows = 1
-- @expect columns current_schema,session_user
-- @expect row default|dli
SELECT current_schema(),session_user;

-- @query namespaces
-- @expect rows = 7
-- @expect row *|*|dli_flink|10|\N|\N|DLI Flink jobs, answered by the gateway from DLI's Flink job APIs (never a Spark job)
-- @expect row *|*|tpch|10|\N|\N|TPC-H demo data, scale factor 0.001
SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass ORDER BY nspname;

-- @query type_is_visible
-- @expect rows = 1
-- @expect row t|pg_catalog|_aclitem
SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = 1034;

-- @query array_type_probe
-- @expect rows = 1
-- @expect columns is_array,typtype,typname,oid
-- @expect row t|b|_aclitem|1034
SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE pg_type.oid = 1034  ORDER BY sp.r, pg_type.oid DESC;

-- @query database
-- @expect rows = 1
-- @expect row 5|5|dli|10|6|c|C.UTF-8|C.UTF-8|f|t|-1|0|0|1|1663|\N|\N|\N
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datname='dli';

-- @query keywords
-- @expect rows = 1
-- @expect row *
SELECT string_agg(word, ',' ) from pg_catalog.pg_get_keywords() where word <> ALL ('{a,abs,absolute,action,ada,add,admin,after,all,allocate,alter,always,and,any,are,array,as,asc}');

-- @query enum_probe
-- @expect rows = 0
-- @expect columns oid,enumtypid,enumsortorder,enumlabel
SELECT * FROM pg_catalog.pg_enum WHERE 1<>1 LIMIT 1;

-- @query reltype_probe
-- @expect rows = 0
-- @expect columns reltype
SELECT reltype FROM pg_catalog.pg_class WHERE 1<>1 LIMIT 1;

-- @query data_types
-- @expect rows >= 334
-- @expect row 2950|2950|uuid|11|10|16|f|b|U|f|t|,|0|-|0|2951|uuid_in|uuid_out|uuid_recv|uuid_send|-|-|-|c|p|f|0|-1|0|0|\N|\N|\N|\N|\N|UUID
SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description FROM pg_catalog.pg_type t LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid WHERE t.typname IS NOT NULL AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C');

-- @query tables_of_schema
-- @let ns = SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'tpch'
-- @expect rows = 8
-- @expect row 2088429383|2088429383|customer|1782070038|0|\N|10|2|2088429383|0|0|*|0|0|f|f|p|r|8|0|f|f|f|f|f|t|d|f|\N|0|0|\N|\N|\N|TPC-H customer||\N
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=${ns} AND c.relkind not in ('i','I','c');

-- @query table_sizes
-- @let ns = SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'tpch'
-- @expect rows = 8
-- @expect columns oid,total_rel_size,rel_size
-- @expect row *|*|*
select c.oid,pg_catalog.pg_total_relation_size(c.oid) as total_rel_size,pg_catalog.pg_relation_size(c.oid) as rel_size FROM pg_class c WHERE c.relnamespace=${ns};

-- @query columns_of_table
-- @let rel = SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'shop' AND c.relname = 'items'
-- @expect rows = 9
-- @expect columns relname,attrelid,attname,atttypid,def_value,description,objid
-- @expect row items|*|id|23||item id|\N
-- @expect row items|*|price|1700||\N|\N
-- @expect row items|*|dt|25||(partition column) load day|\N
SELECT c.relname, a.attrelid, a.attname, a.atttypid, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid 
FROM pg_catalog.pg_attribute a 
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid) 
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum) 
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid) 
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid 
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid=${rel} ORDER BY a.attnum;
