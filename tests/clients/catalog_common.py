"""Shared fixture of the catalog client checks (catalog_*_test.py, CatalogMeta.java):
a DLI database with tables of every mapped type, comments and a partition column, and
what the Postgres catalog must say about them. Created through the gateway (DLI jobs).
"""

DB = "catcli"

SETUP = [
    f"CREATE DATABASE IF NOT EXISTS {DB} COMMENT 'client catalog checks'",
    f"CREATE TABLE IF NOT EXISTS {DB}.items (id int COMMENT 'item id', name string, "
    "price decimal(10,2), code varchar(20), added date, seen timestamp, tags array<string>, "
    "attrs map<string,int>, dt string COMMENT 'load day') USING parquet PARTITIONED BY (dt) "
    "COMMENT 'things we sell'",
    f"CREATE TABLE IF NOT EXISTS {DB}.orders (id bigint, item_id int, qty smallint, "
    "total double, ok boolean, note char(5), ratio float, raw binary) USING parquet",
    f"INSERT INTO {DB}.orders VALUES (1, 10, 2, 7.5, true, 'ab', 0.5, X'00ff')",
]

# (column, format_type, data type OID, typmod) of catcli.items, in order.
ITEMS = [
    ("id", "integer", 23, -1),
    ("name", "text", 25, -1),
    ("price", "numeric(10,2)", 1700, (10 << 16 | 2) + 4),
    ("code", "character varying(20)", 1043, 24),
    ("added", "date", 1082, -1),
    ("seen", "timestamp without time zone", 1114, -1),
    ("tags", "text[]", 1009, -1),
    ("attrs", "json", 114, -1),
    ("dt", "text", 25, -1),
]
ORDERS = ["id", "item_id", "qty", "total", "ok", "note", "ratio", "raw"]
ITEMS_COMMENT = "things we sell"
PARTITION_MARK = "(partition column)"


def setup(execute):
    """Run the setup statements with `execute(sql)`."""
    for sql in SETUP:
        execute(sql)
