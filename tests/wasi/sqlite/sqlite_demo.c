/* sqlite_demo.c — a workload for the upstream SQLite amalgamation: `create DB N`
 * makes a table of N rows in one transaction plus an index; `query DB` reads
 * them back with aggregates, a GROUP BY, an index lookup, an update and an
 * integrity check. Built twice (natively and for wasm32-wasi) so the native run's
 * output is the oracle for the wasm one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"

static sqlite3 *db;

static void die(const char *what)
{
    fprintf(stderr, "sqlite_demo: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static int print_row(void *unused, int n, char **vals, char **cols)
{
    (void)unused, (void)cols;
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? "|" : "", vals[i] ? vals[i] : "NULL");
    printf("\n");
    return 0;
}

static void exec(const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, print_row, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "sqlite_demo: %s: %s\n", sql, msg);
        exit(1);
    }
}

static void create(int n)
{
    exec("PRAGMA journal_mode=DELETE");
    exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL, grp INT)");
    exec("BEGIN");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
        die("prepare");
    for (int id = 1; id <= n; id++) {
        char name[32];
        snprintf(name, sizeof(name), "row-%d", id);
        sqlite3_bind_int(st, 1, id);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 3, (double)((id * 7919) % 1000) / 10.0);
        sqlite3_bind_int(st, 4, id % 7);
        if (sqlite3_step(st) != SQLITE_DONE)
            die("insert");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec("COMMIT");
    exec("CREATE INDEX t_value ON t(value)");
    printf("created %d rows\n", n);
}

static void query(void)
{
    exec("SELECT count(*), sum(value), min(name), max(name) FROM t");
    exec("SELECT grp, count(*), round(avg(value), 3), round(total(value), 1) FROM t GROUP BY grp "
         "ORDER BY grp");
    exec("SELECT id, name, value FROM t WHERE value BETWEEN 42.0 AND 42.05 ORDER BY id LIMIT 5");
    exec("SELECT name FROM t WHERE id = 4242");
    exec("UPDATE t SET value = value + 1 WHERE grp = 3");
    exec("SELECT count(*), round(sum(value), 1) FROM t WHERE grp = 3");
    exec(
        "SELECT group_concat(name, ',') FROM (SELECT name FROM t ORDER BY value DESC, id LIMIT 3)");
    exec("PRAGMA integrity_check");
    exec("SELECT sqlite_version() IS NOT NULL");
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return fprintf(stderr, "usage: sqlite_demo create DB N | query DB\n"), 2;
    if (sqlite3_open(argv[2], &db) != SQLITE_OK)
        die(argv[2]);
    if (strcmp(argv[1], "create") == 0 && argc == 4)
        create(atoi(argv[3]));
    else if (strcmp(argv[1], "query") == 0)
        query();
    else
        return 2;
    if (sqlite3_close(db) != SQLITE_OK)
        die("close");
    return 0;
}
