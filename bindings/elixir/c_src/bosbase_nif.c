/*
 * bosbase_nif.c — the Elixir binding's NIF: a thin translation between BEAM terms and
 * include/bosbase.h. All BosBase logic (URLs, auth store, errors) stays in the core.
 *
 * Rules kept here:
 *  - atoms are made once, in load/upgrade;
 *  - a client is a resource (nif_client) whose destructor frees the core handle;
 *  - every call that may touch the network, and close (which waits for such calls), runs on
 *    a dirty I/O scheduler;
 *  - nothing raises: a term of the wrong type gives {error, badarg} (the Elixir side checks
 *    types first, so only a forged handle gets here) and every core failure gives
 *    {error, StatusCode, ErrorJson | nil}.
 *  - strings are copied into enif_alloc'd buffers per call (no static buffers) and every
 *    string the core returns is copied into a binary and freed at once.
 */
#include <string.h>

#include <erl_nif.h>

#include "bosbase.h"

/* Atoms shared by every process; created in load/upgrade. */
static ERL_NIF_TERM atom_ok;
static ERL_NIF_TERM atom_error;
static ERL_NIF_TERM atom_nil;
static ERL_NIF_TERM atom_true;
static ERL_NIF_TERM atom_false;
static ERL_NIF_TERM atom_badarg;

/* Per-library state, kept in priv_data so an upgraded library gets its own. */
typedef struct {
    ErlNifResourceType *client_type;
} nif_priv;

/*
 * A client resource. Closing is the core's job: bosbase_client_close refuses new calls
 * (CLOSED) and waits for the running ones. The handle is then freed at once so its
 * connections go with it; `lock` only guards the pointer's lifetime: every use holds it
 * for reading, and close takes it for writing (after the core's close, so the wait is only
 * for threads about to be refused) to clear the pointer before freeing.
 * A new library takes over resources created by an older one of the same resource type
 * name, so this layout must stay stable while the name stays: change both together (the
 * name got "_v2" when the layout lost its hand-written in-flight counter, so an upgrade from
 * a library of the old layout never takes its resources over and reads them as this one).
 */
#define RESOURCE_NAME "bosbase_client_v2"

typedef struct {
    BosbaseClient *client; /* NULL once closed and freed */
    ErlNifRWLock *lock;
} nif_client;

/* ---------------------------------------------------------------- helpers */

static ERL_NIF_TERM ok_tuple(ErlNifEnv *env, ERL_NIF_TERM value) {
    return enif_make_tuple2(env, atom_ok, value);
}

/* Copies a core-owned string into a binary and frees the original; NULL becomes nil. */
static ERL_NIF_TERM take_string(ErlNifEnv *env, char *s) {
    ERL_NIF_TERM bin;
    size_t len;
    unsigned char *data;

    if (s == NULL)
        return atom_nil;
    len = strlen(s);
    data = enif_make_new_binary(env, len, &bin);
    memcpy(data, s, len);
    bosbase_string_free(s);
    return bin;
}

/* {ok, Result} on success, {error, StatusCode, ErrorJson | nil} on failure. */
static ERL_NIF_TERM call_result(ErlNifEnv *env, BosbaseStatus status, char *result, char *error) {
    ERL_NIF_TERM res = take_string(env, result);
    ERL_NIF_TERM err = take_string(env, error);

    if (status == BOSBASE_STATUS_OK)
        return ok_tuple(env, res);
    return enif_make_tuple3(env, atom_error, enif_make_uint(env, (unsigned)status), err);
}

/*
 * Copies a binary into a fresh NUL-terminated buffer (enif_free it). Fails for a
 * non-binary or a binary holding a NUL byte, which C would silently truncate.
 * UTF-8 is checked by the core, which answers invalid_argument.
 */
static int get_cstr(ErlNifEnv *env, ERL_NIF_TERM term, char **out) {
    ErlNifBinary bin;
    char *buf;

    if (!enif_inspect_binary(env, term, &bin))
        return 0;
    if (bin.size > 0 && memchr(bin.data, '\0', bin.size) != NULL)
        return 0;
    buf = enif_alloc(bin.size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, bin.data, bin.size);
    buf[bin.size] = '\0';
    *out = buf;
    return 1;
}

/* Like get_cstr, but nil gives NULL (the core's "no options"). */
static int get_opt_cstr(ErlNifEnv *env, ERL_NIF_TERM term, char **out) {
    if (enif_is_identical(term, atom_nil)) {
        *out = NULL;
        return 1;
    }
    return get_cstr(env, term, out);
}

/* Frees the argument strings of one call; NULL entries are skipped. */
static void free_cstrs(char **strs, int n) {
    int i;
    for (i = 0; i < n; i++)
        if (strs[i] != NULL)
            enif_free(strs[i]);
}

static nif_client *get_client(ErlNifEnv *env, ERL_NIF_TERM term) {
    nif_priv *priv = enif_priv_data(env);
    nif_client *res;

    if (!enif_get_resource(env, term, priv->client_type, (void **)&res))
        return NULL;
    return res;
}

/* Read-locks the handle for one use; NULL (and unlocked) once the client was closed. */
static BosbaseClient *acquire(nif_client *res) {
    enif_rwlock_rlock(res->lock);
    if (res->client == NULL) {
        enif_rwlock_runlock(res->lock);
        return NULL;
    }
    return res->client;
}

static void release(nif_client *res) {
    enif_rwlock_runlock(res->lock);
}

/* {error, StatusCode} for a closed client, the same status the core answers with. */
static ERL_NIF_TERM closed_reply(ErlNifEnv *env) {
    return enif_make_tuple3(env, atom_error, enif_make_uint(env, BOSBASE_STATUS_CLOSED), atom_nil);
}

static ERL_NIF_TERM badarg_reply(ErlNifEnv *env) {
    return enif_make_tuple2(env, atom_error, atom_badarg);
}

static void client_dtor(ErlNifEnv *env, void *obj) {
    nif_client *res = obj;
    (void)env;
    /* No call can be in flight: a running call keeps its argument (this resource) alive. */
    bosbase_client_free(res->client);
    res->client = NULL;
    if (res->lock != NULL)
        enif_rwlock_destroy(res->lock);
}

/*
 * Decodes the client (argv[0]) and up to 6 string arguments (argv[1..]); `opt_last`
 * says whether the last one is the optional options JSON. Returns 0 for badarg.
 */
static int get_args(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[], int opt_last,
                    nif_client **res, char **strs) {
    int i;

    *res = get_client(env, argv[0]);
    if (*res == NULL)
        return 0;
    for (i = 1; i < argc; i++) {
        int ok = (opt_last && i == argc - 1) ? get_opt_cstr(env, argv[i], &strs[i - 1])
                                               : get_cstr(env, argv[i], &strs[i - 1]);
        if (!ok) {
            free_cstrs(strs, i - 1);
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- client */

static ERL_NIF_TERM nif_client_new(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_priv *priv = enif_priv_data(env);
    char *strs[2] = {NULL, NULL};
    BosbaseClient *client = NULL;
    char *error = NULL;
    BosbaseStatus status;
    nif_client *res;
    ERL_NIF_TERM term;
    (void)argc;

    if (!get_cstr(env, argv[0], &strs[0]) || !get_opt_cstr(env, argv[1], &strs[1])) {
        free_cstrs(strs, 2);
        return badarg_reply(env);
    }
    status = bosbase_client_new(strs[0], strs[1], &client, &error);
    free_cstrs(strs, 2);
    if (status != BOSBASE_STATUS_OK)
        return call_result(env, status, NULL, error);

    res = enif_alloc_resource(priv->client_type, sizeof(nif_client));
    if (res == NULL) {
        bosbase_client_free(client);
        return enif_raise_exception(env, enif_make_atom(env, "enomem"));
    }
    res->client = client;
    res->lock = enif_rwlock_create("bosbase_client");
    if (res->lock == NULL) {
        enif_release_resource(res); /* destructor frees the client */
        return enif_raise_exception(env, enif_make_atom(env, "enomem"));
    }
    term = enif_make_resource(env, res);
    enif_release_resource(res); /* the term now owns the only reference */
    return ok_tuple(env, term);
}

/*
 * Dirty I/O: bosbase_client_close waits for the calls in flight (each bounded by its
 * deadline). Then the handle is unpublished under the write lock and freed; the write lock
 * only waits for threads that hold the handle but were refused (or are about to be) by the
 * closed core. Idempotent; concurrent closes are fine (the core's close is idempotent, and
 * only the one that finds the pointer set frees it).
 */
static ERL_NIF_TERM nif_client_close(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *res = get_client(env, argv[0]);
    BosbaseClient *client;
    (void)argc;

    if (res == NULL)
        return badarg_reply(env);
    client = acquire(res);
    if (client == NULL)
        return atom_ok;
    bosbase_client_close(client);
    release(res);

    enif_rwlock_rwlock(res->lock);
    client = res->client;
    res->client = NULL;
    enif_rwlock_rwunlock(res->lock);
    bosbase_client_free(client); /* NULL when another close got here first */
    return atom_ok;
}

static ERL_NIF_TERM nif_live_clients(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    (void)argv;
    return enif_make_uint64(env, (ErlNifUInt64)bosbase_live_clients());
}

static ERL_NIF_TERM nif_version(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    const char *v = bosbase_version();
    (void)argc;
    (void)argv;
    return enif_make_string(env, v, ERL_NIF_LATIN1);
}

static ERL_NIF_TERM nif_status_name(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    unsigned code;
    const char *name;
    ERL_NIF_TERM bin;
    unsigned char *data;
    (void)argc;

    if (!enif_get_uint(env, argv[0], &code))
        return enif_make_badarg(env); /* internal: only called with codes the NIF returned */
    name = bosbase_status_name(code); /* static string: copied, not freed */
    data = enif_make_new_binary(env, strlen(name), &bin);
    memcpy(data, name, strlen(name));
    return bin;
}

static ERL_NIF_TERM nif_generate_token(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    char *token = NULL, *error = NULL;
    BosbaseStatus status = bosbase_generate_token(&token, &error);
    (void)argc;
    (void)argv;
    return call_result(env, status, token, error);
}

/* ---------------------------------------------------------------- network calls (dirty I/O) */

/*
 * One macro-free shape per arity would repeat the acquire/release dance nine times, so each
 * call is a small function that receives the decoded strings and the live handle.
 */
typedef BosbaseStatus (*core_call)(BosbaseClient *c, char **s, char **result, char **error);

static BosbaseStatus do_collection_send(BosbaseClient *c, char **s, char **r, char **e) {
    return bosbase_collection_send(c, s[0], s[1], s[2], r, e);
}
static BosbaseStatus do_send(BosbaseClient *c, char **s, char **r, char **e) {
    return bosbase_send(c, s[0], s[1], r, e);
}
static BosbaseStatus do_bind(BosbaseClient *c, char **s, char **r, char **e) {
    return bosbase_bind_custom_token(c, s[0], s[1], s[2], s[3], s[4], r, e);
}
static BosbaseStatus do_unbind(BosbaseClient *c, char **s, char **r, char **e) {
    return bosbase_unbind_custom_token(c, s[0], s[1], s[2], s[3], s[4], r, e);
}
static BosbaseStatus do_auth_with_token(BosbaseClient *c, char **s, char **r, char **e) {
    return bosbase_auth_with_token(c, s[0], s[1], s[2], r, e);
}
static BosbaseStatus do_auth_with_password(BosbaseClient *c, char **s, char **r, char **e) {
    return bosbase_auth_with_password(c, s[0], s[1], s[2], s[3], r, e);
}
static BosbaseStatus do_auth_refresh(BosbaseClient *c, char **s, char **r, char **e) {
    return bosbase_auth_refresh(c, s[0], s[1], r, e);
}

/* The auth store's string-writing functions have the same shape. */
static BosbaseStatus do_store_token(BosbaseClient *c, char **s, char **r, char **e) {
    (void)s;
    return bosbase_auth_store_token(c, r, e);
}
static BosbaseStatus do_store_record(BosbaseClient *c, char **s, char **r, char **e) {
    (void)s;
    return bosbase_auth_store_record(c, r, e);
}
static BosbaseStatus do_store_export(BosbaseClient *c, char **s, char **r, char **e) {
    (void)s;
    return bosbase_auth_store_export(c, r, e);
}
static BosbaseStatus do_store_clear(BosbaseClient *c, char **s, char **r, char **e) {
    (void)s;
    (void)r;
    return bosbase_auth_store_clear(c, e);
}
static BosbaseStatus do_store_save(BosbaseClient *c, char **s, char **r, char **e) {
    (void)r;
    return bosbase_auth_store_save(c, s[0], s[1], e);
}
static BosbaseStatus do_store_import(BosbaseClient *c, char **s, char **r, char **e) {
    (void)r;
    return bosbase_auth_store_import(c, s[0], e);
}

/*
 * Decodes arguments (`opt_last`: the last one may be nil → NULL), runs `call` on the live
 * handle, builds the reply: {ok, Json | nil} | {error, Status, ErrorJson | nil} |
 * {error, badarg}.
 */
static ERL_NIF_TERM run_call(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[], int opt_last,
                             core_call call) {
    char *strs[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    char *result = NULL, *error = NULL;
    BosbaseStatus status;
    BosbaseClient *client;
    nif_client *res;

    if (argc < 1 || argc > 7 || !get_args(env, argc, argv, opt_last, &res, strs))
        return badarg_reply(env);
    client = acquire(res);
    if (client == NULL) {
        free_cstrs(strs, 6);
        return closed_reply(env);
    }
    status = call(client, strs, &result, &error);
    release(res);
    free_cstrs(strs, 6);
    return call_result(env, status, result, error);
}

#define CALL_NIF(name, opt_last, fn)                                                       \
    static ERL_NIF_TERM name(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {        \
        return run_call(env, argc, argv, opt_last, fn);                                    \
    }
CALL_NIF(nif_collection_send, 1, do_collection_send)
CALL_NIF(nif_send, 1, do_send)
CALL_NIF(nif_bind_custom_token, 1, do_bind)
CALL_NIF(nif_unbind_custom_token, 1, do_unbind)
CALL_NIF(nif_auth_with_token, 1, do_auth_with_token)
CALL_NIF(nif_auth_with_password, 1, do_auth_with_password)
CALL_NIF(nif_auth_refresh, 1, do_auth_refresh)

/* ---------------------------------------------------------------- auth store (in memory) */

CALL_NIF(nif_store_token, 0, do_store_token)
CALL_NIF(nif_store_record, 0, do_store_record)
CALL_NIF(nif_store_export, 0, do_store_export)
CALL_NIF(nif_store_clear, 0, do_store_clear)
CALL_NIF(nif_store_save, 1, do_store_save) /* (ref, token, record_json | nil) */
CALL_NIF(nif_store_import, 0, do_store_import)

/* {ok, Bool}; a closed client has no valid login, as the core says false for NULL. */
static ERL_NIF_TERM nif_store_is_valid(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *res = get_client(env, argv[0]);
    BosbaseClient *client;
    bool valid;
    (void)argc;

    if (res == NULL)
        return badarg_reply(env);
    client = acquire(res);
    if (client == NULL)
        return closed_reply(env);
    valid = bosbase_auth_store_is_valid(client);
    release(res);
    return ok_tuple(env, valid ? atom_true : atom_false);
}

/* ---------------------------------------------------------------- load / upgrade */

static void make_atoms(ErlNifEnv *env) {
    atom_ok = enif_make_atom(env, "ok");
    atom_error = enif_make_atom(env, "error");
    atom_nil = enif_make_atom(env, "nil");
    atom_true = enif_make_atom(env, "true");
    atom_false = enif_make_atom(env, "false");
    atom_badarg = enif_make_atom(env, "badarg");
}

static int open_types(ErlNifEnv *env, void **priv_data, ErlNifResourceFlags flags) {
    nif_priv *priv = enif_alloc(sizeof(nif_priv));

    if (priv == NULL)
        return 1;
    priv->client_type =
        enif_open_resource_type(env, NULL, RESOURCE_NAME, client_dtor, flags, NULL);
    if (priv->client_type == NULL) {
        enif_free(priv);
        return 1;
    }
    make_atoms(env);
    *priv_data = priv;
    return 0;
}

static int load(ErlNifEnv *env, void **priv_data, ERL_NIF_TERM load_info) {
    (void)load_info;
    return open_types(env, priv_data, ERL_NIF_RT_CREATE);
}

/* A reloaded module takes over the resource type, so existing clients stay usable. */
static int upgrade(ErlNifEnv *env, void **priv_data, void **old_priv_data, ERL_NIF_TERM load_info) {
    (void)old_priv_data;
    (void)load_info;
    return open_types(env, priv_data, ERL_NIF_RT_CREATE | ERL_NIF_RT_TAKEOVER);
}

static void unload(ErlNifEnv *env, void *priv_data) {
    (void)env;
    enif_free(priv_data);
}

#define DIRTY_IO ERL_NIF_DIRTY_JOB_IO_BOUND

static ErlNifFunc nif_funcs[] = {
    {"client_new", 2, nif_client_new, 0},
    {"client_close", 1, nif_client_close, DIRTY_IO},
    {"live_clients", 0, nif_live_clients, 0},
    {"version", 0, nif_version, 0},
    {"status_name", 1, nif_status_name, 0},
    {"generate_token", 0, nif_generate_token, 0},
    {"collection_send", 4, nif_collection_send, DIRTY_IO},
    {"send", 3, nif_send, DIRTY_IO},
    {"bind_custom_token", 6, nif_bind_custom_token, DIRTY_IO},
    {"unbind_custom_token", 6, nif_unbind_custom_token, DIRTY_IO},
    {"auth_with_token", 4, nif_auth_with_token, DIRTY_IO},
    {"auth_with_password", 5, nif_auth_with_password, DIRTY_IO},
    {"auth_refresh", 3, nif_auth_refresh, DIRTY_IO},
    {"auth_store_token", 1, nif_store_token, 0},
    {"auth_store_record", 1, nif_store_record, 0},
    {"auth_store_valid", 1, nif_store_is_valid, 0},
    {"auth_store_clear", 1, nif_store_clear, 0},
    {"auth_store_save", 3, nif_store_save, 0},
    {"auth_store_export", 1, nif_store_export, 0},
    {"auth_store_import", 2, nif_store_import, 0},
};

ERL_NIF_INIT(Elixir.Bosbase.Native, nif_funcs, load, NULL, upgrade, unload)
