//! Why a wrong candidate is wrong, as one class a person can filter on: computed from its SQL,
//! the gold SQL and both results, stored with the candidate, shown in Review and exported.

use crate::exec::{ExecError, QueryResult, Reason, Value};
use crate::sqltext::{tokenize, TokKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    SyntaxError,
    UnknownTableOrColumn,
    TimeoutOrTooLarge,
    WrongTable,
    Join,
    Aggregation,
    Grouping,
    OrderingOnly,
    Limit,
    Projection,
    FilterValue,
    ExtraRows,
    MissingRows,
    Other,
}

impl FailureClass {
    pub const ALL: [FailureClass; 14] = [
        FailureClass::SyntaxError,
        FailureClass::UnknownTableOrColumn,
        FailureClass::TimeoutOrTooLarge,
        FailureClass::WrongTable,
        FailureClass::Join,
        FailureClass::Aggregation,
        FailureClass::Grouping,
        FailureClass::OrderingOnly,
        FailureClass::Limit,
        FailureClass::Projection,
        FailureClass::FilterValue,
        FailureClass::ExtraRows,
        FailureClass::MissingRows,
        FailureClass::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::SyntaxError => "syntax_error",
            FailureClass::UnknownTableOrColumn => "unknown_table_or_column",
            FailureClass::TimeoutOrTooLarge => "timeout_or_too_large",
            FailureClass::WrongTable => "wrong_table",
            FailureClass::Join => "join",
            FailureClass::Aggregation => "aggregation",
            FailureClass::Grouping => "grouping",
            FailureClass::OrderingOnly => "ordering_only",
            FailureClass::Limit => "limit",
            FailureClass::Projection => "projection",
            FailureClass::FilterValue => "filter_value",
            FailureClass::ExtraRows => "extra_rows",
            FailureClass::MissingRows => "missing_rows",
            FailureClass::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<FailureClass> {
        FailureClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What the structural comparison looks at, read from the SQL's tokens.
#[derive(Debug, Default, PartialEq)]
struct Shape {
    tables: BTreeSet<String>,
    joins: usize,
    aggregates: BTreeMap<String, usize>,
    group_by: Vec<String>,
    limit: Option<String>,
    literals: BTreeMap<String, usize>,
    projection: Vec<String>,
}

fn shape(sql: &str) -> Shape {
    let toks: Vec<_> = tokenize(crate::sqltext::first_statement(sql))
        .into_iter()
        .filter(|t| !matches!(t.kind, TokKind::Whitespace | TokKind::Comment))
        .collect();
    let up = |i: usize| {
        toks.get(i)
            .map(|t| t.text.to_ascii_uppercase())
            .unwrap_or_default()
    };
    let mut s = Shape::default();
    // Which clause each token is in: SELECT list, GROUP BY, LIMIT, or elsewhere.
    let mut clause = String::new();
    for i in 0..toks.len() {
        let w = up(i);
        let t = &toks[i];
        match w.as_str() {
            "SELECT" | "WHERE" | "HAVING" | "LIMIT" | "ON" => clause = w.clone(),
            "FROM" => clause = w.clone(),
            "BY" if up(i.wrapping_sub(1)) == "GROUP" => clause = "GROUP".into(),
            "BY" if up(i.wrapping_sub(1)) == "ORDER" => clause = "ORDER".into(),
            "JOIN" => {
                s.joins += 1;
                clause = "FROM".into();
            }
            _ => {}
        }
        let is_name = matches!(t.kind, TokKind::Ident | TokKind::QuotedIdent);
        if is_name && clause == "FROM" {
            let prev = up(i.wrapping_sub(1));
            if matches!(prev.as_str(), "FROM" | "JOIN" | ",") {
                s.tables
                    .insert(t.text.trim_matches(['"', '`', '[', ']']).to_lowercase());
                if prev == "," {
                    s.joins += 1;
                }
            }
        }
        if matches!(w.as_str(), "COUNT" | "SUM" | "AVG" | "MIN" | "MAX")
            && toks.get(i + 1).is_some_and(|n| n.text == "(")
        {
            *s.aggregates.entry(w.clone()).or_default() += 1;
        }
        match clause.as_str() {
            "GROUP" if w != "BY" => s.group_by.push(t.text.to_lowercase()),
            "LIMIT" if w != "LIMIT" => s.limit = Some(t.text.to_string()),
            "SELECT" if w != "SELECT" => s.projection.push(t.text.to_lowercase()),
            _ => {}
        }
        if matches!(t.kind, TokKind::Str | TokKind::Number) && clause != "LIMIT" {
            *s.literals.entry(t.text.to_string()).or_default() += 1;
        }
    }
    s
}

/// Rows as sorted bags of value keys, so containment ignores column order.
fn bag(rows: &[Vec<Value>]) -> BTreeMap<Vec<String>, usize> {
    let mut m = BTreeMap::new();
    for r in rows {
        let mut k: Vec<String> = r.iter().map(|v| format!("{:?}", v.key())).collect();
        k.sort();
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

/// `small` is contained in `big` as a multiset.
fn within(small: &BTreeMap<Vec<String>, usize>, big: &BTreeMap<Vec<String>, usize>) -> bool {
    small
        .iter()
        .all(|(k, n)| big.get(k).is_some_and(|m| m >= n))
}

/// The class of a wrong candidate (`reason` is why the metric or the strict check said so).
pub fn classify(
    gold_sql: &str,
    pred_sql: &str,
    gold: &Result<QueryResult, ExecError>,
    pred: &Result<QueryResult, ExecError>,
    reason: Option<&Reason>,
) -> FailureClass {
    let p = match pred {
        Err(ExecError::Timeout(_) | ExecError::Interrupted)
        | Err(ExecError::TooManyRows(_) | ExecError::TooLarge(_)) => {
            return FailureClass::TimeoutOrTooLarge
        }
        Err(ExecError::Sql(m)) => {
            let m = m.to_ascii_lowercase();
            return if m.contains("no such table")
                || m.contains("no such column")
                || m.contains("ambiguous column")
            {
                FailureClass::UnknownTableOrColumn
            } else {
                FailureClass::SyntaxError
            };
        }
        Err(_) => return FailureClass::SyntaxError,
        Ok(p) => p,
    };
    if matches!(reason, Some(Reason::OrderDiffers)) {
        return FailureClass::OrderingOnly;
    }
    if matches!(reason, Some(Reason::ColumnCount { .. })) {
        return FailureClass::Projection;
    }
    let (gs, ps) = (shape(gold_sql), shape(pred_sql));
    if !gs.tables.is_empty() && gs.tables.is_disjoint(&ps.tables) {
        return FailureClass::WrongTable;
    }
    if gs.tables != ps.tables || gs.joins != ps.joins {
        return FailureClass::Join;
    }
    if gs.aggregates != ps.aggregates {
        return FailureClass::Aggregation;
    }
    if gs.group_by != ps.group_by {
        return FailureClass::Grouping;
    }
    if gs.limit != ps.limit {
        return FailureClass::Limit;
    }
    // A value replaced (as many literals, other values) is a filter value; an added or
    // dropped condition shows in the rows.
    let count = |m: &BTreeMap<String, usize>| m.values().sum::<usize>();
    if gs.literals != ps.literals && count(&gs.literals) == count(&ps.literals) {
        return FailureClass::FilterValue;
    }
    if let Ok(g) = gold {
        let (gb, pb) = (bag(&g.rows), bag(&p.rows));
        if p.rows.len() > g.rows.len() && within(&gb, &pb) {
            return FailureClass::ExtraRows;
        }
        if p.rows.len() < g.rows.len() && within(&pb, &gb) {
            return FailureClass::MissingRows;
        }
    }
    if gs.literals != ps.literals {
        return FailureClass::FilterValue;
    }
    if gs.projection != ps.projection {
        return FailureClass::Projection;
    }
    FailureClass::Other
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{Executor, Limits};

    fn run(sql_gold: &str, sql_pred: &str) -> FailureClass {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.sqlite");
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute_batch(
            "CREATE TABLE pets(id INTEGER PRIMARY KEY, name TEXT, species TEXT, age INT, owner_id INT);
             CREATE TABLE owners(id INTEGER PRIMARY KEY, name TEXT, city TEXT);
             INSERT INTO owners VALUES (1,'Ada','Oslo'),(2,'Bo','Lyon');
             INSERT INTO pets VALUES (1,'Rex','dog',5,1),(2,'Tom','cat',2,1),(3,'Kiwi','bird',1,2),
                                     (4,'Fido','dog',3,2);",
        )
        .unwrap();
        let ex = Executor::open(&p, Limits::default()).unwrap();
        let (g, pr) = (ex.run(sql_gold), ex.run(sql_pred));
        let reason = match (&g, &pr) {
            (Ok(g), Ok(p)) => crate::exec::compare::spider_eq(
                &g.rows,
                &p.rows,
                crate::sqltext::has_order_by(sql_gold),
            )
            .err(),
            _ => None,
        };
        classify(sql_gold, sql_pred, &g, &pr, reason.as_ref())
    }

    #[test]
    fn each_class_from_sql_and_results() {
        use FailureClass::*;
        let g = "SELECT name FROM pets WHERE species = 'dog'";
        assert_eq!(run(g, "SELEC name FROM pets"), SyntaxError);
        assert_eq!(run(g, "SELECT nam FROM pets"), UnknownTableOrColumn);
        assert_eq!(run(g, "SELECT name FROM pet"), UnknownTableOrColumn);
        assert_eq!(run(g, "SELECT name FROM owners"), WrongTable);
        assert_eq!(
            run(g, "SELECT p.name FROM pets p JOIN owners o ON o.id = p.owner_id WHERE o.city = 'Oslo'"),
            Join
        );
        assert_eq!(
            run(g, "SELECT name FROM pets WHERE species = 'Dog'"),
            FilterValue
        );
        assert_eq!(
            run(g, "SELECT name, age FROM pets WHERE species = 'dog'"),
            Projection
        );
        assert_eq!(
            run(g, "SELECT name FROM pets WHERE species = 'dog' LIMIT 1"),
            Limit
        );
        assert_eq!(
            run("SELECT count(*) FROM pets", "SELECT sum(age) FROM pets"),
            Aggregation
        );
        assert_eq!(
            run(
                "SELECT species, count(*) FROM pets GROUP BY species",
                "SELECT species, count(*) FROM pets GROUP BY owner_id"
            ),
            Grouping
        );
        assert_eq!(
            run(
                "SELECT name FROM pets ORDER BY age",
                "SELECT name FROM pets ORDER BY age DESC"
            ),
            OrderingOnly
        );
        assert_eq!(
            run(g, "SELECT name FROM pets WHERE species = 'dog' OR age < 2"),
            ExtraRows
        );
        assert_eq!(
            run(g, "SELECT name FROM pets WHERE species = 'dog' AND age > 4"),
            MissingRows
        );
        assert_eq!(
            run(
                "SELECT name FROM pets WHERE age > 2",
                "SELECT name FROM pets WHERE age >= 2"
            ),
            ExtraRows
        );
        assert_eq!(
            run(
                "SELECT name FROM pets WHERE age > 2",
                "SELECT name FROM pets WHERE age > 3"
            ),
            FilterValue
        );
        let mut all: Vec<&str> = FailureClass::ALL.iter().map(|c| c.as_str()).collect();
        all.dedup();
        assert_eq!(all.len(), 14);
        assert_eq!(FailureClass::parse("extra_rows"), Some(ExtraRows));
    }
}
