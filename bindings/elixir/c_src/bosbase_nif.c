/*
 * bosbase_nif.c — the Elixir binding's NIF: a thin translation between BEAM terms and
 * include/bosbase.h. All BosBase logic (URLs, auth store, errors) stays in the core.
 *
 * Rules kept here:
 *  - atoms are made once, in load/upgrade;
 *  - a client is a resource (nif_client) whose destructor frees the core handle;
 *  - every call that may touch the network runs on a dirty I/O scheduler;
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
static ERL_NIF_TERM atom_closed;

/* Per-library state, kept in priv_data so an upgraded library gets its own. */
typedef struct {
    ErlNifResourceType *client_type;
} nif_priv;

/*
 * A client resource. The core allows concurrent calls on one handle but freeing it while
 * a call runs is undefined, so `close/1` only marks it closed and the last call in flight
 * (or the destructor) frees it. Layout must stay stable across upgrades: a new library
 * takes over resources created by the old one.
 */
typedef struct {
    BosbaseClient *client; /* NULL once freed */
    ErlNifMutex *lock;     /* guards the three fields */
    unsigned inflight;     /* calls currently using `client` */
    int closed;            /* close/1 was called */
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

/* Marks one call as using the handle; NULL when the client is closed. */
static BosbaseClient *acquire(nif_client *res) {
    BosbaseClient *client = NULL;

    enif_mutex_lock(res->lock);
    if (!res->closed && res->client != NULL) {
        res->inflight++;
        client = res->client;
    }
    enif_mutex_unlock(res->lock);
    return client;
}

/* Ends a call; the last call out of a closed client frees it. */
static void release(nif_client *res) {
    BosbaseClient *to_free = NULL;

    enif_mutex_lock(res->lock);
    res->inflight--;
    if (res->closed && res->inflight == 0) {
        to_free = res->client;
        res->client = NULL;
    }
    enif_mutex_unlock(res->lock);
    bosbase_client_free(to_free);
}

static void client_dtor(ErlNifEnv *env, void *obj) {
    nif_client *res = obj;
    (void)env;
    /* No call can be in flight: a running call keeps its argument (this resource) alive. */
    bosbase_client_free(res->client);
    res->client = NULL;
    if (res->lock != NULL)
        enif_mutex_destroy(res->lock);
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
        return enif_make_badarg(env);
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
    res->inflight = 0;
    res->closed = 0;
    res->lock = enif_mutex_create("bosbase_client");
    if (res->lock == NULL) {
        enif_release_resource(res); /* destructor frees the client */
        return enif_raise_exception(env, enif_make_atom(env, "enomem"));
    }
    term = enif_make_resource(env, res);
    enif_release_resource(res); /* the term now owns the only reference */
    return ok_tuple(env, term);
}

static ERL_NIF_TERM nif_client_close(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *res = get_client(env, argv[0]);
    BosbaseClient *to_free = NULL;
    (void)argc;

    if (res == NULL)
        return enif_make_badarg(env);
    enif_mutex_lock(res->lock);
    res->closed = 1;
    if (res->inflight == 0) {
        to_free = res->client;
        res->client = NULL;
    }
    enif_mutex_unlock(res->lock);
    bosbase_client_free(to_free);
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
        return enif_make_badarg(env);
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
 * One macro-free shape per arity would repeat the acquire/free dance nine times, so each
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

/* Decodes arguments (last one = options JSON or nil), runs `call`, builds the reply. */
static ERL_NIF_TERM run_call(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[], core_call call) {
    char *strs[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    char *result = NULL, *error = NULL;
    BosbaseStatus status;
    BosbaseClient *client;
    nif_client *res;

    if (argc > 7 || !get_args(env, argc, argv, 1, &res, strs))
        return enif_make_badarg(env);
    client = acquire(res);
    if (client == NULL) {
        free_cstrs(strs, 6);
        return enif_make_tuple2(env, atom_error, atom_closed);
    }
    status = call(client, strs, &result, &error);
    release(res);
    free_cstrs(strs, 6);
    return call_result(env, status, result, error);
}

#define CALL_NIF(name, fn)                                                                 \
    static ERL_NIF_TERM name(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {        \
        return run_call(env, argc, argv, fn);                                              \
    }
CALL_NIF(nif_collection_send, do_collection_send)
CALL_NIF(nif_send, do_send)
CALL_NIF(nif_bind_custom_token, do_bind)
CALL_NIF(nif_unbind_custom_token, do_unbind)
CALL_NIF(nif_auth_with_token, do_auth_with_token)
CALL_NIF(nif_auth_with_password, do_auth_with_password)
CALL_NIF(nif_auth_refresh, do_auth_refresh)

/* ---------------------------------------------------------------- auth store (in memory) */

/* Runs a quick store function that writes one string; {error, closed} once closed. */
static ERL_NIF_TERM store_string(ErlNifEnv *env, ERL_NIF_TERM ref,
                                 BosbaseStatus (*fn)(const BosbaseClient *, char **)) {
    nif_client *res = get_client(env, ref);
    BosbaseClient *client;
    char *out = NULL;
    BosbaseStatus status;

    if (res == NULL)
        return enif_make_badarg(env);
    client = acquire(res);
    if (client == NULL)
        return enif_make_tuple2(env, atom_error, atom_closed);
    status = fn(client, &out);
    release(res);
    return call_result(env, status, out, NULL);
}

static ERL_NIF_TERM nif_store_token(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return store_string(env, argv[0], bosbase_auth_store_token);
}

static ERL_NIF_TERM nif_store_record(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return store_string(env, argv[0], bosbase_auth_store_record);
}

static ERL_NIF_TERM nif_store_export(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return store_string(env, argv[0], bosbase_auth_store_export);
}

static ERL_NIF_TERM nif_store_is_valid(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *res = get_client(env, argv[0]);
    BosbaseClient *client;
    bool valid;
    (void)argc;

    if (res == NULL)
        return enif_make_badarg(env);
    client = acquire(res);
    if (client == NULL)
        return enif_make_tuple2(env, atom_error, atom_closed);
    valid = bosbase_auth_store_is_valid(client);
    release(res);
    return ok_tuple(env, valid ? atom_true : atom_false);
}

static ERL_NIF_TERM nif_store_clear(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *res = get_client(env, argv[0]);
    BosbaseClient *client;
    BosbaseStatus status;
    (void)argc;

    if (res == NULL)
        return enif_make_badarg(env);
    client = acquire(res);
    if (client == NULL)
        return enif_make_tuple2(env, atom_error, atom_closed);
    status = bosbase_auth_store_clear(client);
    release(res);
    return call_result(env, status, NULL, NULL);
}

/* save(ref, token, record_json | nil) and import(ref, json) share one shape. */
static ERL_NIF_TERM store_write(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[], int is_save) {
    char *strs[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    char *error = NULL;
    BosbaseStatus status;
    BosbaseClient *client;
    nif_client *res;

    if (!get_args(env, argc, argv, is_save, &res, strs))
        return enif_make_badarg(env);
    client = acquire(res);
    if (client == NULL) {
        free_cstrs(strs, 6);
        return enif_make_tuple2(env, atom_error, atom_closed);
    }
    status = is_save ? bosbase_auth_store_save(client, strs[0], strs[1], &error)
                     : bosbase_auth_store_import(client, strs[0], &error);
    release(res);
    free_cstrs(strs, 6);
    return call_result(env, status, NULL, error);
}

static ERL_NIF_TERM nif_store_save(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    return store_write(env, argc, argv, 1);
}

static ERL_NIF_TERM nif_store_import(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    return store_write(env, argc, argv, 0);
}

/* ---------------------------------------------------------------- load / upgrade */

static void make_atoms(ErlNifEnv *env) {
    atom_ok = enif_make_atom(env, "ok");
    atom_error = enif_make_atom(env, "error");
    atom_nil = enif_make_atom(env, "nil");
    atom_true = enif_make_atom(env, "true");
    atom_false = enif_make_atom(env, "false");
    atom_closed = enif_make_atom(env, "closed");
}

static int open_types(ErlNifEnv *env, void **priv_data, ErlNifResourceFlags flags) {
    nif_priv *priv = enif_alloc(sizeof(nif_priv));

    if (priv == NULL)
        return 1;
    priv->client_type =
        enif_open_resource_type(env, NULL, "bosbase_client", client_dtor, flags, NULL);
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
    {"client_close", 1, nif_client_close, 0},
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
