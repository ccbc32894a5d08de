use super::*;

fn cols(spec: &[(&str, &str)]) -> ColumnTypes {
    Arc::new(
        spec.iter()
            .map(|(n, t)| (n.to_string(), SparkType::parse(t)))
            .collect(),
    )
}

/// Decode `input` fed in chunks of `chunk` bytes.
fn decode(
    columns: &ColumnTypes,
    format: FileFormat,
    input: &[u8],
    chunk: usize,
) -> Result<Vec<TypedRow>, GatewayError> {
    let mut d = Decoder::new("obs://b/f.csv".into(), columns.clone(), format, "");
    let mut rows = Vec::new();
    for part in input.chunks(chunk.max(1)) {
        d.feed(part, &mut rows)?;
    }
    d.finish(&mut rows)?;
    Ok(rows)
}

fn text(s: &str) -> PgValue {
    PgValue::Text(s.into())
}

const CSV: FileFormat = FileFormat::Csv { header: false };

#[test]
fn spark_csv_dialect_in_every_chunking() {
    // What pyspark 3.5 writes for these values (scripts/spark_csv_probe.py).
    let c = cols(&[
        ("i", "int"),
        ("a", "string"),
        ("b", "string"),
        ("d", "decimal(20,10)"),
    ]);
    let input = "1,,\"\",0E-10\n2,\"say \\\"hi\\\"\",\"a\\\\b,c\",1.5\n3,back\\slash,\"line1\nline2\",\n4,中文,\"\\\\,\",-2\n";
    let expected = vec![
        vec![
            PgValue::I32(1),
            PgValue::Null,
            text(""),
            PgValue::Numeric("0.0000000000".into()),
        ],
        vec![
            PgValue::I32(2),
            text("say \"hi\""),
            text("a\\b,c"),
            PgValue::Numeric("1.5000000000".into()),
        ],
        vec![
            PgValue::I32(3),
            text("back\\slash"),
            text("line1\nline2"),
            PgValue::Null,
        ],
        vec![
            PgValue::I32(4),
            text("中文"),
            text("\\,"),
            PgValue::Numeric("-2.0000000000".into()),
        ],
    ];
    for chunk in [1, 2, 3, 7, 64, 4096] {
        assert_eq!(
            decode(&c, CSV, input.as_bytes(), chunk).unwrap(),
            expected,
            "chunk {chunk}"
        );
    }
}

#[test]
fn one_column_nulls_are_blank_lines() {
    let c = cols(&[("s", "string")]);
    for (input, n) in [
        ("a\n\nb\n", 3),
        ("\na\n", 2),
        ("a\n\n", 2),
        ("a\r\n\r\nb\r\n", 3),
        ("a\nb", 2),
        ("", 0),
    ] {
        for chunk in [1, 4096] {
            let rows = decode(&c, CSV, input.as_bytes(), chunk).unwrap();
            assert_eq!(rows.len(), n, "{input:?} chunk {chunk}: {rows:?}");
        }
    }
    let rows = decode(&c, CSV, b"a\n\n\"\"\n", 1).unwrap();
    assert_eq!(
        rows,
        vec![vec![text("a")], vec![PgValue::Null], vec![text("")]]
    );
}

#[test]
fn mismatches_name_file_and_line() {
    let c = cols(&[("i", "bigint"), ("s", "string")]);
    let e = decode(&c, CSV, b"1,a\n2,\"x\ny\"\n3\n", 5).unwrap_err();
    assert!(
        e.message.contains("obs://b/f.csv line 4: 1 fields"),
        "{}",
        e.message
    );
    let e = decode(&c, CSV, b"1,a\nx,b\n", 3).unwrap_err();
    assert!(
        e.message
            .contains("line 2: column i: cannot read \"x\" as bigint"),
        "{}",
        e.message
    );
    let e = decode(&c, CSV, b"1,a\n\n2,b\n", 64).unwrap_err();
    assert!(e.message.contains("line 2: empty line"), "{}", e.message);
    let e = decode(&c, FileFormat::Csv { header: true }, b"i,t\n1,a\n", 64).unwrap_err();
    assert!(
        e.message.contains("line 1: header names column \"t\""),
        "{}",
        e.message
    );
    let ok = decode(&c, FileFormat::Csv { header: true }, b"i,s\n1,a\n", 2).unwrap();
    assert_eq!(ok, vec![vec![PgValue::I64(1), text("a")]]);
}

#[test]
fn json_lines_with_omitted_nulls_and_exact_decimals() {
    let c = cols(&[
        ("d", "decimal(38,2)"),
        ("a", "array<int>"),
        ("m", "map<string,int>"),
        ("b", "binary"),
    ]);
    let input = "{\"d\":123456789012345678901234567890.10,\"a\":[1,null],\"b\":\"AAE=\"}\n{\"m\":{\"k\":1}}\n";
    let rows = decode(&c, FileFormat::JsonLines, input.as_bytes(), 5).unwrap();
    assert_eq!(
        rows[0][0],
        PgValue::Numeric("123456789012345678901234567890.10".into())
    );
    assert_eq!(
        rows[0][1],
        PgValue::Array(vec![PgValue::I32(1), PgValue::Null])
    );
    assert_eq!(rows[0][2], PgValue::Null);
    assert_eq!(rows[0][3], PgValue::Bytes(vec![0, 1]));
    assert_eq!(rows[1][0], PgValue::Null);
    assert!(matches!(rows[1][2], PgValue::Json(_)));
    let e = decode(&c, FileFormat::JsonLines, b"{\"d\":1}\n{\"zz\":1}\n", 64).unwrap_err();
    assert!(
        e.message.contains("line 2: unknown column \"zz\""),
        "{}",
        e.message
    );
    let e = decode(&c, FileFormat::JsonLines, b"[1]\n", 64).unwrap_err();
    assert!(
        e.message.contains("line 1: not a JSON object"),
        "{}",
        e.message
    );
}
