//! Which tables each SELECT of a completion has named so far (by parenthesis depth), for
//! schema-bound decoding to keep columns to them, and the few syntax rules a lexer can check:
//! brackets balance, a SELECT starts a query or follows `(` or a set operator.
//!
//! Why: on the dev questions, after names were kept to the schema, a third of the SQL that
//! failed named a real column of another table (`SELECT name FROM orders`, `FROM pets WHERE
//! first_name`), and another third did not parse (`... FROM aircraft SELECT ...`, a `(` never
//! closed). Text from left to right cannot know the FROM clause when it writes the SELECT
//! list, so the first table after FROM must hold one of the columns already used, and after
//! it every bare column must belong to a table in scope.

/// One SELECT: its depth, the bare columns it used before its FROM, the tables it names.
#[derive(Debug, Clone, PartialEq)]
struct Scope {
    depth: usize,
    pending: Vec<String>,
    tables: Vec<String>,
    /// It reads from a subquery (`FROM (SELECT ...)`): its columns are not the schema's.
    derived: bool,
}

impl Scope {
    fn uses_columns_only(&self) -> bool {
        !self.pending.is_empty() && self.tables.is_empty() && !self.derived
    }
}

/// What came last: what a SELECT may follow.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum Prev {
    #[default]
    Start,
    Open,
    SetOp,
    Other,
}

/// The scopes of a completion so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scopes {
    depth: usize,
    open: Vec<Scope>,
    prev: Prev,
    /// A SELECT closed that used columns and named no table (`(SELECT name LIKE 'A%')`).
    tableless: bool,
    /// Every table named after FROM or JOIN, for the qualifiers the query used.
    named: Vec<String>,
    /// Qualifiers used (`x` of `x.col`), to be declared by the end.
    qualifiers: Vec<String>,
}

impl Scopes {
    /// Takes a bracket or other punctuation (not whitespace, not inside quotes); false for a
    /// `)` that closes nothing.
    pub fn punct(&mut self, c: char) -> bool {
        match c {
            '(' => {
                self.depth += 1;
                self.prev = Prev::Open;
            }
            ')' => {
                if self.depth == 0 {
                    return false;
                }
                self.depth -= 1;
                let d = self.depth;
                self.tableless |= self
                    .open
                    .iter()
                    .any(|s| s.depth > d && s.uses_columns_only());
                self.open.retain(|s| s.depth <= d);
                self.prev = Prev::Other;
            }
            _ => self.prev = Prev::Other,
        }
        true
    }

    /// A `(` straight after FROM or JOIN: the current SELECT reads a subquery.
    pub fn from_subquery(&mut self) {
        if let Some(s) = self.current_mut() {
            s.derived = true;
        }
    }

    /// Whether a SELECT may stand here: at the start, after `(`, or after UNION, INTERSECT,
    /// EXCEPT or ALL.
    pub fn select_fits(&self) -> bool {
        self.prev != Prev::Other
    }

    /// Takes a finished word (lowercase, outside quotes).
    pub fn word(&mut self, w: &str) {
        if w == "select" {
            self.open.push(Scope {
                depth: self.depth,
                pending: Vec::new(),
                tables: Vec::new(),
                derived: false,
            });
        }
        self.prev = match w {
            "union" | "intersect" | "except" | "all" => Prev::SetOp,
            _ => Prev::Other,
        };
    }

    fn current(&self) -> Option<&Scope> {
        self.open.last().filter(|s| s.depth == self.depth)
    }

    fn current_mut(&mut self) -> Option<&mut Scope> {
        let d = self.depth;
        self.open.last_mut().filter(|s| s.depth == d)
    }

    /// Whether `table` may be named after FROM or JOIN: the first table of a SELECT holds one
    /// of the bare columns it used before (if it used any).
    pub fn table_fits<'a>(
        &self,
        table: &str,
        columns_of: impl Fn(&str) -> Option<&'a [String]>,
    ) -> bool {
        match self.current() {
            Some(s) if s.tables.is_empty() && !s.derived && !s.pending.is_empty() => {
                columns_of(table).is_some_and(|cols| {
                    s.pending
                        .iter()
                        .any(|p| cols.binary_search_by(|c| c.as_str().cmp(p)).is_ok())
                })
            }
            _ => true,
        }
    }

    pub fn add_table(&mut self, table: &str) {
        self.named.push(table.to_string());
        if let Some(s) = self.current_mut() {
            s.tables.push(table.to_string());
        }
    }

    /// Notes a qualifier (`x` of `x.col`), which the query must declare by its end.
    pub fn note_qualifier(&mut self, q: &str) {
        if !self.qualifiers.iter().any(|x| x == q) {
            self.qualifiers.push(q.to_string());
        }
    }

    /// The tables bare columns must come from here, or None when any column may stand (no
    /// SELECT has named its tables yet, or one reads a subquery). Outer SELECTs' tables count
    /// (a correlated subquery).
    pub fn tables_in_scope(&self) -> Option<Vec<&str>> {
        let cur = self.open.last()?;
        if cur.tables.is_empty() || self.open.iter().any(|s| s.derived) {
            return None;
        }
        Some(
            self.open
                .iter()
                .flat_map(|s| s.tables.iter().map(String::as_str))
                .collect(),
        )
    }

    /// Notes a bare column used where its SELECT's tables are not known yet.
    pub fn note_column(&mut self, col: &str) {
        if let Some(s) = self.open.last_mut() {
            if s.tables.is_empty() {
                s.pending.push(col.to_string());
            }
        }
    }

    /// Whether the query may end here: every bracket closed, every SELECT that used columns
    /// named a table, every qualifier a table it named or an alias it declared.
    pub fn may_end(&self, aliases: &[String]) -> bool {
        self.depth == 0
            && !self.tableless
            && !self.open.iter().any(Scope::uses_columns_only)
            && self
                .qualifiers
                .iter()
                .all(|q| self.named.contains(q) || aliases.contains(q))
    }
}
