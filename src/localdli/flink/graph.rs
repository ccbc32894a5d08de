//! A deterministic static stream graph from Flink SQL (seed 000's `stream_graph`):
//! `{"nodes":[{id, operator_id, type, contents, parallelism, predecessors:[{id}]}]}`.
//!
//! A small lexer (quotes, back-quoted names, comments) splits statements and reads:
//! - `CREATE [TEMPORARY] TABLE name (…) WITH (… 'connector' = 'c' …)` (also the older
//!   `'connector.type'`): the table's connector;
//! - `CREATE [TEMPORARY] VIEW name AS SELECT …`: its source tables;
//! - every `INSERT INTO sink … SELECT …` (also inside `EXECUTE STATEMENT SET BEGIN …
//!   END`) becomes a chain: one `Source` per input table (`<connector>Source`), `join`
//!   (the ON text) when it reads several, `filter` (the WHERE text), `groupBy` (the
//!   keys), `select` (the select list), `Sink` (`<connector>Sink`).
//!
//! Ids grow within a statement, the sink skipping one (seed 000's ids are 1, 2, 4), and
//! jump after each statement. `operator_id` is 32 hex characters of a SHA-256 of the
//! job id, statement index and node position, so it is the same on every call.
//! `simple_graph` and `job_graph` give the same graph: seed 000's `job_graph` example
//! has one node per operator and the difference is not documented.
//! Statements it does not understand are skipped; no INSERT at all is DLI.0005.
//!
//! Owns: the lexer and the graph (never a panic, whatever the input).

use std::collections::HashMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// What the caller decides.
#[derive(Debug, Clone)]
pub struct GraphOptions {
    pub job_id: i64,
    pub parallelism: i64,
    /// `operator_config`: `{"<operator_id>": n}` or `{"operator_list":[{"id","parallelism"}]}`.
    pub operator_config: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Str(String),
    Punct(char),
}

impl Tok {
    fn kw(&self, k: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(k))
    }

    fn text(&self) -> String {
        match self {
            Tok::Word(w) => w.clone(),
            Tok::Quoted(q) => format!("`{q}`"),
            Tok::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Tok::Punct(c) => c.to_string(),
        }
    }

    fn name(&self) -> Option<String> {
        match self {
            Tok::Word(w) => Some(w.to_lowercase()),
            Tok::Quoted(q) => Some(q.to_lowercase()),
            _ => None,
        }
    }
}

/// Statements as token lists.
fn lex(sql: &str) -> Vec<Vec<Tok>> {
    let chars: Vec<char> = sql.chars().collect();
    let (mut out, mut cur) = (Vec::new(), Vec::new());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if c == '-' && next == Some('-') {
            while chars.get(i).is_some_and(|c| *c != '\n') {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' || c == '`' || c == '"' {
            let mut s = String::new();
            i += 1;
            while let Some(&d) = chars.get(i) {
                if d == c && chars.get(i + 1) == Some(&c) {
                    s.push(c);
                    i += 2;
                } else if d == c {
                    i += 1;
                    break;
                } else {
                    s.push(d);
                    i += 1;
                }
            }
            cur.push(if c == '\'' {
                Tok::Str(s)
            } else {
                Tok::Quoted(s)
            });
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let mut s = String::new();
            while let Some(&d) = chars
                .get(i)
                .filter(|d| d.is_alphanumeric() || **d == '_' || **d == '$')
            {
                s.push(d);
                i += 1;
            }
            cur.push(Tok::Word(s));
        } else if c == ';' {
            out.push(std::mem::take(&mut cur));
            i += 1;
        } else {
            if !c.is_whitespace() {
                cur.push(Tok::Punct(c));
            }
            i += 1;
        }
    }
    out.push(cur);
    out.retain(|s| !s.is_empty());
    out
}

/// The tokens back as text, tidy (`a . b` → `a.b`, `f ( x )` → `f(x)`).
fn render(toks: &[Tok]) -> String {
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        let prev = toks.get(i.wrapping_sub(1));
        let tight = matches!(t, Tok::Punct(',' | ')' | '.'))
            || (matches!(t, Tok::Punct('=' | '>'))
                && matches!(prev, Some(Tok::Punct('<' | '>' | '!'))))
            || matches!(toks.get(i.wrapping_sub(1)), Some(Tok::Punct('(' | '.')))
            || (matches!(t, Tok::Punct('('))
                && matches!(toks.get(i.wrapping_sub(1)), Some(Tok::Word(_))));
        if i > 0 && !tight {
            s.push(' ');
        }
        s.push_str(&t.text());
    }
    s
}

/// The last part of a dotted name starting at `i`, and the index after it.
fn dotted_name(toks: &[Tok], mut i: usize) -> Option<(String, usize)> {
    let mut name = toks.get(i)?.name()?;
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    while matches!(toks.get(i + 1), Some(Tok::Punct('.'))) {
        name = toks.get(i + 2)?.name()?;
        i += 2;
    }
    Some((name, i + 1))
}

/// Tables named after FROM / JOIN anywhere in `toks`, in order, without repeats.
fn sources(toks: &[Tok], views: &HashMap<String, Vec<String>>, depth: u8) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if !(t.kw("from") || t.kw("join")) {
            continue;
        }
        if toks
            .get(i + 1)
            .is_some_and(|n| n.kw("lateral") || n.kw("table") || n.kw("unnest"))
        {
            continue;
        }
        let Some((name, _)) = dotted_name(toks, i + 1) else {
            continue;
        };
        let expanded = match views.get(&name) {
            Some(inner) if depth < 8 => inner.clone(),
            _ => vec![name],
        };
        for n in expanded {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

/// Position of a top-level (depth 0) keyword sequence at or after `from`.
fn top_level(toks: &[Tok], from: usize, kws: &[&str]) -> Option<usize> {
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate().skip(from) {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth -= 1,
            _ if depth == 0
                && kws
                    .iter()
                    .enumerate()
                    .all(|(k, kw)| toks.get(i + k).is_some_and(|t| t.kw(kw))) =>
            {
                return Some(i);
            }
            _ => {}
        }
    }
    None
}

struct Reader {
    connectors: HashMap<String, String>,
    views: HashMap<String, Vec<String>>,
}

impl Reader {
    fn connector(&self, table: &str) -> String {
        self.connectors
            .get(table)
            .cloned()
            .unwrap_or_else(|| table.to_string())
    }

    /// CREATE TABLE / VIEW: remembered; anything else but INSERT: ignored.
    fn ddl(&mut self, toks: &[Tok]) {
        let mut i = 1;
        if toks.get(i).is_some_and(|t| t.kw("temporary")) {
            i += 1;
        }
        let is_view = toks.get(i).is_some_and(|t| t.kw("view"));
        if !(toks.first().is_some_and(|t| t.kw("create"))
            && (is_view || toks.get(i).is_some_and(|t| t.kw("table"))))
        {
            return;
        }
        i += 1;
        if toks.get(i).is_some_and(|t| t.kw("if")) {
            i += 3;
        }
        let Some((name, _)) = dotted_name(toks, i) else {
            return;
        };
        if is_view {
            let inner = sources(toks, &self.views, 0);
            self.views.insert(name, inner);
            return;
        }
        let with = top_level(toks, i, &["with"]).unwrap_or(toks.len());
        let mut connector = None;
        for w in with..toks.len() {
            if let (Some(Tok::Str(k)), Some(Tok::Punct('=')), Some(Tok::Str(v))) =
                (toks.get(w), toks.get(w + 1), toks.get(w + 2))
                && (k == "connector" || k == "connector.type")
            {
                connector = Some(v.clone());
            }
        }
        self.connectors
            .insert(name, connector.unwrap_or_else(|| "table".into()));
    }
}

struct Node {
    id: i64,
    kind: &'static str,
    contents: String,
    preds: Vec<i64>,
}

/// The graph of `sql`, or why there is none.
pub fn generate(sql: &str, opts: &GraphOptions) -> Result<Value, String> {
    let mut reader = Reader {
        connectors: HashMap::new(),
        views: HashMap::new(),
    };
    let mut inserts: Vec<Vec<Tok>> = Vec::new();
    for mut st in lex(sql) {
        // EXECUTE STATEMENT SET BEGIN INSERT … ; … END
        while let Some(b) = st.iter().position(|t| t.kw("begin")).filter(|b| *b < 4) {
            st.drain(..=b);
        }
        if st.len() == 1 && st[0].kw("end") {
            continue;
        }
        if st.first().is_some_and(|t| t.kw("insert")) {
            inserts.push(st);
        } else {
            reader.ddl(&st);
        }
    }
    if inserts.is_empty() {
        return Err("The SQL has no INSERT INTO statement: a stream graph needs a sink.".into());
    }
    let mut nodes: Vec<(usize, Node)> = Vec::new();
    let mut next = 1i64;
    for (n, st) in inserts.iter().enumerate() {
        let into = st
            .iter()
            .position(|t| t.kw("into") || t.kw("overwrite"))
            .map_or(1, |p| p + 1);
        let into = if st.get(into).is_some_and(|t| t.kw("table")) {
            into + 1
        } else {
            into
        };
        let Some((sink, _)) = dotted_name(st, into) else {
            continue;
        };
        let srcs = sources(st, &reader.views, 0);
        let mut chain: Vec<i64> = Vec::new();
        let srcs = if srcs.is_empty() {
            vec!["values".to_string()]
        } else {
            srcs
        };
        for s in &srcs {
            nodes.push((
                n,
                Node {
                    id: next,
                    kind: "Source",
                    contents: format!("{}Source", reader.connector(s)),
                    preds: vec![],
                },
            ));
            chain.push(next);
            next += 1;
        }
        let mut push =
            |kind: &'static str, contents: String, chain: &mut Vec<i64>, next: &mut i64| {
                nodes.push((
                    n,
                    Node {
                        id: *next,
                        kind,
                        contents,
                        preds: chain.clone(),
                    },
                ));
                *chain = vec![*next];
                *next += 1;
            };
        let select = top_level(st, 0, &["select"]);
        let from = select.and_then(|s| top_level(st, s, &["from"]));
        let clause = |kw: &[&str]| select.and_then(|s| top_level(st, s, kw));
        let ends: [&[&str]; 7] = [
            &["where"],
            &["group", "by"],
            &["having"],
            &["order", "by"],
            &["limit"],
            &["union"],
            &["window"],
        ];
        let end_of = |start: usize| {
            ends.iter()
                .filter_map(|k| top_level(st, start + 1, k))
                .filter(|p| *p > start)
                .min()
                .unwrap_or(st.len())
        };
        if chain.len() > 1 {
            let on = clause(&["on"]).map(|o| render(st.get(o + 1..end_of(o)).unwrap_or_default()));
            push(
                "join",
                on.unwrap_or_else(|| "join".into()),
                &mut chain,
                &mut next,
            );
        }
        if let Some(w) = clause(&["where"]) {
            push(
                "filter",
                render(st.get(w + 1..end_of(w)).unwrap_or_default()),
                &mut chain,
                &mut next,
            );
        }
        if let Some(g) = clause(&["group", "by"]) {
            push(
                "groupBy",
                render(st.get(g + 2..end_of(g)).unwrap_or_default()),
                &mut chain,
                &mut next,
            );
        }
        if let (Some(s), Some(f)) = (select, from) {
            let list = st.get(s + 1..f).unwrap_or_default();
            push("select", render(list), &mut chain, &mut next);
        }
        next += 1;
        push(
            "Sink",
            format!("{}Sink", reader.connector(&sink)),
            &mut chain,
            &mut next,
        );
        next += 1;
    }
    if nodes.is_empty() {
        return Err("The SQL has no INSERT INTO statement with a target table: a stream graph needs a sink.".into());
    }
    let overrides = parallelism_overrides(opts.operator_config.as_deref());
    let json_nodes: Vec<Value> = nodes
        .iter()
        .enumerate()
        .map(|(pos, (stmt, node))| {
            let op = operator_id(opts.job_id, *stmt, pos);
            let parallelism = overrides.get(&op).copied().unwrap_or(opts.parallelism);
            let mut v = json!({"id": node.id, "operator_id": op, "type": node.kind,
                "contents": node.contents, "parallelism": parallelism});
            if !node.preds.is_empty()
                && let Value::Object(m) = &mut v
            {
                let preds: Vec<Value> = node.preds.iter().map(|p| json!({"id": p})).collect();
                m.insert("predecessors".into(), Value::Array(preds));
            }
            v
        })
        .collect();
    Ok(json!({"nodes": json_nodes}))
}

fn operator_id(job_id: i64, stmt: usize, pos: usize) -> String {
    let digest = Sha256::digest(format!("dli-local-flink/{job_id}/{stmt}/{pos}").as_bytes());
    hex::encode(digest).chars().take(32).collect()
}

fn parallelism_overrides(config: Option<&str>) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    let Some(v) = config.and_then(|c| serde_json::from_str::<Value>(c).ok()) else {
        return out;
    };
    if let Some(list) = v.get("operator_list").and_then(Value::as_array) {
        for item in list {
            if let (Some(id), Some(p)) = (
                item.get("id").and_then(Value::as_str),
                item.get("parallelism").and_then(Value::as_i64),
            ) {
                out.insert(id.to_string(), p);
            }
        }
    } else if let Value::Object(map) = v {
        for (k, p) in map {
            if let Some(p) = p.as_i64() {
                out.insert(k, p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> GraphOptions {
        GraphOptions {
            job_id: 1,
            parallelism: 2,
            operator_config: None,
        }
    }

    #[test]
    fn never_panics_on_fragments() {
        let sql = "CREATE TABLE a (x INT) WITH ('connector' = 'kafka'); \
                   INSERT INTO b SELECT x, `y` FROM a JOIN c ON a.x = c.x WHERE x >= 1 \
                   GROUP BY x HAVING count(*) > 1 ORDER BY x LIMIT 3; /* c */ -- d";
        let chars: Vec<char> = sql.chars().collect();
        for end in 0..=chars.len() {
            for start in (0..end).step_by(7) {
                let piece: String = chars[start..end].iter().collect();
                let _ = generate(&piece, &opts());
            }
        }
        let g = generate(sql, &opts()).unwrap();
        let nodes = g["nodes"].as_array().unwrap();
        assert_eq!(nodes.last().unwrap()["contents"], "bSink");
        assert!(nodes.iter().any(|n| n["contents"] == "x >= 1"));
        assert!(nodes.iter().all(|n| n["parallelism"] == 2));
    }

    #[test]
    fn operator_config_sets_parallelism() {
        let sql = "INSERT INTO b SELECT x FROM a";
        let first = generate(sql, &opts()).unwrap();
        let id = first["nodes"][0]["operator_id"]
            .as_str()
            .unwrap()
            .to_string();
        let cfg = GraphOptions {
            operator_config: Some(format!("{{\"{id}\": 5}}")),
            ..opts()
        };
        let g = generate(sql, &cfg).unwrap();
        assert_eq!(g["nodes"][0]["parallelism"], 5);
        assert_eq!(g["nodes"][1]["parallelism"], 2);
    }
}
