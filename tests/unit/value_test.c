/* value_test.c — sequences, optionals and string tensors (value.h): the sequence ops, string casts and
 * StringNormalizer run on hand-made values; the executor refuses them where an op computes on numbers, and
 * malformed SequenceProto/OptionalProto files fail with an error instead of crashing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/exec.h"
#include "engine/formats/onnx.h"
#include "engine/value.h"
#include "test.h"

static cs_tensor *vec_f32(int n, const float *v)
{
    int64_t d = n;
    cs_tensor *t = cs_tensor_new(CS_DT_F32, 1, &d, NULL);
    memcpy(t->data, v, sizeof(float) * (size_t)n);
    return t;
}

static cs_tensor *scalar_i64(int64_t v)
{
    cs_tensor *t = cs_tensor_new(CS_DT_I64, 0, NULL, NULL);
    ((int64_t *)t->data)[0] = v;
    return t;
}

static cs_tensor *strings(int n, const char *const *s)
{
    int64_t d = n;
    cs_tensor *t = cs_tensor_new(CS_DT_STRING, 1, &d, NULL);
    for (int i = 0; i < n; i++)
        cs_string_set(t, i, s[i], strlen(s[i]), NULL);
    return t;
}

/* A graph holding one node `op` with n_in inputs and one output, to run with cs_exec_node. */
static cs_graph *node_graph(const char *op, int n_in)
{
    cs_graph *g = cs_graph_new("values", "onnx");
    g->opset = 18;
    int ins[8], out = cs_graph_value(g, "out");
    for (int i = 0; i < n_in; i++) {
        char name[16];
        snprintf(name, sizeof name, "in%d", i);
        ins[i] = cs_graph_value(g, name);
        cs_graph_add_input(g, ins[i]);
    }
    cs_graph_add_node(g, op, op, ins, n_in, &out, 1);
    cs_graph_add_output(g, out);
    return g;
}

/* Runs op on inputs (absent where NULL); returns the output or NULL (err filled). */
static cs_tensor *run_op(cs_graph *g, const cs_tensor *const *in, cs_error *err)
{
    cs_tensor *out = NULL;
    return cs_exec_node(g, 0, in, &out, err) == CS_OK ? out : NULL;
}

TEST(sequence_ops_insert_erase_at_length_and_concat)
{
    float a[2] = {1, 2}, b[2] = {3, 4}, c[2] = {5, 6};
    cs_tensor *x = vec_f32(2, a), *y = vec_f32(2, b), *z = vec_f32(2, c), *zero = scalar_i64(0), *last = scalar_i64(-1);
    cs_error err = {0};
    cs_graph *construct = node_graph("SequenceConstruct", 2), *insert = node_graph("SequenceInsert", 3),
             *erase = node_graph("SequenceErase", 2), *at = node_graph("SequenceAt", 2),
             *len = node_graph("SequenceLength", 1), *concat = node_graph("ConcatFromSequence", 1);
    cs_attrs_add_int(&concat->nodes[0].attrs, "axis", 0);
    const cs_tensor *in1[2] = {x, y};
    cs_tensor *s1 = run_op(construct, in1, &err); /* [x, y] */
    EXPECT(s1 && s1->kind == CS_VALUE_SEQUENCE && s1->n_items == 2);
    const cs_tensor *in2[3] = {s1, z, zero};
    cs_tensor *s2 = s1 ? run_op(insert, in2, &err) : NULL; /* [z, x, y] */
    EXPECT(s2 && s2->n_items == 3 && s1->n_items == 2);     /* the input sequence is not changed */
    const cs_tensor *in3[2] = {s2, last};
    cs_tensor *s3 = s2 ? run_op(erase, in3, &err) : NULL; /* [z, x] */
    const cs_tensor *in4[2] = {s3, last}, *in5[1] = {s3};
    cs_tensor *e = s3 ? run_op(at, in4, &err) : NULL, *n = s3 ? run_op(len, in5, &err) : NULL;
    cs_tensor *cat = s3 ? run_op(concat, in5, &err) : NULL;
    EXPECT(e && e->dtype == CS_DT_F32 && ((float *)e->data)[0] == 1 && ((float *)e->data)[1] == 2);
    EXPECT(n && ((int64_t *)n->data)[0] == 2);
    EXPECT(cat && cat->rank == 1 && cat->dims[0] == 4 && ((float *)cat->data)[0] == 5 && ((float *)cat->data)[3] == 2);
    const cs_tensor *bad[2] = {s3, scalar_i64(7)};
    EXPECT(s3 && !run_op(at, bad, &err) && strstr(err.msg, "outside"));
    cs_tensor_free((cs_tensor *)bad[1]);
    cs_tensor *all[] = {x, y, z, zero, last, s1, s2, s3, e, n, cat};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        cs_tensor_free(all[i]);
    cs_graph *gs[] = {construct, insert, erase, at, len, concat};
    for (size_t i = 0; i < sizeof gs / sizeof *gs; i++)
        cs_graph_free(gs[i]);
}

TEST(split_to_sequence_by_chunk_size_keeps_the_remainder)
{
    float v[5] = {0, 1, 2, 3, 4};
    cs_tensor *x = vec_f32(5, v), *two = scalar_i64(2);
    cs_graph *g = node_graph("SplitToSequence", 2);
    cs_error err = {0};
    const cs_tensor *in[2] = {x, two};
    cs_tensor *s = run_op(g, in, &err);
    EXPECT(s && s->n_items == 3);
    EXPECT(s && s->n_items == 3 && s->items[0]->dims[0] == 2 && s->items[2]->dims[0] == 1 &&
           ((float *)s->items[2]->data)[0] == 4);
    cs_tensor_free(s), cs_tensor_free(x), cs_tensor_free(two);
    cs_graph_free(g);
}

TEST(optional_empty_and_holding_a_sequence)
{
    cs_error err = {0};
    cs_graph *mk = node_graph("Optional", 1), *has = node_graph("OptionalHasElement", 1),
             *get = node_graph("OptionalGetElement", 1);
    const cs_tensor *none[1] = {NULL};
    cs_tensor *empty = run_op(mk, none, &err);
    EXPECT(empty && empty->kind == CS_VALUE_OPTIONAL && empty->n_items == 0);
    const cs_tensor *in_e[1] = {empty};
    cs_tensor *h = empty ? run_op(has, in_e, &err) : NULL;
    EXPECT(h && ((uint8_t *)h->data)[0] == 0);
    EXPECT(empty && !run_op(get, in_e, &err) && strstr(err.msg, "empty"));
    cs_tensor *seq = cs_seq_new(&err);
    const cs_tensor *in_s[1] = {seq};
    cs_tensor *full = run_op(mk, in_s, &err);
    const cs_tensor *in_f[1] = {full};
    cs_tensor *back = full ? run_op(get, in_f, &err) : NULL;
    EXPECT(back && back->kind == CS_VALUE_SEQUENCE && back->n_items == 0);
    cs_tensor *all[] = {empty, h, seq, full, back};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        cs_tensor_free(all[i]);
    cs_graph_free(mk), cs_graph_free(has), cs_graph_free(get);
}

TEST(a_sequence_reaching_a_numeric_op_is_refused_by_name)
{
    /* SequenceConstruct(x) -> s; Add(s, x): the executor stops before Add computes on a sequence */
    cs_graph *g = cs_graph_new("bad", "onnx");
    g->opset = 18;
    int x = cs_graph_value(g, "x"), s = cs_graph_value(g, "s"), y = cs_graph_value(g, "y");
    cs_graph_add_input(g, x);
    cs_graph_add_node(g, "SequenceConstruct", "seq", &x, 1, &s, 1);
    int add_in[2] = {s, x};
    cs_graph_add_node(g, "Add", "add", add_in, 2, &y, 1);
    cs_graph_add_output(g, y);
    cs_plan *plan = NULL;
    cs_error err = {0};
    EXPECT(cs_plan_build(g, &plan, &err) == CS_OK && plan->takes_values);
    float v[2] = {1, 2};
    cs_tensor *xt = vec_f32(2, v), *out = NULL;
    const cs_tensor *in[1] = {xt};
    EXPECT(plan && cs_exec_run(g, plan, in, &out, NULL, NULL, &err) == CS_ERR_UNSUPPORTED);
    EXPECT(strstr(err.msg, "'add' (Add): input 0 is a sequence") != NULL);
    EXPECT(out == NULL);
    cs_tensor_free(xt);
    cs_plan_free(plan);
    cs_graph_free(g);
}

TEST(numeric_graphs_plan_no_value_checks)
{
    cs_graph *g = node_graph("Relu", 1);
    cs_plan *plan = NULL;
    cs_error err = {0};
    EXPECT(cs_plan_build(g, &plan, &err) == CS_OK && plan && plan->takes_values == NULL);
    cs_plan_free(plan);
    cs_graph_free(g);
}

TEST(string_casts_print_shortest_digits_and_parse_inf_nan)
{
    float v[5] = {0.1f, 100.0f, 1e20f, 0.039187793f, -2.5e-05f};
    cs_tensor *x = vec_f32(5, v);
    cs_error err = {0};
    cs_tensor *s = cs_string_cast(x, CS_DT_STRING, &err);
    const char *want[5] = {"0.1", "100.0", "1e+20", "0.039187793", "-2.5e-05"};
    for (int i = 0; s && i < 5; i++)
        EXPECT(strcmp(cs_string_at(s, i), want[i]) == 0);
    const char *txt[4] = {"NaN", "+INF", "-INF", "0.5"};
    cs_tensor *t = strings(4, txt), *f = cs_string_cast(t, CS_DT_F32, &err);
    EXPECT(f && isnan(((float *)f->data)[0]) && ((float *)f->data)[1] == INFINITY &&
           ((float *)f->data)[2] == -INFINITY && ((float *)f->data)[3] == 0.5f);
    cs_tensor *copy = cs_tensor_clone(t, &err); /* deep: freeing both must not double-free */
    EXPECT(copy && strcmp(cs_string_at(copy, 1), "+INF") == 0 && cs_string_at(copy, 1) != cs_string_at(t, 1));
    cs_tensor_free(x), cs_tensor_free(s), cs_tensor_free(t), cs_tensor_free(f), cs_tensor_free(copy);
}

TEST(string_normalizer_drops_stopwords_without_case_and_maps_utf8)
{
    cs_graph *g = node_graph("StringNormalizer", 1);
    const char *stop[1] = {"MONDAY"};
    cs_attrs_add_strings(&g->nodes[0].attrs, "stopwords", stop, 1);
    cs_attrs_add_string(&g->nodes[0].attrs, "case_change_action", "LOWER");
    const char *words[3] = {"Monday", "\xc3\x84rger", "Tuesday"}; /* "Ärger" */
    cs_tensor *x = strings(3, words);
    cs_error err = {0};
    const cs_tensor *in[1] = {x};
    cs_tensor *y = run_op(g, in, &err);
    EXPECT(y && y->dtype == CS_DT_STRING && y->dims[0] == 2);
    EXPECT(y && strcmp(cs_string_at(y, 0), "\xc3\xa4rger") == 0 && strcmp(cs_string_at(y, 1), "tuesday") == 0);
    cs_tensor_free(x), cs_tensor_free(y);
    cs_graph_free(g);
}

/* Writes bytes to a temporary file and reads them as a value of kind. */
static cs_status read_bytes(const unsigned char *b, size_t n, cs_value_kind kind, cs_tensor **out, cs_error *err)
{
    char path[] = "/tmp/cs_value_testXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return CS_ERR_IO;
    cs_status st = write(fd, b, n) == (ssize_t)n ? cs_onnx_read_value_file(path, kind, out, err) : CS_ERR_IO;
    close(fd);
    unlink(path);
    return st;
}

TEST(malformed_sequence_and_optional_files_fail_cleanly)
{
    cs_tensor *t = NULL;
    cs_error err = {0};
    /* a SequenceProto whose tensor field claims 200 bytes but holds 2 */
    const unsigned char truncated[] = {0x1a, 0xc8, 0x01, 0x08, 0x01};
    EXPECT(read_bytes(truncated, sizeof truncated, CS_VALUE_SEQUENCE, &t, &err) == CS_ERR_FORMAT && !t);
    /* optionals nested 40 deep (field 7 within field 7 ...) */
    unsigned char deep[80];
    for (int i = 0; i < 40; i++)
        deep[2 * i] = 0x3a, deep[2 * i + 1] = (unsigned char)(78 - 2 * i);
    EXPECT(read_bytes(deep, sizeof deep, CS_VALUE_OPTIONAL, &t, &err) == CS_ERR_FORMAT && !t);
    EXPECT(strstr(err.msg, "nested") != NULL);
    /* an empty OptionalProto is an empty optional; a sequence with one int64 tensor [7] reads back */
    EXPECT(read_bytes((const unsigned char *)"", 0, CS_VALUE_OPTIONAL, &t, &err) == CS_OK && t && t->n_items == 0);
    cs_tensor_free(t);
    t = NULL;
    const unsigned char one[] = {0x1a, 0x06, 0x08, 0x01, 0x10, 0x07, 0x38, 0x07}; /* dims 1, type 7, int64_data 7 */
    EXPECT(read_bytes(one, sizeof one, CS_VALUE_SEQUENCE, &t, &err) == CS_OK && t && t->n_items == 1 &&
           t->items[0]->dtype == CS_DT_I64 && ((int64_t *)t->items[0]->data)[0] == 7);
    cs_tensor_free(t);
}
