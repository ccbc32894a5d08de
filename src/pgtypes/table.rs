//! The type tables: every name/OID fact about a type is a column here.
//!
//! Owns: [`PG_TYPES`], the Postgres types the gateway speaks (names a cast may use, SQL
//! spelling, `typlen`, array type, modifier, precision, collation, and the Spark type a
//! value of the type becomes), and the Spark → Postgres table ([`entry`], one row per
//! [`Scalar`], an exhaustive match). Result encoding (RowDescription), `pg_type`/
//! `pg_attribute`/`information_schema`, parameter typing and literal rendering all read
//! these rows, so they cannot disagree. Must not parse SQL or know sessions.

use postgres_types::Type;

use super::spark::{Scalar, SparkType};

/// What `atttypmod` means for a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    None,
    /// `varchar(n)`/`char(n)`: `n + 4`.
    Length,
    /// `numeric(p,s)`: `((p << 16) | s) + 4`.
    PrecisionScale,
}

/// information_schema's precision facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    None,
    /// Binary precision in bits, scale 0.
    Integer(i32),
    /// Binary precision in bits, no scale.
    Float(i32),
    /// Decimal precision and scale from the modifier.
    Decimal,
    /// `datetime_precision` (fractional-second digits).
    Datetime(i32),
}

/// One Postgres type the gateway speaks.
#[derive(Debug)]
pub struct PgEntry {
    pub ty: Type,
    /// How a cast may write it (lower case; `pg_catalog.` and modifiers removed).
    pub names: &'static [&'static str],
    /// SQL spelling: information_schema `data_type`, `format_type`.
    pub sql: &'static str,
    /// `pg_type.typlen` (-1 = variable).
    pub len: i16,
    /// The array type whose elements are this type.
    pub array: Type,
    pub modifier: Modifier,
    pub precision: Precision,
    /// Has the default collation (text types).
    pub collatable: bool,
    /// The Spark type a value of this type is written as (bound parameters, `'…'::type`);
    /// `None` where Spark has no equivalent.
    pub spark: Option<Scalar>,
}

macro_rules! pg_table {
    ($($ty:ident, $array:ident, [$($name:literal),+], $sql:literal, $len:literal, $modifier:ident, $precision:expr, $collatable:literal, $spark:expr;)*) => {
        // One static per row, so the Spark table can point at its row.
        $(
            #[allow(non_upper_case_globals)]
            static $ty: PgEntry = PgEntry {
                ty: Type::$ty,
                names: &[$($name),+],
                sql: $sql,
                len: $len,
                array: Type::$array,
                modifier: Modifier::$modifier,
                precision: $precision,
                collatable: $collatable,
                spark: $spark,
            };
        )*

        /// The Postgres types the gateway speaks.
        pub static PG_TYPES: &[&PgEntry] = &[$(&$ty),*];
    };
}

use Precision as P;
use Scalar as S;

// `float` is deliberately not a name here: statements are Spark SQL, where `float` is
// 4 bytes (Postgres' `float` is 8). `double` is Spark's spelling, accepted as well.
#[rustfmt::skip]
pg_table! {
//  type         array               names a cast may use                          SQL spelling                   len  modifier        precision        coll.  Spark
    INT2,        INT2_ARRAY,         ["int2", "smallint"],                         "smallint",                     2, None,           P::Integer(16),  false, Some(S::SmallInt);
    INT4,        INT4_ARRAY,         ["int4", "integer", "int"],                   "integer",                      4, None,           P::Integer(32),  false, Some(S::Int);
    INT8,        INT8_ARRAY,         ["int8", "bigint"],                           "bigint",                       8, None,           P::Integer(64),  false, Some(S::BigInt);
    FLOAT4,      FLOAT4_ARRAY,       ["float4", "real"],                           "real",                         4, None,           P::Float(24),    false, Some(S::Float);
    FLOAT8,      FLOAT8_ARRAY,       ["float8", "double precision", "double"],     "double precision",             8, None,           P::Float(53),    false, Some(S::Double);
    BOOL,        BOOL_ARRAY,         ["bool", "boolean"],                          "boolean",                      1, None,           P::None,         false, Some(S::Boolean);
    TEXT,        TEXT_ARRAY,         ["text"],                                     "text",                        -1, None,           P::None,         true,  Some(S::String);
    VARCHAR,     VARCHAR_ARRAY,      ["varchar", "character varying"],             "character varying",           -1, Length,         P::None,         true,  Some(S::String);
    BPCHAR,      BPCHAR_ARRAY,       ["bpchar", "char", "character"],              "character",                   -1, Length,         P::None,         true,  Some(S::String);
    NUMERIC,     NUMERIC_ARRAY,      ["numeric", "decimal"],                       "numeric",                     -1, PrecisionScale, P::Decimal,      false, Some(S::Decimal);
    DATE,        DATE_ARRAY,         ["date"],                                     "date",                         4, None,           P::Datetime(0),  false, Some(S::Date);
    TIMESTAMP,   TIMESTAMP_ARRAY,    ["timestamp", "timestamp without time zone"], "timestamp without time zone",  8, None,           P::Datetime(6),  false, Some(S::Timestamp);
    TIMESTAMPTZ, TIMESTAMPTZ_ARRAY,  ["timestamptz", "timestamp with time zone"],  "timestamp with time zone",     8, None,           P::Datetime(6),  false, Some(S::Timestamp);
    BYTEA,       BYTEA_ARRAY,        ["bytea"],                                    "bytea",                       -1, None,           P::None,         false, Some(S::Binary);
    JSON,        JSON_ARRAY,         ["json"],                                     "json",                        -1, None,           P::None,         false, Some(S::String);
    JSONB,       JSONB_ARRAY,        ["jsonb"],                                    "jsonb",                       -1, None,           P::None,         false, Some(S::String);
    OID,         OID_ARRAY,          ["oid"],                                      "oid",                          4, None,           P::None,         false, Some(S::BigInt);
    NAME,        NAME_ARRAY,         ["name"],                                     "name",                        64, None,           P::None,         false, Some(S::String);
    CHAR,        CHAR_ARRAY,         ["\"char\""],                                 "\"char\"",                     1, None,           P::None,         false, Some(S::String);
    REGCLASS,    REGCLASS_ARRAY,     ["regclass"],                                 "regclass",                     4, None,           P::None,         false, None;
    REGTYPE,     REGTYPE_ARRAY,      ["regtype"],                                  "regtype",                      4, None,           P::None,         false, None;
    REGPROC,     REGPROC_ARRAY,      ["regproc"],                                  "regproc",                      4, None,           P::None,         false, None;
    REGNAMESPACE, REGNAMESPACE_ARRAY, ["regnamespace"],                            "regnamespace",                 4, None,           P::None,         false, None;
}

/// One row of the Spark → Postgres table.
#[derive(Debug)]
pub struct TypeEntry {
    pub scalar: Scalar,
    /// The Postgres type a column of this Spark type is shown as.
    pub pg: &'static PgEntry,
}

/// The [`PG_TYPES`] row of `ty` (`None` for a type the gateway does not speak).
pub fn pg_entry(ty: &Type) -> Option<&'static PgEntry> {
    PG_TYPES.iter().copied().find(|e| e.ty == *ty)
}

/// The [`PG_TYPES`] row whose array type is `ty`.
pub fn pg_element_entry(ty: &Type) -> Option<&'static PgEntry> {
    PG_TYPES.iter().copied().find(|e| e.array == *ty)
}

/// The Postgres type a name in a cast means to Postgres: `int4`, `oid[]`, `_oid`,
/// `varchar(10)`, `timestamp with time zone`, `pg_catalog.regclass` … (`None` for a name
/// outside [`PG_TYPES`]).
pub fn postgres_type(name: &str) -> Option<Type> {
    let name = normalize(name);
    let named = |n: &str| PG_TYPES.iter().copied().find(|e| e.names.contains(&n));
    match name.strip_suffix("[]").or_else(|| name.strip_prefix('_')) {
        Some(element) => named(element).map(|e| e.array.clone()),
        None => named(&name).map(|e| e.ty.clone()),
    }
}

/// The type a client is told for a `$n` cast to `name`: Postgres' meaning
/// ([`postgres_type`]: `oid` is `oid`, `regclass` is `regclass`, `name` is `name`), else
/// Spark's (`string`, `array<int>`, `map<string,int>` as json); `None` when neither knows it.
pub fn cast_type(name: &str) -> Option<Type> {
    postgres_type(name).or_else(|| {
        let spark = SparkType::parse(name);
        (!matches!(spark, SparkType::Other(_))).then(|| spark.pg_type().pg)
    })
}

/// The Spark SQL type a value of Postgres type `ty` is written as (an array's: its
/// element's): `SMALLINT` for int2, `BIGINT` for oid, `STRING` for name …; `None` where
/// Spark has no such type (regclass) or the gateway does not speak `ty`.
pub fn spark_keyword(ty: &Type) -> Option<&'static str> {
    let row = pg_entry(ty).or_else(|| pg_element_entry(ty))?;
    row.spark.map(Scalar::keyword)
}

/// Lower case, without `pg_catalog.` and modifiers, white space collapsed.
fn normalize(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let lower = lower.strip_prefix("pg_catalog.").unwrap_or(&lower);
    let mut bare = String::with_capacity(lower.len());
    let mut depth = 0usize;
    for c in lower.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            c => bare.push(c),
        }
    }
    bare.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" [", "[")
}

macro_rules! spark_table {
    ($($scalar:ident => $pg:ident;)*) => {
        impl Scalar {
            /// Every scalar kind, in table order.
            pub const ALL: &'static [Scalar] = &[$(Scalar::$scalar),*];
        }

        /// The row of a scalar kind. An exhaustive match: a kind without a row does
        /// not compile.
        pub fn entry(scalar: Scalar) -> &'static TypeEntry {
            match scalar {
                $(Scalar::$scalar => {
                    static ROW: TypeEntry = TypeEntry {
                        scalar: Scalar::$scalar,
                        pg: &$pg,
                    };
                    &ROW
                })*
            }
        }
    };
}

// Spark `tinyint` has no 1-byte Postgres twin and widens to int2; `void` (an untyped
// NULL) is text, as an unknown-typed NULL is in Postgres.
spark_table! {
    TinyInt => INT2;
    SmallInt => INT2;
    Int => INT4;
    BigInt => INT8;
    Float => FLOAT4;
    Double => FLOAT8;
    Boolean => BOOL;
    String => TEXT;
    Varchar => VARCHAR;
    Char => BPCHAR;
    Decimal => NUMERIC;
    Date => DATE;
    Timestamp => TIMESTAMP;
    Binary => BYTEA;
    Void => TEXT;
    Json => JSON;
    Other => TEXT;
}

/// How a Spark type appears on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct PgTypeInfo {
    pub pg: Type,
    pub len: i16,
    /// `atttypmod`: -1, or varchar/char length + 4, or numeric `((p << 16) | s) + 4`.
    pub typmod: i32,
}

/// Not a Spark type: the name under which catalog answers (Describe of a pg_catalog query)
/// report Postgres' one-byte `"char"` columns, so they are typed `"char"` (OID 18) as
/// drivers such as asyncpg expect.
pub const PG_CHAR: &str = "pg_catalog.char";

/// Not a Spark type either: catalog columns holding lists of OIDs (`attrtypoids`), typed
/// `oid[]` (OID 1028) as Postgres does; asyncpg's own type introspection needs it.
pub const PG_OID_ARRAY: &str = "pg_catalog.oid[]";

impl SparkType {
    /// The Postgres type, length and modifier of a column of this type. Arrays of a
    /// mapped scalar become that scalar's Postgres array; every other nested type is JSON.
    pub fn pg_type(&self) -> PgTypeInfo {
        let (row, array) = match self {
            SparkType::Other(name) if name == PG_OID_ARRAY => (&OID, true),
            SparkType::Other(name) if name == PG_CHAR => (&CHAR, false),
            SparkType::Array(inner) if inner.is_array_element() => (entry(inner.scalar()).pg, true),
            _ => (entry(self.scalar()).pg, false),
        };
        if array {
            PgTypeInfo {
                pg: row.array.clone(),
                len: -1,
                typmod: -1,
            }
        } else {
            PgTypeInfo {
                pg: row.ty.clone(),
                len: row.len,
                typmod: self.typmod(),
            }
        }
    }

    pub(super) fn is_array_element(&self) -> bool {
        !matches!(
            self.scalar(),
            Scalar::Json | Scalar::Other | Scalar::Binary | Scalar::Void
        )
    }

    fn typmod(&self) -> i32 {
        match self {
            SparkType::Varchar(n) | SparkType::Char(n) => i32::try_from(*n).map_or(-1, |n| n + 4),
            SparkType::Decimal(p, s) => ((i32::from(*p) << 16) | i32::from(*s)) + 4,
            _ => -1,
        }
    }
}
