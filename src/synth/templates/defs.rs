//! The templates: for each, its name (recorded in every example's provenance), the English
//! phrasings one is drawn from, and its SQL. `{slot}`s are filled where the grammar uses the
//! template (`grammar.rs`, `joins.rs`): in a phrasing by `Phraser::fill` (`{slot}s` is the
//! slot's plural), in the SQL by `sql::fill`. Changing a phrasing or a pattern changes the
//! examples a seed gives: bump `TEMPLATES_VERSION`.

/// One template.
pub(super) struct Template {
    pub(super) name: &'static str,
    pub(super) phrasings: &'static [&'static str],
    /// One pattern for every phrasing, or one per phrasing where the phrasing asks for more
    /// columns than the others.
    pub(super) sql: &'static [&'static str],
}

impl Template {
    /// The SQL pattern that goes with phrasing `i`.
    pub(super) fn sql_for(&self, i: usize) -> &'static str {
        match self.sql {
            [one] => one,
            many => many.get(i).copied().unwrap_or_default(),
        }
    }
}

// ---- one table -----------------------------------------------------------------------------

pub(super) const COUNT_ALL: Template = Template {
    name: "count_all",
    phrasings: &[
        "how many {pl} are there?",
        "count the number of {pl}.",
        "what is the total number of {pl}?",
        "how many {pl} does the database hold?",
    ],
    sql: &["SELECT COUNT(*) FROM {tn}"],
};

pub(super) const LIST_ALL: Template = Template {
    name: "list_all",
    phrasings: &[
        "list the {lw} of all {pl}.",
        "what are the {lw} of the {pl}?",
        "give the {lw} of every {sg}.",
    ],
    sql: &["SELECT {ls} FROM {tn}"],
};

pub(super) const DISTINCT: Template = Template {
    name: "distinct",
    phrasings: &[
        "what are the distinct {cw} values of {pl}?",
        "list the different {cw}s that {pl} have.",
        "which {cw} values appear among the {pl}?",
        "list the distinct {cw}s of the {pl}.",
    ],
    sql: &["SELECT DISTINCT {cn} FROM {tn}"],
};

pub(super) const GROUP_COUNT: Template = Template {
    name: "group_count",
    phrasings: &[
        "how many {pl} are there for each {cw}?",
        "for each {cw}, count the {pl}.",
        "show each {cw} and the number of {pl} with it.",
        "how many {pl} are there of each {cw}? list the {cw} and the number of {pl}.",
    ],
    sql: &["SELECT {cn}, COUNT(*) FROM {tn} GROUP BY {cn}"],
};

pub(super) const GROUP_TOP: Template = Template {
    name: "group_top",
    phrasings: &[
        "which {cw} is the most common among {pl}?",
        "what {cw} do the most {pl} have?",
        "find the {cw} shared by the largest number of {pl}.",
        "which {cw} has the largest number of {pl}?",
    ],
    sql: &["SELECT {cn} FROM {tn} GROUP BY {cn} ORDER BY COUNT(*) DESC LIMIT 1"],
};

pub(super) const COUNT_DISTINCT: Template = Template {
    name: "count_distinct",
    phrasings: &[
        "how many different {cw}s do the {pl} have?",
        "how many distinct {cw} values are there among {pl}?",
        "count the distinct {cw}s of all {pl}.",
    ],
    sql: &["SELECT COUNT(DISTINCT {cn}) FROM {tn}"],
};

pub(super) const GROUP_HAVING: Template = Template {
    name: "group_having",
    phrasings: &[
        "which {cw} values have at least {n} {pl}?",
        "list the {cw}s shared by {n} or more {pl}.",
        "find every {cw} that appears in at least {n} {pl}.",
        "which {cw}s have at least {n} {pl}? list the {cw} and the number of {pl}.",
    ],
    sql: &[
        "SELECT {cn} FROM {tn} GROUP BY {cn} HAVING COUNT(*) >= {n}",
        "SELECT {cn} FROM {tn} GROUP BY {cn} HAVING COUNT(*) >= {n}",
        "SELECT {cn} FROM {tn} GROUP BY {cn} HAVING COUNT(*) >= {n}",
        "SELECT {cn}, COUNT(*) FROM {tn} GROUP BY {cn} HAVING COUNT(*) >= {n}",
    ],
};

pub(super) const COUNT_WHERE: Template = Template {
    name: "count_where",
    phrasings: &[
        "how many {pl} have {cw} {v}?",
        "count the {pl} whose {cw} is {v}.",
        "what is the number of {pl} with a {cw} of {v}?",
        "how many {vb} {pl} are there?",
        "how many {pl} have the {cw} {vb}?",
    ],
    sql: &["SELECT COUNT(*) FROM {tn} WHERE {cn} = {v}"],
};

pub(super) const LIST_WHERE: Template = Template {
    name: "list_where",
    phrasings: &[
        "list the {lw} of {pl} whose {cw} is {v}.",
        "what are the {lw} of the {pl} with {cw} {v}?",
        "which {pl} have {cw} {v}? give their {lw}.",
        "list the {lw} of all {vb} {pl}.",
    ],
    sql: &["SELECT {ls} FROM {tn} WHERE {cn} = {v}"],
};

pub(super) const UNION: Template = Template {
    name: "union",
    phrasings: &[
        "list the {lw} of {pl} whose {cw} is {v} or {w}.",
        "give the {lw} of the {pl} with {cw} {v}, together with those with {cw} {w}.",
    ],
    sql: &["SELECT {ls} FROM {tn} WHERE {cn} = {v} UNION SELECT {ls} FROM {tn} WHERE {cn} = {w}"],
};

pub(super) const GROUP_AGG: Template = Template {
    name: "group_agg",
    phrasings: &[
        "what is the average {mw} of {pl} for each {cw}?",
        "for each {cw}, show the average {mw} of the {pl}.",
    ],
    sql: &["SELECT {cn}, AVG({mn}) FROM {tn} GROUP BY {cn}"],
};

pub(super) const GROUP_COUNT_AVG: Template = Template {
    name: "group_count_avg",
    phrasings: &[
        "for each {cw}, list the {cw}, the number of {pl} and their average {mw} rounded to two decimals.",
        "show every {cw} with its number of {pl} and their mean {mw}, rounded to 2 decimal places.",
    ],
    sql: &["SELECT {cn}, COUNT(*), ROUND(AVG({mn}), 2) FROM {tn} GROUP BY {cn}"],
};

pub(super) const GROUP_SUM: Template = Template {
    name: "group_sum",
    phrasings: &[
        "for each {cw}, list the {cw} and the total {mw} of its {pl}.",
        "what is the total {mw} of {pl} for each {cw}?",
    ],
    sql: &["SELECT {cn}, SUM({mn}) FROM {tn} GROUP BY {cn}"],
};

pub(super) const GROUP_ORDER: Template = Template {
    name: "group_order",
    phrasings: &[
        "which {cw} has the highest total {mw} across its {pl}?",
        "find the {cw} whose {pl} have the largest summed {mw}.",
    ],
    sql: &["SELECT {cn} FROM {tn} GROUP BY {cn} ORDER BY SUM({mn}) DESC LIMIT 1"],
};

pub(super) const AGG_WHERE: Template = Template {
    name: "agg_where",
    phrasings: &[
        "what is the {aw} {mw} of {pl} whose {cw} is {v}?",
        "among {pl} with {cw} {v}, what is the {aw} {mw}?",
        "what is the {aw} {mw} of {vb} {pl}?",
    ],
    sql: &["SELECT {agg}({mn}) FROM {tn} WHERE {cn} = {v}"],
};

pub(super) const AVG_ROUND_WHERE: Template = Template {
    name: "avg_round_where",
    phrasings: &[
        "what is the average {mw} of {vb} {pl}, rounded to two decimals?",
        "what is the average {mw} of {pl} whose {cw} is {v}, rounded to two decimals?",
        "among {pl} with {cw} {v}, give the mean {mw} rounded to 2 decimal places.",
    ],
    sql: &["SELECT ROUND(AVG({mn}), 2) FROM {tn} WHERE {cn} = {v}"],
};

pub(super) const AND_FILTER: Template = Template {
    name: "and_filter",
    phrasings: &[
        "list the {lw} of {pl} with {cw} {v} and a {mw} above {x}.",
        "which {pl} have {cw} {v} and {mw} greater than {x}? give their {lw}.",
    ],
    sql: &["SELECT {ls} FROM {tn} WHERE {cn} = {v} AND {mn} > {x}"],
};

pub(super) const INTERSECT: Template = Template {
    name: "intersect",
    phrasings: &[
        "which {cw} values occur both among {pl} with {mw} above {hi} and among those with {mw} below {lo}?",
        "find the {cw}s that have some {pl} with a {mw} over {hi} and also some with a {mw} under {lo}.",
    ],
    sql: &["SELECT {cn} FROM {tn} WHERE {mn} > {hi} INTERSECT SELECT {cn} FROM {tn} WHERE {mn} < {lo}"],
};

pub(super) const EXCEPT: Template = Template {
    name: "except",
    phrasings: &[
        "which {cw} values have no {pl} with a {mw} above {x}?",
        "list the {cw}s none of whose {pl} has {mw} greater than {x}.",
    ],
    sql: &["SELECT {cn} FROM {tn} EXCEPT SELECT {cn} FROM {tn} WHERE {mn} > {x}"],
};

pub(super) const AGG: Template = Template {
    name: "agg",
    phrasings: &[
        "what is the {aw} {mw} of all {pl}?",
        "find the {aw} {mw} across {pl}.",
        "give the {aw} {mw} among the {pl}.",
    ],
    sql: &["SELECT {agg}({mn}) FROM {tn}"],
};

pub(super) const MAX_MIN: Template = Template {
    name: "max_min",
    phrasings: &[
        "what are the highest and the lowest {mw} of the {pl}?",
        "give the maximum and minimum {mw} among {pl}.",
    ],
    sql: &["SELECT MAX({mn}), MIN({mn}) FROM {tn}"],
};

pub(super) const AVG_ROUND: Template = Template {
    name: "avg_round",
    phrasings: &[
        "what is the average {mw} of {pl}, rounded to two decimals?",
        "give the mean {mw} of all {pl} rounded to 2 decimal places.",
    ],
    sql: &["SELECT ROUND(AVG({mn}), 2) FROM {tn}"],
};

pub(super) const COUNT_NUM: Template = Template {
    name: "count_num",
    phrasings: &[
        "how many {pl} have a {mw} {ow} {x}?",
        "count the {pl} with {mw} {ow} {x}.",
    ],
    sql: &["SELECT COUNT(*) FROM {tn} WHERE {mn} {op} {x}"],
};

pub(super) const FILTER_NUM: Template = Template {
    name: "filter_num",
    phrasings: &[
        "list the {lw} of {pl} whose {mw} is {ow} {x}.",
        "which {pl} have a {mw} {ow} {x}? show their {lw}.",
        "give the {lw} and {mw} of every {sg} with {mw} {ow} {x}.",
    ],
    sql: &[
        "SELECT {ls} FROM {tn} WHERE {mn} {op} {x}",
        "SELECT {ls} FROM {tn} WHERE {mn} {op} {x}",
        "SELECT {ls}, {mn} FROM {tn} WHERE {mn} {op} {x}",
    ],
};

pub(super) const BETWEEN: Template = Template {
    name: "between",
    phrasings: &[
        "how many {pl} have a {mw} between {lo} and {hi}?",
        "count the {pl} whose {mw} is from {lo} to {hi}.",
    ],
    sql: &["SELECT COUNT(*) FROM {tn} WHERE {mn} BETWEEN {lo} AND {hi}"],
};

pub(super) const LIST_BETWEEN: Template = Template {
    name: "list_between",
    phrasings: &[
        "list the {lw} and {mw} of {pl} with a {mw} between {lo} and {hi} inclusive.",
        "which {pl} have a {mw} from {lo} to {hi}? give their {lw} and {mw}.",
    ],
    sql: &["SELECT {ls}, {mn} FROM {tn} WHERE {mn} BETWEEN {lo} AND {hi}"],
};

pub(super) const STARTS_WITH: Template = Template {
    name: "starts_with",
    phrasings: &[
        "list the {lw} of {pl} whose {lcw} starts with '{ch}'.",
        "which {pl} have a {lcw} beginning with the letter {ch}? give their {lw}.",
    ],
    sql: &["SELECT {ls} FROM {tn} WHERE {lcn} LIKE '{ch}%'"],
};

pub(super) const CONTAINS: Template = Template {
    name: "contains",
    phrasings: &[
        "list the {lw} of all {pl} whose {lcw} contains the word '{word}'.",
        "which {pl} have '{word}' in their {lcw}? give their {lw}.",
    ],
    sql: &["SELECT {ls} FROM {tn} WHERE {lcn} LIKE '%{word}%'"],
};

pub(super) const SUPERLATIVE: Template = Template {
    name: "superlative",
    phrasings: &[
        "which {sg} has the {most} {mw}? give its {lw}.",
        "what are the {lw} of the {sg} with the {most} {mw}?",
        "find the {sg} with the {most} {mw}.",
    ],
    sql: &["SELECT {ls} FROM {tn} ORDER BY {mn} {dir} LIMIT 1"],
};

pub(super) const ORDER_LIMIT: Template = Template {
    name: "order_limit",
    phrasings: &[
        "list the {lw} of the {n} {pl} with the {most} {mw}.",
        "what are the top {n} {pl} by {mw} ({most} first)? give their {lw}.",
        "show the {lw} and {mw} of the {n} {pl} with the {most} {mw}.",
    ],
    sql: &[
        "SELECT {ls} FROM {tn} ORDER BY {mn} {dir} LIMIT {n}",
        "SELECT {ls} FROM {tn} ORDER BY {mn} {dir} LIMIT {n}",
        "SELECT {ls}, {mn} FROM {tn} ORDER BY {mn} {dir} LIMIT {n}",
    ],
};

pub(super) const ABOVE_AVG: Template = Template {
    name: "above_avg",
    phrasings: &[
        "which {pl} have a {mw} above the average? give their {lw}.",
        "list the {lw} of {pl} whose {mw} is greater than the average {mw}.",
    ],
    sql: &["SELECT {ls} FROM {tn} WHERE {mn} > (SELECT AVG({mn}) FROM {tn})"],
};

pub(super) const SORTED: Template = Template {
    name: "sorted",
    phrasings: &[
        "list the {lw} of all {pl} sorted by {mw} in {ord} order.",
        "show the {lw} of every {sg}, ordered by {mw} ({ord}).",
    ],
    sql: &["SELECT {ls} FROM {tn} ORDER BY {mn} {dir}"],
};

pub(super) const COUNT_DATE: Template = Template {
    name: "count_date",
    phrasings: &[
        "how many {pl} have a {dw} {ow} {x}?",
        "count the {pl} whose {dw} is {ow} {x}.",
    ],
    sql: &["SELECT COUNT(*) FROM {tn} WHERE {dn} {op} {x}"],
};

pub(super) const COUNT_YEAR: Template = Template {
    name: "count_year",
    phrasings: &[
        "how many {pl} have a {dw} in {y}?",
        "count the {pl} whose {dw} falls in {y}.",
    ],
    sql: &["SELECT COUNT(*) FROM {tn} WHERE {dn} LIKE '{y}-%'"],
};

pub(super) const LIST_YEAR: Template = Template {
    name: "list_year",
    phrasings: &[
        "list the {lw} of {pl} with a {dw} in {y}.",
        "which {pl} have a {dw} in the year {y}? give their {lw}.",
    ],
    sql: &["SELECT {ls} FROM {tn} WHERE {dn} LIKE '{y}-%'"],
};

pub(super) const DATE_SUPERLATIVE: Template = Template {
    name: "date_superlative",
    phrasings: &[
        "which {sg} has the {w} {dw}? give its {lw}.",
        "what are the {lw} of the {sg} with the {w} {dw}?",
    ],
    sql: &["SELECT {ls} FROM {tn} ORDER BY {dn} {dir} LIMIT 1"],
};

pub(super) const IS_NULL: Template = Template {
    name: "is_null",
    phrasings: &[
        "how many {pl} have no {cw} recorded?",
        "count the {pl} whose {cw} is missing.",
    ],
    sql: &["SELECT COUNT(*) FROM {tn} WHERE {cn} IS NULL"],
};

pub(super) const LIST_NULL: Template = Template {
    name: "list_null",
    phrasings: &[
        "list the {lw} of {pl} with no {cw} recorded.",
        "which {pl} have no {cw}? give their {lw}.",
    ],
    sql: &["SELECT {ls} FROM {tn} WHERE {cn} IS NULL"],
};

pub(super) const NOT_NULL: Template = Template {
    name: "not_null",
    phrasings: &[
        "how many {pl} have a {cw}?",
        "count the {pl} with a known {cw}.",
    ],
    sql: &["SELECT COUNT(*) FROM {tn} WHERE {cn} IS NOT NULL"],
};

// ---- along a foreign key (child T1, parent T2; `{on}` is the join) ------------------------

pub(super) const JOIN_GROUP_COUNT: Template = Template {
    name: "join_group_count",
    phrasings: &[
        "for each {psg}, give its {plw} and the number of {cpl}.",
        "how many {cpl} does each {role} have? show the {plw} with each count.",
        "list every {role} {plw} with its count of {cpl}.",
    ],
    sql: &["SELECT {pls2}, COUNT(*) FROM {on} GROUP BY T1.{fk}"],
};

pub(super) const JOIN_TOP: Template = Template {
    name: "join_top",
    phrasings: &[
        "which {role} has the most {cpl}? give its {plw}.",
        "what are the {plw} of the {role} with the largest number of {cpl}?",
    ],
    sql: &["SELECT {pls2} FROM {on} GROUP BY T1.{fk} ORDER BY COUNT(*) DESC LIMIT 1"],
};

pub(super) const JOIN_HAVING: Template = Template {
    name: "join_having",
    phrasings: &[
        "list the {plw} of {ppl} that have at least {n} {cpl}.",
        "which {role}s are linked to {n} or more {cpl}? give their {plw}.",
    ],
    sql: &["SELECT {pls2} FROM {on} GROUP BY T1.{fk} HAVING COUNT(*) >= {n}"],
};

pub(super) const NOT_IN: Template = Template {
    name: "not_in",
    phrasings: &[
        "list the {plw} of {ppl} that have no {cpl}.",
        "which {ppl} have no {cpl} at all? give their {plw}.",
    ],
    sql: &[
        "SELECT {pls} FROM {pn} WHERE {pk} NOT IN (SELECT {fk} FROM {cn} WHERE {fk} IS NOT NULL)",
    ],
};

pub(super) const JOIN_WHERE: Template = Template {
    name: "join_where",
    phrasings: &[
        "list the {clw} of {cpl} whose {role} is {v}.",
        "what are the {clw} of the {cpl} of the {role} {v}?",
    ],
    sql: &["SELECT {cls1} FROM {on} WHERE T2.{plabel} = {v}"],
};

pub(super) const JOIN_LIST: Template = Template {
    name: "join_list",
    phrasings: &[
        "list the {clw} of each {csg} together with the {plw} of its {role}.",
        "show the {clw} of every {csg} and the {plw} of the {role} it belongs to.",
    ],
    sql: &["SELECT {cls1}, {pls2} FROM {on}"],
};

pub(super) const IN_SUBQUERY: Template = Template {
    name: "in_subquery",
    phrasings: &[
        "list the {plw} of {ppl} that have at least one {csg} with {cw} {v}.",
        "which {ppl} have some {cpl} whose {cw} is {v}? give their {plw}.",
    ],
    sql: &["SELECT {pls} FROM {pn} WHERE {pk} IN (SELECT {fk} FROM {cn} WHERE {ccn} = {v})"],
};

pub(super) const NOT_IN_WHERE: Template = Template {
    name: "not_in_where",
    phrasings: &[
        "list the {plw} of {ppl} with no {csg} whose {cw} is {v}.",
        "which {ppl} have no {cpl} with {cw} {v}? give their {plw}.",
    ],
    sql: &["SELECT {pls} FROM {pn} WHERE {pk} NOT IN (SELECT {fk} FROM {cn} WHERE {ccn} = {v} AND {fk} IS NOT NULL)"],
};

pub(super) const JOIN_COUNT_WHERE: Template = Template {
    name: "join_count_where",
    phrasings: &[
        "how many {cpl} belong to {ppl} whose {pcw} is {v}?",
        "count the {cpl} whose {role} has {pcw} {v}.",
    ],
    sql: &["SELECT COUNT(*) FROM {on} WHERE T2.{pcn} = {v}"],
};

pub(super) const JOIN_GROUP_CAT: Template = Template {
    name: "join_group_cat",
    phrasings: &[
        "for each {pcw} of {ppl}, how many {cpl} are there?",
        "count the {cpl} per {role} {pcw}.",
    ],
    sql: &["SELECT T2.{pcn}, COUNT(*) FROM {on} GROUP BY T2.{pcn}"],
};

pub(super) const JOIN_AGG: Template = Template {
    name: "join_agg",
    phrasings: &[
        "what is the average {mw} of {cpl} for each {role}? show the {plw} with each average.",
        "for every {role}, give its {plw} and the average {mw} of its {cpl}.",
    ],
    sql: &["SELECT {pls2}, AVG(T1.{mn}) FROM {on} GROUP BY T1.{fk}"],
};

pub(super) const JOIN_FILTER_NUM: Template = Template {
    name: "join_filter_num",
    phrasings: &[
        "which {ppl} have a {csg} with {mw} above {x}? give their {plw}.",
        "list the distinct {plw} of {ppl} that have any {cpl} with a {mw} greater than {x}.",
    ],
    sql: &["SELECT DISTINCT {pls2} FROM {on} WHERE T1.{mn} > {x}"],
};

/// Every template, for checks over the table.
#[cfg(test)]
pub(super) const ALL: &[&Template] = &[
    &COUNT_ALL,
    &LIST_ALL,
    &DISTINCT,
    &GROUP_COUNT,
    &GROUP_TOP,
    &COUNT_DISTINCT,
    &GROUP_HAVING,
    &COUNT_WHERE,
    &LIST_WHERE,
    &UNION,
    &GROUP_AGG,
    &GROUP_COUNT_AVG,
    &GROUP_SUM,
    &GROUP_ORDER,
    &AGG_WHERE,
    &AVG_ROUND_WHERE,
    &AND_FILTER,
    &INTERSECT,
    &EXCEPT,
    &AGG,
    &MAX_MIN,
    &AVG_ROUND,
    &COUNT_NUM,
    &FILTER_NUM,
    &BETWEEN,
    &LIST_BETWEEN,
    &STARTS_WITH,
    &CONTAINS,
    &SUPERLATIVE,
    &ORDER_LIMIT,
    &ABOVE_AVG,
    &SORTED,
    &COUNT_DATE,
    &COUNT_YEAR,
    &LIST_YEAR,
    &DATE_SUPERLATIVE,
    &IS_NULL,
    &LIST_NULL,
    &NOT_NULL,
    &JOIN_GROUP_COUNT,
    &JOIN_TOP,
    &JOIN_HAVING,
    &NOT_IN,
    &JOIN_WHERE,
    &JOIN_LIST,
    &IN_SUBQUERY,
    &NOT_IN_WHERE,
    &JOIN_COUNT_WHERE,
    &JOIN_GROUP_CAT,
    &JOIN_AGG,
    &JOIN_FILTER_NUM,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_each_phrasing_has_its_sql() {
        let names: BTreeSet<&str> = ALL.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), ALL.len());
        for t in ALL {
            assert!(!t.phrasings.is_empty(), "{}", t.name);
            assert!(
                t.phrasings.len() <= super::super::grammar::MAX_PHRASINGS,
                "{}",
                t.name
            );
            assert!(
                t.sql.len() == 1 || t.sql.len() == t.phrasings.len(),
                "{}: {} patterns for {} phrasings",
                t.name,
                t.sql.len(),
                t.phrasings.len()
            );
            for (i, _) in t.phrasings.iter().enumerate() {
                assert!(t.sql_for(i).starts_with("SELECT "), "{}", t.name);
            }
        }
    }
}
