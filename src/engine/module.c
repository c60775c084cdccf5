/*
 * module.c — the module half of engine.h: making a wb_module from bytes
 * (decode, then validate), freeing it, and the introspection embedders use to
 * link imports and name functions.
 *
 * A module owns a private copy of the binary; everything that decode.c kept as
 * a pointer (names, bodies, constant expressions, data bytes) points into it,
 * so the copy lives exactly as long as the module.
 */
#include <string.h>

#include "module.h"
#include "translate.h"

int wb_module_new(const uint8_t *bytes, size_t len, wb_module **out, wb_error *err)
{
    *out = NULL;
    if (!bytes && len)
        return wb_error_set(err, "malformed module: no bytes");
    wb_module *m = calloc(1, sizeof *m);
    if (!m)
        return wb_error_oom(err);
    m->bytes = malloc(len ? len : 1);
    if (!m->bytes) {
        free(m);
        return wb_error_oom(err);
    }
    if (len)
        memcpy(m->bytes, bytes, len);
    m->len = len;
    int rc = pthread_mutex_init(&m->translate_lock, NULL);
    if (rc != 0) {
        free(m->bytes);
        free(m);
        return wb_error_errno(err, rc, "pthread_mutex_init");
    }
    if (wb_decode(m, err) < 0 || wb_validate(m, err) < 0) {
        wb_module_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

void wb_module_release(wb_module *m)
{
    free(m->types);
    free(m->type_storage);
    free(m->imports); /* names point into m->bytes */
    if (m->bodies)
        for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
            free(m->bodies[i].local_types);
    free(m->bodies);
    free(m->func_types);
    free(m->tables);
    free(m->memories);
    free(m->global_types);
    free(m->globals);
    free(m->exports);
    if (m->elems)
        for (uint32_t i = 0; i < m->nelems; i++) {
            free(m->elems[i].func_indices);
            free(m->elems[i].exprs);
        }
    free(m->elems);
    free(m->datas);
    free(m->func_declared);
    if (m->func_names)
        for (uint32_t i = 0; i < m->nfuncs; i++)
            free(m->func_names[i]);
    free(m->func_names);
}

void wb_module_free(wb_module *m)
{
    if (!m)
        return;
    if (m->bodies)
        for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
            struct wb_code *code = atomic_load(&m->bodies[i].compiled);
            if (code)
                wb_code_free(code);
        }
    wb_module_release(m);
    pthread_mutex_destroy(&m->translate_lock);
    free(m->bytes);
    free(m);
}

uint32_t wb_module_import_count(const wb_module *m)
{
    return m->nimports;
}

void wb_module_import(const wb_module *m, uint32_t index, wb_import_desc *out)
{
    memset(out, 0, sizeof *out);
    if (index >= m->nimports)
        return;
    const wb_import *imp = &m->imports[index];
    out->module = imp->module;
    out->module_len = imp->module_len;
    out->name = imp->name;
    out->name_len = imp->name_len;
    out->kind = imp->kind;
    if (imp->kind == WB_EXTERN_FUNC)
        out->type = m->types[imp->desc.func_type];
}

const char *wb_module_func_name(const wb_module *m, uint32_t func_index)
{
    if (!m->func_names || func_index >= m->nfuncs)
        return NULL;
    return m->func_names[func_index];
}
