/*
 * unit.c — unit tests of the container module's pure functions: docker's merge of
 * ENTRYPOINT/CMD and of the environment, restart policies, names, the log's JSON
 * escaping, time stamps and human durations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctr.h"

static char *dump(json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void check_cmd(char *const *ie, char *const *ic, const char *flag, const char *const *args,
                      size_t nargs, const char *want_e, const char *want_c)
{
    json_t *e, *c;
    wb_error err;
    assert_int_equal(ctr_merge_command(ie, ic, flag, args, nargs, &e, &c, &err), 0);
    char *se = dump(e), *sc = dump(c);
    assert_string_equal(se, want_e);
    assert_string_equal(sc, want_c);
    free(se), free(sc);
    json_decref(e), json_decref(c);
}

static void merge_command(void **state)
{
    (void)state;
    char *ie[] = {"/app.wasm", NULL}, *ic[] = {"serve", "--port", "80", NULL}, *none[] = {NULL};
    const char *args[] = {"run", "x"};
    check_cmd(ie, ic, NULL, NULL, 0, "[\"/app.wasm\"]", "[\"serve\",\"--port\",\"80\"]");
    check_cmd(ie, ic, NULL, args, 2, "[\"/app.wasm\"]", "[\"run\",\"x\"]");
    check_cmd(ie, ic, "/other.wasm", NULL, 0, "[\"/other.wasm\"]", "null");
    check_cmd(ie, ic, "/other.wasm", args, 1, "[\"/other.wasm\"]", "[\"run\"]");
    check_cmd(ie, ic, "", NULL, 0, "null", "null");
    check_cmd(none, ic, NULL, NULL, 0, "null", "[\"serve\",\"--port\",\"80\"]");
    check_cmd(none, none, NULL, args, 2, "null", "[\"run\",\"x\"]");
}

static void env_overlay(void **state)
{
    (void)state;
    json_t *env = json_pack("[s, s, s]", "A=1", "B=2", "C=3");
    const char *over[] = {"B=20", "D=4", "A=10", "C", "E="};
    assert_int_equal(ctr_env_overlay(env, over, 5), 0);
    char *s = dump(env);
    assert_string_equal(s, "[\"A=10\",\"B=20\",\"D=4\",\"E=\"]");
    free(s);
    json_decref(env);
}

static void restart_policy(void **state)
{
    (void)state;
    wb_restart_policy p;
    wb_error err;
    assert_int_equal(wb_restart_policy_parse("no", &p, &err), 0);
    assert_int_equal(p.kind, WB_RESTART_NO);
    assert_int_equal(wb_restart_policy_parse("always", &p, &err), 0);
    assert_int_equal(p.kind, WB_RESTART_ALWAYS);
    assert_int_equal(wb_restart_policy_parse("unless-stopped", &p, &err), 0);
    assert_int_equal(p.kind, WB_RESTART_UNLESS_STOPPED);
    assert_int_equal(wb_restart_policy_parse("on-failure", &p, &err), 0);
    assert_int_equal(p.kind, WB_RESTART_ON_FAILURE);
    assert_int_equal(p.max_retries, 0);
    assert_int_equal(wb_restart_policy_parse("on-failure:5", &p, &err), 0);
    assert_int_equal(p.max_retries, 5);
    assert_true(wb_restart_policy_parse("on-failure:", &p, &err) < 0);
    assert_true(wb_restart_policy_parse("on-failure:-1", &p, &err) < 0);
    assert_true(wb_restart_policy_parse("on-failurex", &p, &err) < 0);
    assert_true(wb_restart_policy_parse("sometimes", &p, &err) < 0);
    assert_non_null(strstr(err.message, "invalid restart policy"));
}

static void names(void **state)
{
    (void)state;
    wb_error err;
    assert_int_equal(ctr_name_check("web", &err), 0);
    assert_int_equal(ctr_name_check("a_b.c-d9", &err), 0);
    assert_true(ctr_name_check("a", &err) < 0);
    assert_true(ctr_name_check("-ab", &err) < 0);
    assert_true(ctr_name_check("a b", &err) < 0);
    assert_true(ctr_name_check("a/b", &err) < 0);
    assert_true(ctr_name_check("", &err) < 0);
}

static void json_escape(void **state)
{
    (void)state;
    char out[128];
    const char in[] = "a\"b\\c\nd\t\x01\x7f\xc3\xa9";
    size_t n = ctr_json_escape(in, sizeof in - 1, out);
    assert_string_equal(out, "a\\\"b\\\\c\\nd\\t\\u0001\\u007f\xc3\xa9");
    assert_int_equal(n, strlen(out));
}

static void times(void **state)
{
    (void)state;
    char buf[40];
    ctr_time_format(0, buf);
    assert_string_equal(buf, "0001-01-01T00:00:00Z");
    int64_t t = 1714564800LL * 1000000000 + 123456789;
    ctr_time_format(t, buf);
    assert_string_equal(buf, "2024-05-01T12:00:00.123456789Z");
    assert_true(ctr_time_parse(buf) == t);
    assert_true(ctr_time_parse("2024-05-01T12:00:00Z") == 1714564800LL * 1000000000);
    assert_true(ctr_time_parse("0001-01-01T00:00:00Z") == 0);
    char d[64];
    ctr_human_duration(500000000, d, sizeof d);
    assert_string_equal(d, "Less than a second");
    ctr_human_duration(1000000000LL, d, sizeof d);
    assert_string_equal(d, "1 second");
    ctr_human_duration(45 * 1000000000LL, d, sizeof d);
    assert_string_equal(d, "45 seconds");
    ctr_human_duration(90 * 1000000000LL, d, sizeof d);
    assert_string_equal(d, "About a minute");
    ctr_human_duration(3 * 3600 * 1000000000LL, d, sizeof d);
    assert_string_equal(d, "3 hours");
}

static void log_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/wbctr-unit.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = ctr_strf("%s/x-json.log", dir);
    ctr_log *l;
    wb_error err;
    assert_int_equal(ctr_log_open(path, 300, &l, &err), 0);
    ctr_log_feed(l, 1, "one\ntw", 6);
    ctr_log_feed(l, 2, "err\n", 4);
    ctr_log_feed(l, 1, "o\n", 2);
    for (int i = 0; i < 5; i++)
        ctr_log_feed(l, 1, "filler line\n", 12);
    ctr_log_feed(l, 1, "partial", 7);
    ctr_log_close(l);
    char *old = ctr_strf("%s.1", path);
    assert_int_equal(access(old, F_OK), 0); /* rotated at 300 bytes */
    FILE *f = fopen(path, "r");
    char line[512] = "";
    char last[512] = "";
    while (fgets(line, sizeof line, f))
        strcpy(last, line);
    fclose(f);
    assert_non_null(strstr(last, "{\"log\":\"partial\",\"stream\":\"stdout\",\"time\":\"20"));
    ctr_rm_rf(dir, &err);
    free(path);
    free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(merge_command),  cmocka_unit_test(env_overlay),
        cmocka_unit_test(restart_policy), cmocka_unit_test(names),
        cmocka_unit_test(json_escape),    cmocka_unit_test(times),
        cmocka_unit_test(log_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
