//! What came from Spider goes back out as it came: a Spider folder (written here) with a
//! composite primary key and original column names that SQLite's do not match, through the
//! real binary: `import spider` then `export spider` gives the same tables.json entry and the
//! same records (`sql` trees and tokens included); a corrected gold SQL drops its stale tree.

use crate::bin::{ok, sense};
use serde_json::{json, Value};
use std::path::Path;

/// Spider's entry for `shop`: names as the benchmark writes them (SQLite has them lower case),
/// natural-language names, a composite primary key (`[3, 4]`), a foreign key.
fn shop_tables() -> Value {
    json!({
        "db_id": "shop",
        "table_names_original": ["Customer", "Order_Item"],
        "table_names": ["customer", "order item"],
        "column_names_original": [[-1, "*"], [0, "Cust_ID"], [0, "Cust_Name"], [1, "Cust_ID"],
                                  [1, "Item_ID"], [1, "Qty"]],
        "column_names": [[-1, "*"], [0, "customer id"], [0, "customer name"], [1, "customer id"],
                         [1, "item id"], [1, "quantity"]],
        "column_types": ["text", "number", "text", "number", "number", "number"],
        "primary_keys": [1, [3, 4]],
        "foreign_keys": [[3, 1]]
    })
}

fn records() -> Vec<Value> {
    vec![
        json!({
            "db_id": "shop",
            "query": "SELECT count(*) FROM Customer",
            "query_toks": ["SELECT", "count", "(", "*", ")", "FROM", "Customer"],
            "query_toks_no_value": ["select", "count", "(", "*", ")", "from", "customer"],
            "question": "How many customers are there?",
            "question_toks": ["How", "many", "customers", "are", "there", "?"],
            "sql": {
                "except": null, "from": {"conds": [], "table_units": [["table_unit", 0]]},
                "groupBy": [], "having": [], "intersect": null, "limit": null, "orderBy": [],
                "select": [false, [[3, [0, [0, 0, false], null]]]], "union": null, "where": []
            }
        }),
        json!({
            "db_id": "shop",
            "query": "SELECT Qty FROM Order_Item WHERE Cust_ID = 1",
            "query_toks": ["SELECT", "Qty", "FROM", "Order_Item", "WHERE", "Cust_ID", "=", "1"],
            "query_toks_no_value": ["select", "qty", "from", "order_item", "where", "cust_id", "=",
                                    "value"],
            "question": "What quantities did customer 1 order?",
            "question_toks": ["What", "quantities", "did", "customer", "1", "order", "?"],
            "sql": {
                "except": null, "from": {"conds": [], "table_units": [["table_unit", 1]]},
                "groupBy": [], "having": [], "intersect": null, "limit": null, "orderBy": [],
                "select": [false, [[0, [0, [0, 5, false], null]]]], "union": null,
                "where": [[false, 2, [0, [0, 3, false], null], 1.0, null]]
            }
        }),
    ]
}

/// The Spider folder: `train_spider.json`, `tables.json` (with a second database no question
/// uses) and `database/shop/shop.sqlite`.
fn spider_folder(root: &Path) {
    let db = root.join("database/shop");
    std::fs::create_dir_all(&db).unwrap();
    rusqlite::Connection::open(db.join("shop.sqlite"))
        .unwrap()
        .execute_batch(
            "CREATE TABLE customer (cust_id INTEGER PRIMARY KEY, cust_name TEXT);
             CREATE TABLE order_item (cust_id INTEGER REFERENCES customer(cust_id),
                 item_id INTEGER, qty INTEGER, PRIMARY KEY (cust_id, item_id));
             INSERT INTO customer VALUES (1, 'Ann'), (2, 'Bo');
             INSERT INTO order_item VALUES (1, 10, 3), (1, 11, 1), (2, 10, 5);",
        )
        .unwrap();
    let mut other = shop_tables();
    other["db_id"] = "other".into();
    std::fs::write(
        root.join("tables.json"),
        serde_json::to_string_pretty(&json!([shop_tables(), other])).unwrap(),
    )
    .unwrap();
    std::fs::write(
        root.join("train_spider.json"),
        serde_json::to_string_pretty(&records()).unwrap(),
    )
    .unwrap();
}

fn read(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn a_spider_import_exports_its_tables_entries_and_sql_trees_as_they_were() {
    let d = tempfile::tempdir().unwrap();
    let ws = d.path().join("sense.db");
    let spider = d.path().join("spider");
    spider_folder(&spider);
    ok(sense(&ws)
        .args(["import", "spider"])
        .arg(spider.join("train_spider.json")));

    // What SQLite alone gives differs from Spider's entry: lower-case names, a flat key list.
    let store = sense::store::Store::open(&ws).unwrap();
    let path = store.database_by_name("shop").unwrap().path;
    let regenerated = sense::dataset::export::spider_tables_entry(
        "shop",
        &sense::schema::introspect_path(&path, 0).unwrap(),
    );
    assert_ne!(regenerated["primary_keys"], shop_tables()["primary_keys"]);
    assert_ne!(
        regenerated["column_names_original"],
        shop_tables()["column_names_original"]
    );

    let out = d.path().join("out");
    let said = ok(sense(&ws).args(["export", "spider"]).arg(&out));
    assert!(
        said.contains("as imported from Spider: 1 tables.json entries, 2 `sql` trees"),
        "{said}"
    );
    assert_eq!(read(&out.join("tables.json")), json!([shop_tables()]));
    let exported = read(&out.join("train.json"));
    let exported = exported.as_array().unwrap();
    assert_eq!(exported.len(), 2);
    for (e, r) in exported.iter().zip(records()) {
        for (k, v) in r.as_object().unwrap() {
            assert_eq!(&e[k], v, "field {k} of {r}");
        }
    }

    // A corrected gold SQL no longer matches its tree: the tree and the query's tokens go (the
    // tokens are written anew), the summary says so, and the other record stays as it was.
    let id: i64 = store
        .conn()
        .query_row(
            "SELECT id FROM examples WHERE question = ?1",
            ["What quantities did customer 1 order?"],
            |r| r.get(0),
        )
        .unwrap();
    ok(sense(&ws).args([
        "gold",
        "set",
        &id.to_string(),
        "SELECT qty FROM order_item WHERE cust_id = 1 AND item_id = 10",
    ]));
    let said = ok(sense(&ws).args(["export", "spider"]).arg(&out));
    assert!(
        said.contains("1 `sql` trees")
            && said.contains(
                "1 questions without their `sql` tree: their gold SQL was corrected since import"
            ),
        "{said}"
    );
    let exported = read(&out.join("train.json"));
    let (first, second) = (&exported[0], &exported[1]);
    for (k, v) in records()[0].as_object().unwrap() {
        assert_eq!(&first[k], v, "field {k}");
    }
    assert!(second.get("sql").is_none() && second.get("query_toks_no_value").is_none());
    assert_eq!(
        second["query"],
        "SELECT qty FROM order_item WHERE cust_id = 1 AND item_id = 10"
    );
    assert_eq!(second["query_toks"][1], "qty");
    assert_eq!(second["question_toks"], records()[1]["question_toks"]);
    assert_eq!(read(&out.join("tables.json")), json!([shop_tables()]));
}
