/*
 * bosbase_nif.c — the Elixir binding's NIF: a thin translation between BEAM terms and
 * include/bosbase.h. All BosBase logic (URLs, auth store, errors) stays in the core.
 *
 * Rules kept here:
 *  - atoms are made once, in load/upgrade;
 *  - a client is a resource (nif_client) whose destructor frees the core handle;
 *  - no NIF waits for the network: an operation starts with bosbase_call_async, a raw
 *    send with bosbase_send_async, and the NIF returns at once with a call resource and a
 *    tag; the completion (on a core worker thread, or on the thread that cancels) sends
 *    {Tag, Reply} to the calling process, which receives it. Only close, which waits for
 *    calls in flight, runs on a dirty I/O scheduler. This library starts no thread: a
 *    client collected by the GC goes with bosbase_client_release (close and free on a
 *    core thread), subscriptions are read in pull mode (see "subscriptions");
 *  - a call resource that dies before its completion (the caller timed out and dropped it,
 *    or was killed) cancels the core call: a cancelled login never reaches the auth store,
 *    and the call's handle, message env and state are freed (live_calls counts them);
 *  - nothing raises: a term of the wrong type gives {error, badarg} (the Elixir side checks
 *    types first, so only a forged handle gets here) and every core failure gives
 *    {error, StatusCode, ErrorJson | nil}.
 *  - strings are copied into enif_alloc'd buffers per call (no static buffers) and every
 *    string the core returns is copied into a binary and freed at once.
 */
#include <stdatomic.h>
#include <stdio.h>
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
static ERL_NIF_TERM atom_stale;
static ERL_NIF_TERM atom_wait;
static ERL_NIF_TERM atom_sent;
static ERL_NIF_TERM atom_bytes;
static ERL_NIF_TERM atom_path;
static ERL_NIF_TERM atom_not_found;
static ERL_NIF_TERM atom_auth_change;
static ERL_NIF_TERM atom_event_raw;
static ERL_NIF_TERM atom_ready;
static ERL_NIF_TERM atom_noproc;
static ERL_NIF_TERM atom_none;
static ERL_NIF_TERM atom_event;
static ERL_NIF_TERM atom_subscribed;
static ERL_NIF_TERM atom_state;
static ERL_NIF_TERM atom_progress;
static ERL_NIF_TERM atom_url;

/*
 * Which build this is; the test of code upgrades compiles two with different ids
 * (c_src/Makefile: NIF_BUILD). Part of the resource type names and of build/0.
 */
#ifndef BOSBASE_NIF_BUILD
#define BOSBASE_NIF_BUILD BOSBASE_VERSION
#endif

/*
 * Code upgrades (a release upgrade, or any reload of Bosbase.Native) load a NIF library
 * while the previous one's resources are still alive. Each library image carries its own
 * copy of the core (linked statically), so a resource made by one image must only ever be
 * read, used and destroyed by that image's code: a new image never takes over an older
 * image's resource types. Their names hold the ABI version, the build and the address of
 * `image_marker` — unique to each loaded image — so a new image always creates types of
 * its own (ERL_NIF_RT_CREATE); the old resources keep the old types, whose destructors run
 * in the old image, which the VM keeps loaded until the last of them is gone. The new
 * image's NIFs do not use them: they answer {error, stale} (bad_args recognises them by the
 * earlier images' types, handed on from instance to instance in `old_types`). The one
 * exception is the same image loaded again (the same file: the same code and statics),
 * which takes its own types over, so its handles keep working across such a reload.
 */
static const char image_marker = 0;

/* Marks the layout below, so an upgrade may read a previous instance's state; never equal
 * to the pointer an earlier layout had there (not a canonical user-space address). */
#define PRIV_MAGIC 0x62736261736535ULL /* "bsbase5" */

/* Per-library state, kept in priv_data so each loaded instance has its own. `image` and
 * `magic` come first and stay first: upgrade reads them from the previous instance's state
 * to tell the same image from another, and whether it may read the rest. */
typedef struct {
    const void *image; /* &image_marker of the image that made this state */
    uint64_t magic;    /* PRIV_MAGIC */
    ErlNifResourceType *client_type;
    ErlNifResourceType *call_type;
    ErlNifResourceType *sub_type;
    /* The types of earlier images' resources (handles made before an upgrade), only ever
     * compared with (enif_get_resource), never used: `nold` entries. */
    ErlNifResourceType **old_types;
    size_t nold;
} nif_priv;

/*
 * An auth-store change listener registered in the core (bosbase_auth_store_on_change):
 * its callback sends {bosbase_auth_change_raw, Ref, Seq, Token, RecordJson} to `relay`, the
 * Elixir process that decodes the record and forwards the change to the subscriber
 * (Bosbase.AuthStore.subscribe/2). `seq` counts the changes in the order the core delivers
 * them (its callbacks are serialised), so the relay restores that order even if messages
 * sent from different threads overtake each other. Owned by its client's list; freed once
 * removed from the core (or once the core client is gone), never while it can run.
 */
typedef struct listener {
    struct listener *next;
    uint64_t id;          /* the core's listener id */
    uint64_t seq;         /* next change's number; only the (serialised) callback touches it */
    ErlNifPid relay;
    ErlNifEnv *env;       /* holds `ref` */
    ERL_NIF_TERM ref;
} listener;

struct nif_sub;

/*
 * A client resource. Closing is the core's job: bosbase_client_close refuses new calls
 * (CLOSED) and waits for the running ones. The handle is then freed at once so its
 * connections go with it; `lock` only guards the pointer's lifetime: every use holds it
 * for reading, and close takes it for writing (after the core's close, so the wait is only
 * for threads about to be refused) to clear the pointer before freeing.
 */
typedef struct {
    BosbaseClient *client; /* NULL once closed and freed */
    ErlNifRWLock *lock;
    ErlNifMutex *listeners_lock; /* guards `listeners` and `subs` */
    listener *listeners;
    struct nif_sub *subs; /* realtime, pub/sub and state subscriptions (each keeps this alive) */
} nif_client;

/*
 * One call in flight (an operation or a send), shared by its resource (the caller's
 * handle) and its completion (the core's callback). Freed by whichever lets go last.
 */
typedef struct {
    ErlNifMutex *lock;
    int refs;           /* 2 while both the resource and the completion hold it */
    int done;           /* the completion ran (and sent the reply unless abandoned) */
    int abandoned;      /* the caller gave up: the completion sends nothing */
    BosbaseCall *handle; /* the core's call; cancelled (if running) and freed by the resource */
    ErlNifPid pid;      /* the caller */
    ErlNifEnv *msg_env; /* holds `tag`; the reply is built and sent from it */
    ERL_NIF_TERM tag;
} call_state;

/* The call resource: the caller's end of a call_state, and a kept client resource so the
 * client is never freed (a blocking bosbase_client_free) while one of its calls runs. */
typedef struct {
    call_state *st;
    nif_client *client;
} nif_call;

/* Call states alive (in flight, or finished but not yet collected); live_calls/0. */
static atomic_long live_call_states;

/* Clients collected by the GC whose bosbase_client_release has not completed; pending_frees/0. */
static atomic_long pending_frees;

/*
 * The env of the NIF running on this thread while it calls into the core, for a
 * completion that runs synchronously inside that call (bosbase_call_cancel, or a call
 * refused as closed inside bosbase_call_async): enif_send needs the caller's env on a
 * scheduler thread and NULL on any other thread.
 */
static _Thread_local ErlNifEnv *current_env;

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

/*
 * The reply for arguments the NIF cannot use, `handle` being the handle argument:
 * {error, stale} for a handle made by a NIF library a code upgrade replaced (see
 * image_marker: this library never uses another one's resources), which the Elixir side
 * reports as a closed client; else {error, badarg} (a forged term; Elixir checks the other
 * arguments' types first).
 */
static ERL_NIF_TERM bad_args(ErlNifEnv *env, ERL_NIF_TERM handle) {
    nif_priv *priv = enif_priv_data(env);
    void *obj;
    size_t i;

    for (i = 0; i < priv->nold; i++)
        if (enif_get_resource(env, handle, priv->old_types[i], &obj))
            return enif_make_tuple2(env, atom_error, atom_stale);
    return enif_make_tuple2(env, atom_error, atom_badarg);
}

static void listener_free(listener *l);

/* BosbaseReleaseCallback of a collected client: on a core thread, once it is all gone. */
static void on_released(void *user_data) {
    (void)user_data;
    atomic_fetch_sub(&pending_frees, 1);
}

/*
 * The last term, call and subscription of this client are gone. No call of ours is
 * running (call resources keep this resource alive), but the core may still be finishing
 * a cancelled call: bosbase_client_release closes and frees on a core thread and never
 * blocks this scheduler.
 */
static void client_dtor(ErlNifEnv *env, void *obj) {
    nif_client *res = obj;
    listener *l;
    (void)env;
    /* Auth-store listeners left by relays that died unsubscribed: remove them from the core
     * (no callback runs once removal returns), then free them. */
    while ((l = res->listeners) != NULL) {
        res->listeners = l->next;
        if (res->client != NULL)
            bosbase_auth_store_remove_listener(res->client, l->id, NULL);
        listener_free(l);
    }
    if (res->client != NULL) {
        atomic_fetch_add(&pending_frees, 1);
        bosbase_client_release(res->client, on_released, NULL);
    }
    res->client = NULL;
    if (res->lock != NULL)
        enif_rwlock_destroy(res->lock);
    if (res->listeners_lock != NULL)
        enif_mutex_destroy(res->listeners_lock);
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

/* Wraps a new core client in a resource term: {ok, Ref}. Frees the client on failure. */
static ERL_NIF_TERM wrap_client(ErlNifEnv *env, BosbaseClient *client) {
    nif_priv *priv = enif_priv_data(env);
    nif_client *res;
    ERL_NIF_TERM term;

    res = enif_alloc_resource(priv->client_type, sizeof(nif_client));
    if (res == NULL) {
        bosbase_client_free(client);
        return enif_raise_exception(env, enif_make_atom(env, "enomem"));
    }
    res->client = client;
    res->listeners = NULL;
    res->subs = NULL;
    res->lock = enif_rwlock_create("bosbase_client");
    res->listeners_lock = enif_mutex_create("bosbase_listeners");
    if (res->lock == NULL || res->listeners_lock == NULL) {
        enif_release_resource(res); /* destructor frees the client */
        return enif_raise_exception(env, enif_make_atom(env, "enomem"));
    }
    term = enif_make_resource(env, res);
    enif_release_resource(res); /* the term now owns the only reference */
    return ok_tuple(env, term);
}

static ERL_NIF_TERM nif_client_new(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    char *strs[2] = {NULL, NULL};
    BosbaseClient *client = NULL;
    char *error = NULL;
    BosbaseStatus status;
    (void)argc;

    if (!get_cstr(env, argv[0], &strs[0]) || !get_opt_cstr(env, argv[1], &strs[1])) {
        free_cstrs(strs, 2);
        return bad_args(env, argv[0]);
    }
    status = bosbase_client_new(strs[0], strs[1], &client, &error);
    free_cstrs(strs, 2);
    if (status != BOSBASE_STATUS_OK)
        return call_result(env, status, NULL, error);
    return wrap_client(env, client);
}

/*
 * client_fork(Ref, AuthJson | nil) -> {ok, NewRef} | {error, Status, ErrorJson | nil}:
 * bosbase_client_fork, a client with Ref's settings (connections shared) and an auth store
 * of its own holding AuthJson's {token, record} (empty for nil). In memory: microseconds.
 */
static ERL_NIF_TERM nif_client_fork(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    char *strs[1] = {NULL};
    BosbaseClient *client, *forked = NULL;
    char *error = NULL;
    BosbaseStatus status;
    nif_client *res;

    if (!get_args(env, argc, argv, 1, &res, strs))
        return bad_args(env, argv[0]);
    client = acquire(res);
    if (client == NULL) {
        free_cstrs(strs, 1);
        return closed_reply(env);
    }
    status = bosbase_client_fork(client, strs[0], &forked, &error);
    release(res);
    free_cstrs(strs, 1);
    if (status != BOSBASE_STATUS_OK)
        return call_result(env, status, NULL, error);
    return wrap_client(env, forked);
}

/*
 * Dirty I/O, the one NIF that may wait: bosbase_client_close waits for the calls in flight (each bounded by its
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
        return bad_args(env, argv[0]);
    client = acquire(res);
    if (client == NULL)
        return atom_ok;
    bosbase_client_close(client);
    release(res);

    enif_rwlock_rwlock(res->lock);
    client = res->client;
    res->client = NULL;
    enif_rwlock_rwunlock(res->lock);
    /* NULL when another close got here first. Freed here, on this dirty scheduler (it joins
     * the client's stream threads), so close/1 returns with the client gone. */
    bosbase_client_free(client);
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

/* build() -> Binary: BOSBASE_NIF_BUILD, the build of the library loaded now. */
static ERL_NIF_TERM nif_build(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    ERL_NIF_TERM bin;
    (void)argc;
    (void)argv;
    memcpy(enif_make_new_binary(env, strlen(BOSBASE_NIF_BUILD), &bin), BOSBASE_NIF_BUILD,
           strlen(BOSBASE_NIF_BUILD));
    return bin;
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

/* ---------------------------------------------------------------- calls */

static call_state *state_new(ErlNifEnv *env, ERL_NIF_TERM tag) {
    call_state *st = enif_alloc(sizeof(call_state));

    if (st == NULL)
        return NULL;
    memset(st, 0, sizeof(*st));
    st->lock = enif_mutex_create("bosbase_call");
    st->msg_env = enif_alloc_env();
    if (st->lock == NULL || st->msg_env == NULL) {
        if (st->lock != NULL)
            enif_mutex_destroy(st->lock);
        if (st->msg_env != NULL)
            enif_free_env(st->msg_env);
        enif_free(st);
        return NULL;
    }
    st->refs = 2;
    st->tag = enif_make_copy(st->msg_env, tag);
    enif_self(env, &st->pid);
    atomic_fetch_add(&live_call_states, 1);
    return st;
}

static void state_free(call_state *st) {
    enif_free_env(st->msg_env);
    enif_mutex_destroy(st->lock);
    enif_free(st);
    atomic_fetch_sub(&live_call_states, 1);
}

/* Drops one owner's share; the last one frees. */
static void state_release(call_state *st) {
    int last;

    enif_mutex_lock(st->lock);
    last = --st->refs == 0;
    enif_mutex_unlock(st->lock);
    if (last)
        state_free(st);
}

/* Copies a borrowed string into a binary of `env`; NULL becomes nil. */
static ERL_NIF_TERM copy_string(ErlNifEnv *env, const char *s) {
    ERL_NIF_TERM bin;
    size_t len;

    if (s == NULL)
        return atom_nil;
    len = strlen(s);
    memcpy(enif_make_new_binary(env, len, &bin), s, len);
    return bin;
}

/*
 * The completion of a call, exactly once: sends {Tag, {ok, Json} | {error, Status,
 * ErrorJson}} to the caller unless it gave up, then lets go of the state.
 */
static void complete(call_state *st, BosbaseStatus status, const char *result, const char *error) {
    enif_mutex_lock(st->lock);
    if (!st->abandoned) {
        ErlNifEnv *m = st->msg_env;
        ERL_NIF_TERM reply =
            status == BOSBASE_STATUS_OK
                ? enif_make_tuple2(m, atom_ok, copy_string(m, result))
                : enif_make_tuple3(m, atom_error, enif_make_uint(m, (unsigned)status),
                                   copy_string(m, error));
        /* A dead caller is fine: the message is dropped. */
        enif_send(current_env, &st->pid, m, enif_make_tuple2(m, st->tag, reply));
    }
    st->done = 1;
    enif_mutex_unlock(st->lock);
    state_release(st);
}

/* BosbaseCallCallback: runs on a core worker thread, or on the cancelling thread. */
static void on_call_complete(void *user_data, BosbaseStatus status, const char *result_json,
                             const char *error_json) {
    complete(user_data, status, result_json, error_json);
}

/*
 * The call resource died: its caller can no longer receive the reply (it timed out and
 * dropped it, or the process exited). Cancel what is still running — a cancelled login
 * applies no auth-store effect — and free the handle. Runs where the BEAM collects the
 * term (a scheduler, during GC or process exit); the completion runs inside
 * bosbase_call_cancel and sends nothing.
 */
static void call_dtor(ErlNifEnv *env, void *obj) {
    nif_call *res = obj;
    call_state *st = res->st;
    BosbaseCall *handle = NULL;
    int done = 1;
    (void)env;

    if (st != NULL) {
        enif_mutex_lock(st->lock);
        st->abandoned = 1;
        done = st->done;
        handle = st->handle;
        st->handle = NULL;
        enif_mutex_unlock(st->lock);
        if (handle != NULL) {
            if (!done)
                bosbase_call_cancel(handle);
            bosbase_call_free(handle);
        }
        state_release(st);
    }
    if (res->client != NULL)
        enif_release_resource(res->client);
}

/* A call resource for `st` that keeps `client` alive; NULL when out of memory. */
static nif_call *call_resource(ErlNifEnv *env, call_state *st, nif_client *client) {
    nif_priv *priv = enif_priv_data(env);
    nif_call *res = enif_alloc_resource(priv->call_type, sizeof(nif_call));

    if (res == NULL)
        return NULL;
    res->st = st;
    res->client = client;
    enif_keep_resource(client);
    return res;
}

static ERL_NIF_TERM enomem(ErlNifEnv *env) {
    return enif_raise_exception(env, enif_make_atom(env, "enomem"));
}

/*
 * Starts a call on the core's worker pool: bosbase_send_async when `send` (strs:
 * collection or NULL, path, options or NULL), else bosbase_call_async (strs: op, args,
 * options or NULL), with bosbase_call_async_with_files when `files` is not NULL (the core
 * call takes its own reference to the parts; with `progress`, their upload progress is sent
 * as {bosbase_progress, Tag, Done, Total} before the reply). Frees `strs` and `files`. Returns {ok, Call, Tag}, or the core's refusal (nothing
 * was started, no reply will come). Both kinds share everything else: the completion, the
 * call resource whose destructor cancels and frees, call_cancel.
 */
static void on_call_progress(void *user_data, uint64_t done, uint64_t total);

static ERL_NIF_TERM start_call(ErlNifEnv *env, nif_client *cres, char **strs, int send,
                               BosbaseFiles *files, int progress) {
    char *error = NULL;
    BosbaseCall *handle = NULL;
    BosbaseClient *client;
    BosbaseStatus status;
    call_state *st;
    nif_call *res;
    ERL_NIF_TERM tag, term;

    tag = enif_make_ref(env);
    st = state_new(env, tag);
    if (st == NULL) {
        free_cstrs(strs, 3);
        bosbase_files_free(files);
        return enomem(env);
    }
    res = call_resource(env, st, cres);
    if (res == NULL) {
        st->refs = 1;
        state_release(st);
        free_cstrs(strs, 3);
        bosbase_files_free(files);
        return enomem(env);
    }
    client = acquire(cres);
    if (client == NULL) {
        status = BOSBASE_STATUS_CLOSED;
    } else {
        current_env = env;
        if (send)
            status = bosbase_send_async(client, strs[0], strs[1], strs[2], on_call_complete, st,
                                        &handle, &error);
        else if (files != NULL) {
            if (progress)
                bosbase_files_on_progress(files, on_call_progress, st, NULL);
            status = bosbase_call_async_with_files(client, strs[0], strs[1], strs[2], files,
                                                   on_call_complete, st, &handle, &error);
        } else
            status = bosbase_call_async(client, strs[0], strs[1], strs[2], on_call_complete, st,
                                        &handle, &error);
        current_env = NULL;
        release(cres);
    }
    free_cstrs(strs, 3);
    bosbase_files_free(files); /* NULL is ignored; a started call keeps its own reference */
    if (status != BOSBASE_STATUS_OK) {
        state_release(st);         /* the completion's share: it never runs */
        enif_release_resource(res); /* frees the rest */
        return call_result(env, status, NULL, error);
    }
    enif_mutex_lock(st->lock);
    st->handle = handle;
    enif_mutex_unlock(st->lock);
    term = enif_make_resource(env, res);
    enif_release_resource(res); /* the term now owns the only reference */
    return enif_make_tuple3(env, atom_ok, term, tag);
}

/*
 * call_start(Client, Op, ArgsJson, OptionsJson | nil) -> {ok, Call, Tag} |
 * {error, Status, ErrorJson | nil} | {error, badarg}. Starts the operation on the core's
 * worker pool and returns at once; {Tag, Reply} arrives later, exactly once, unless the
 * caller gives up (call_cancel) or drops Call.
 */
static ERL_NIF_TERM nif_call_start(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    char *strs[3] = {NULL, NULL, NULL};
    nif_client *cres;

    if (!get_args(env, argc, argv, 1, &cres, strs))
        return bad_args(env, argv[0]);
    return start_call(env, cres, strs, 0, NULL, 0);
}

/*
 * send_start(Client, Collection | nil, Path, OptionsJson | nil) -> {ok, Call, Tag} |
 * {error, Status, ErrorJson | nil} | {error, badarg}: the raw send (under
 * /api/collections/{Collection} unless nil) with bosbase_send_async, on the core's worker
 * pool like call_start, and answered, cancelled and freed exactly as call_start's calls.
 */
static ERL_NIF_TERM nif_send_start(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    char *strs[3] = {NULL, NULL, NULL};
    nif_client *cres = get_client(env, argv[0]);
    (void)argc;

    if (cres == NULL)
        return bad_args(env, argv[0]);
    if (!get_opt_cstr(env, argv[1], &strs[0]) || !get_cstr(env, argv[2], &strs[1]) ||
        !get_opt_cstr(env, argv[3], &strs[2])) {
        free_cstrs(strs, 3);
        return bad_args(env, argv[0]);
    }
    return start_call(env, cres, strs, 1, NULL, 0);
}

/*
 * BosbaseUrlCallback of oauth2_start: sends {Tag, {url, Url}} to the caller, on the core
 * worker running the flow, at most once and never after the completion (the core's
 * guarantee), so `st` is alive: the completion's share is still held.
 */
static void on_oauth2_url(void *user_data, const char *url) {
    call_state *st = user_data;
    ErlNifEnv *m = enif_alloc_env();

    if (m == NULL)
        return;
    enif_mutex_lock(st->lock);
    if (!st->abandoned && !st->done) {
        /* Its own env: st->msg_env (which holds the tag) stays intact for the reply. */
        ERL_NIF_TERM tag = enif_make_copy(m, st->tag);
        enif_send(current_env, &st->pid, m,
                  enif_make_tuple2(m, tag, enif_make_tuple2(m, atom_url, copy_string(m, url))));
    }
    enif_mutex_unlock(st->lock);
    enif_free_env(m);
}

/*
 * oauth2_start(Client, Collection, Provider, OAuth2Json | nil, OptionsJson | nil) ->
 * {ok, Call, Tag} | {error, Status, ErrorJson | nil} | {error, badarg}: the all-in-one
 * OAuth2 sign-in (bosbase_auth_with_oauth2_async) on the core's worker pool. The caller
 * gets {Tag, {url, Url}} (the provider's URL to open) and then {Tag, Reply}, as for
 * call_start; call_cancel and a dropped Call cancel the flow (nothing is saved).
 */
static ERL_NIF_TERM nif_oauth2_start(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    char *strs[4] = {NULL, NULL, NULL, NULL};
    char *error = NULL;
    BosbaseCall *handle = NULL;
    BosbaseClient *client;
    BosbaseStatus status;
    nif_client *cres = get_client(env, argv[0]);
    call_state *st;
    nif_call *res;
    ERL_NIF_TERM term, tag;
    (void)argc;

    if (cres == NULL || !get_cstr(env, argv[1], &strs[0]) || !get_cstr(env, argv[2], &strs[1]) ||
        !get_opt_cstr(env, argv[3], &strs[2]) || !get_opt_cstr(env, argv[4], &strs[3])) {
        free_cstrs(strs, 4);
        return bad_args(env, argv[0]);
    }
    tag = enif_make_ref(env);
    st = state_new(env, tag);
    res = st != NULL ? call_resource(env, st, cres) : NULL;
    if (res == NULL) {
        if (st != NULL) {
            st->refs = 1;
            state_release(st);
        }
        free_cstrs(strs, 4);
        return enomem(env);
    }
    client = acquire(cres);
    if (client == NULL) {
        status = BOSBASE_STATUS_CLOSED;
    } else {
        current_env = env;
        status = bosbase_auth_with_oauth2_async(client, strs[0], strs[1], strs[2], strs[3], on_oauth2_url, st,
                                                on_call_complete, st, &handle, &error);
        current_env = NULL;
        release(cres);
    }
    free_cstrs(strs, 4);
    if (status != BOSBASE_STATUS_OK) {
        state_release(st);          /* the completion's share: it never runs */
        enif_release_resource(res); /* frees the rest */
        return call_result(env, status, NULL, error);
    }
    enif_mutex_lock(st->lock);
    st->handle = handle;
    enif_mutex_unlock(st->lock);
    term = enif_make_resource(env, res);
    enif_release_resource(res);
    return enif_make_tuple3(env, atom_ok, term, tag);
}

/*
 * Adds the file parts of the list `term` to `files`: {bytes, Field, Filename, ContentType |
 * nil, Binary} or {path, Field, Path, Filename | nil, ContentType | nil} (Bosbase.Call
 * builds them). Returns 0 for a malformed list (badarg); the core's refusal of a part (a
 * bad field or filename) is returned through `status`/`error`.
 */
static int add_parts(ErlNifEnv *env, ERL_NIF_TERM term, BosbaseFiles *files,
                     BosbaseStatus *status, char **error) {
    ERL_NIF_TERM head, tail = term;
    const ERL_NIF_TERM *t;
    int arity;

    *status = BOSBASE_STATUS_OK;
    while (enif_get_list_cell(env, tail, &head, &tail)) {
        char *strs[3] = {NULL, NULL, NULL};
        ErlNifBinary data;
        int ok;

        if (!enif_get_tuple(env, head, &arity, &t) || arity != 5)
            return 0;
        if (enif_is_identical(t[0], atom_bytes)) {
            ok = get_cstr(env, t[1], &strs[0]) && get_cstr(env, t[2], &strs[1]) &&
                 get_opt_cstr(env, t[3], &strs[2]) && enif_inspect_binary(env, t[4], &data);
            if (ok)
                *status = bosbase_files_add_bytes(files, strs[0], strs[1], strs[2], data.data,
                                                  data.size, error);
        } else if (enif_is_identical(t[0], atom_path)) {
            char *ct = NULL;
            ok = get_cstr(env, t[1], &strs[0]) && get_cstr(env, t[2], &strs[1]) &&
                 get_opt_cstr(env, t[3], &strs[2]) && get_opt_cstr(env, t[4], &ct);
            if (ok)
                *status = bosbase_files_add_path(files, strs[0], strs[1], strs[2], ct, error);
            if (ct != NULL)
                enif_free(ct);
        } else {
            ok = 0;
        }
        free_cstrs(strs, 3);
        if (!ok)
            return 0;
        if (*status != BOSBASE_STATUS_OK)
            return 1;
    }
    return enif_is_empty_list(env, tail);
}

/* Bytes of the {bytes, ...} parts of a list, to decide where copying them may run. */
static size_t parts_bytes(ErlNifEnv *env, ERL_NIF_TERM term) {
    ERL_NIF_TERM head, tail = term;
    const ERL_NIF_TERM *t;
    ErlNifBinary data;
    size_t total = 0;
    int arity;

    while (enif_get_list_cell(env, tail, &head, &tail))
        if (enif_get_tuple(env, head, &arity, &t) && arity == 5 &&
            enif_is_identical(t[0], atom_bytes) && enif_inspect_binary(env, t[4], &data))
            total += data.size;
    return total;
}

/* The parts' index: call_start_files/5 ends with them, /6 has the progress flag after them. */
static int parts_at(int argc) {
    return argc == 6 ? 4 : argc - 1;
}

static ERL_NIF_TERM call_start_files_now(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    char *strs[3] = {NULL, NULL, NULL};
    int progress = argc == 6 && enif_is_identical(argv[5], atom_true);
    BosbaseStatus status;
    BosbaseFiles *files;
    char *error = NULL;
    nif_client *cres;
    int ok;

    if (!get_args(env, parts_at(argc), argv, 1, &cres, strs))
        return bad_args(env, argv[0]);
    files = bosbase_files_new();
    ok = add_parts(env, argv[parts_at(argc)], files, &status, &error);
    if (!ok || status != BOSBASE_STATUS_OK) {
        bosbase_files_free(files);
        free_cstrs(strs, 3);
        return ok ? call_result(env, status, NULL, error) : bad_args(env, argv[0]);
    }
    return start_call(env, cres, strs, 0, files, progress);
}

/* Copying more than this many bytes into the core's parts runs on a dirty CPU scheduler. */
#define INLINE_COPY_MAX (256 * 1024)

/*
 * call_start_files(Client, Op, ArgsJson, OptionsJson | nil, Parts) -> as call_start, with
 * file parts (see add_parts), through bosbase_call_async_with_files. Path parts are only
 * recorded here (the core opens and streams them when the call runs); bytes parts are
 * copied into the core, which for large binaries is done on a dirty CPU scheduler so no
 * normal scheduler is held for it. The network part runs on the core's pool either way.
 */
static ERL_NIF_TERM nif_call_start_files(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    if (parts_bytes(env, argv[parts_at(argc)]) > INLINE_COPY_MAX)
        return enif_schedule_nif(env, "call_start_files", ERL_NIF_DIRTY_JOB_CPU_BOUND,
                                 call_start_files_now, argc, argv);
    return call_start_files_now(env, argc, argv);
}

/* ---------------------------------------------------------------- downloads */

/*
 * BosbaseProgressCallback of a call: sends {bosbase_progress, Tag, Done, Total} to the
 * caller unless it gave up. The core reports only before the completion (a cancel waits
 * for a report in progress), which holds its share of `st` until it runs: `st` is alive.
 */
static void on_call_progress(void *user_data, uint64_t done, uint64_t total) {
    call_state *st = user_data;
    ErlNifEnv *m;

    enif_mutex_lock(st->lock);
    if (!st->abandoned && !st->done && (m = enif_alloc_env()) != NULL) {
        ERL_NIF_TERM msg = enif_make_tuple4(m, atom_progress, enif_make_copy(m, st->tag),
                                            enif_make_uint64(m, done), enif_make_uint64(m, total));
        enif_send(current_env, &st->pid, m, msg);
        enif_free_env(m);
    }
    enif_mutex_unlock(st->lock);
}

/*
 * download_start(Client, RecordJson, Filename, Path, OptionsJson | nil, Progress) ->
 * {ok, Call, Tag} | {error, Status, ErrorJson | nil} | {error, badarg}: starts
 * bosbase_files_download_async on the core's worker pool, answered, cancelled and freed
 * exactly as call_start's calls. With Progress true, {bosbase_progress, Tag, Done, Total}
 * messages come before the reply.
 */
static ERL_NIF_TERM nif_download_start(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    char *strs[4] = {NULL, NULL, NULL, NULL};
    char *error = NULL;
    BosbaseCall *handle = NULL;
    BosbaseClient *client;
    BosbaseStatus status;
    call_state *st;
    nif_call *res;
    nif_client *cres = get_client(env, argv[0]);
    int progress = enif_is_identical(argv[5], atom_true);
    ERL_NIF_TERM tag, term;
    (void)argc;

    if (cres == NULL || !get_cstr(env, argv[1], &strs[0]) || !get_cstr(env, argv[2], &strs[1]) ||
        !get_cstr(env, argv[3], &strs[2]) || !get_opt_cstr(env, argv[4], &strs[3])) {
        free_cstrs(strs, 4);
        return bad_args(env, argv[0]);
    }
    tag = enif_make_ref(env);
    st = state_new(env, tag);
    res = st == NULL ? NULL : call_resource(env, st, cres);
    if (res == NULL) {
        if (st != NULL) {
            st->refs = 1;
            state_release(st);
        }
        free_cstrs(strs, 4);
        return enomem(env);
    }
    client = acquire(cres);
    if (client == NULL) {
        status = BOSBASE_STATUS_CLOSED;
    } else {
        current_env = env;
        status = bosbase_files_download_async(client, strs[0], strs[1], strs[2], strs[3],
                                              progress ? on_call_progress : NULL, st, on_call_complete,
                                              st, &handle, &error);
        current_env = NULL;
        release(cres);
    }
    free_cstrs(strs, 4);
    if (status != BOSBASE_STATUS_OK) {
        state_release(st);          /* the completion's share: it never runs */
        enif_release_resource(res); /* frees the rest */
        return call_result(env, status, NULL, error);
    }
    enif_mutex_lock(st->lock);
    st->handle = handle;
    enif_mutex_unlock(st->lock);
    term = enif_make_resource(env, res);
    enif_release_resource(res);
    return enif_make_tuple3(env, atom_ok, term, tag);
}

/*
 * call_cancel(Call) -> sent | wait (Bosbase.Call calls it once the reply is in, which
 * keeps the handle referenced until then; a call that has finished is not cancelled):
 *  - sent: the reply is already in the caller's mailbox;
 *  - wait: the call was cancelled (its reply, `cancelled`, was just sent from here) or is
 *    finishing on a worker thread right now: the reply is in the mailbox or about to be.
 */
static ERL_NIF_TERM nif_call_cancel(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_priv *priv = enif_priv_data(env);
    nif_call *res;
    call_state *st;
    BosbaseCall *handle;
    int done;
    (void)argc;

    if (!enif_get_resource(env, argv[0], priv->call_type, (void **)&res) || res->st == NULL)
        return bad_args(env, argv[0]);
    st = res->st;
    enif_mutex_lock(st->lock);
    done = st->done;
    handle = done ? NULL : st->handle; /* set before start_call returned the resource */
    enif_mutex_unlock(st->lock);
    if (handle != NULL) {
        current_env = env;
        bosbase_call_cancel(handle);
        current_env = NULL;
    }
    return done ? atom_sent : atom_wait;
}

static ERL_NIF_TERM nif_live_calls(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    (void)argv;
    return enif_make_long(env, atomic_load(&live_call_states));
}

static ERL_NIF_TERM nif_pending_frees(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    (void)argv;
    return enif_make_long(env, atomic_load(&pending_frees));
}

/* ---------------------------------------------------------------- auth store (in memory) */

/* The auth store functions: in memory, microseconds, on normal schedulers; those that change
 * the store run on dirty I/O schedulers (nif_funcs), as they may write the auth file. */
typedef BosbaseStatus (*core_call)(BosbaseClient *c, char **s, char **result, char **error);

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
static BosbaseStatus do_store_export_cookie(BosbaseClient *c, char **s, char **r, char **e) {
    return bosbase_auth_store_export_cookie(c, s[0], r, e);
}
static BosbaseStatus do_store_load_cookie(BosbaseClient *c, char **s, char **r, char **e) {
    (void)r;
    return bosbase_auth_store_load_cookie(c, s[0], s[1], e);
}
static BosbaseStatus do_store_file_error(BosbaseClient *c, char **s, char **r, char **e) {
    (void)s;
    return bosbase_auth_store_file_error(c, r, e);
}

/*
 * Decodes arguments (`opt_last`: the last one may be nil → NULL), runs `call` on the live
 * handle, builds the reply: {ok, Json | nil} | {error, Status, ErrorJson | nil} |
 * {error, badarg}.
 */
static ERL_NIF_TERM run_call(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[], int opt_last,
                             core_call call) {
    char *strs[3] = {NULL, NULL, NULL};
    char *result = NULL, *error = NULL;
    BosbaseStatus status;
    BosbaseClient *client;
    nif_client *res;

    if (argc < 1 || argc > 4 || !get_args(env, argc, argv, opt_last, &res, strs))
        return bad_args(env, argv[0]);
    client = acquire(res);
    if (client == NULL) {
        free_cstrs(strs, 3);
        return closed_reply(env);
    }
    current_env = env; /* change listeners run on this thread (see on_auth_change) */
    status = call(client, strs, &result, &error);
    current_env = NULL;
    release(res);
    free_cstrs(strs, 3);
    return call_result(env, status, result, error);
}

#define CALL_NIF(name, opt_last, fn)                                                       \
    static ERL_NIF_TERM name(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {        \
        return run_call(env, argc, argv, opt_last, fn);                                    \
    }
CALL_NIF(nif_store_token, 0, do_store_token)
CALL_NIF(nif_store_record, 0, do_store_record)
CALL_NIF(nif_store_export, 0, do_store_export)
CALL_NIF(nif_store_clear, 0, do_store_clear)
CALL_NIF(nif_store_save, 1, do_store_save) /* (ref, token, record_json | nil) */
CALL_NIF(nif_store_import, 0, do_store_import)
CALL_NIF(nif_store_export_cookie, 1, do_store_export_cookie) /* (ref, options_json | nil) */
CALL_NIF(nif_store_load_cookie, 1, do_store_load_cookie)     /* (ref, header, key | nil) */
CALL_NIF(nif_store_file_error, 0, do_store_file_error)

/* {ok, Bool} from one of the auth store's yes/no questions. A closed client has no valid
 * login and no superuser, as the core says false for NULL. */
static ERL_NIF_TERM store_bool(ErlNifEnv *env, ERL_NIF_TERM ref, bool (*question)(const BosbaseClient *)) {
    nif_client *res = get_client(env, ref);
    BosbaseClient *client;
    bool yes;

    if (res == NULL)
        return bad_args(env, ref);
    client = acquire(res);
    if (client == NULL)
        return closed_reply(env);
    yes = question(client);
    release(res);
    return ok_tuple(env, yes ? atom_true : atom_false);
}

static ERL_NIF_TERM nif_store_is_valid(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return store_bool(env, argv[0], bosbase_auth_store_is_valid);
}

static ERL_NIF_TERM nif_store_is_superuser(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    return store_bool(env, argv[0], bosbase_auth_store_is_superuser);
}

/* filter(Expr, ParamsJson) -> {ok, Filter} | {error, Status, ErrorJson}: bosbase_filter. */
static ERL_NIF_TERM nif_filter(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    char *strs[2] = {NULL, NULL};
    char *result = NULL, *error = NULL;
    BosbaseStatus status;
    (void)argc;

    if (!get_cstr(env, argv[0], &strs[0]) || !get_cstr(env, argv[1], &strs[1])) {
        free_cstrs(strs, 2);
        return bad_args(env, argv[0]);
    }
    status = bosbase_filter(strs[0], strs[1], &result, &error);
    free_cstrs(strs, 2);
    return call_result(env, status, result, error);
}

/* ---------------------------------------------------------------- auth-change listeners */

static void listener_free(listener *l) {
    enif_free_env(l->env);
    enif_free(l);
}

/*
 * BosbaseAuthChangeCallback: runs on the thread that changed the store — a core worker
 * (an auth call's completion) or a scheduler inside one of this library's auth-store NIFs,
 * which set current_env for enif_send. Sends {bosbase_auth_change_raw, Ref, Seq, Token,
 * RecordJson} to the relay; a dead relay just drops it.
 */
static void on_auth_change(void *user_data, const char *token, const char *record_json) {
    listener *l = user_data;
    ErlNifEnv *m = enif_alloc_env();

    if (m == NULL)
        return;
    enif_send(current_env, &l->relay, m,
              enif_make_tuple5(m, atom_auth_change, enif_make_copy(m, l->ref),
                               enif_make_uint64(m, l->seq++), copy_string(m, token),
                               copy_string(m, record_json)));
    enif_free_env(m);
}

/*
 * auth_store_subscribe(Client, RelayPid, Ref) -> ok | {error, Status, ErrorJson | nil}:
 * registers a listener whose changes go to RelayPid tagged with Ref (see on_auth_change).
 */
static ERL_NIF_TERM nif_store_subscribe(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *res = get_client(env, argv[0]);
    BosbaseClient *client;
    BosbaseStatus status;
    char *error = NULL;
    listener *l;
    (void)argc;

    if (res == NULL || !enif_is_ref(env, argv[2]))
        return bad_args(env, argv[0]);
    l = enif_alloc(sizeof(listener));
    if (l == NULL)
        return enomem(env);
    memset(l, 0, sizeof(*l));
    if (!enif_get_local_pid(env, argv[1], &l->relay) || (l->env = enif_alloc_env()) == NULL) {
        enif_free(l);
        return bad_args(env, argv[0]);
    }
    l->ref = enif_make_copy(l->env, argv[2]);
    client = acquire(res);
    if (client == NULL) {
        listener_free(l);
        return closed_reply(env);
    }
    /* Listed under the lock taken before registering, so unsubscribe always finds it. */
    enif_mutex_lock(res->listeners_lock);
    status = bosbase_auth_store_on_change(client, on_auth_change, l, &l->id, &error);
    if (status == BOSBASE_STATUS_OK) {
        l->next = res->listeners;
        res->listeners = l;
    }
    enif_mutex_unlock(res->listeners_lock);
    release(res);
    if (status != BOSBASE_STATUS_OK) {
        listener_free(l);
        return call_result(env, status, NULL, error);
    }
    return atom_ok;
}

/*
 * auth_store_unsubscribe(Client, Ref) -> {ok, RelayPid} | {error, not_found}: removes the
 * listener from the core — once that returns its callback is not running and never runs
 * again — and frees it. After close the core client is gone, and its callbacks with it.
 */
static ERL_NIF_TERM nif_store_unsubscribe(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *res = get_client(env, argv[0]);
    BosbaseClient *client;
    listener **p, *l = NULL;
    ERL_NIF_TERM relay;
    (void)argc;

    if (res == NULL)
        return bad_args(env, argv[0]);
    enif_mutex_lock(res->listeners_lock);
    for (p = &res->listeners; *p != NULL; p = &(*p)->next) {
        if (enif_is_identical((*p)->ref, argv[1])) {
            l = *p;
            *p = l->next;
            break;
        }
    }
    enif_mutex_unlock(res->listeners_lock);
    if (l == NULL)
        return enif_make_tuple2(env, atom_error, atom_not_found);
    client = acquire(res);
    if (client != NULL) {
        bosbase_auth_store_remove_listener(client, l->id, NULL);
        release(res);
    }
    relay = enif_make_pid(env, &l->relay);
    listener_free(l);
    return ok_tuple(env, relay);
}

/* auth_store_listeners(Client) -> N: this client's subscriptions still registered (tests). */
static ERL_NIF_TERM nif_store_listeners(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *res = get_client(env, argv[0]);
    unsigned n = 0;
    listener *l;
    (void)argc;

    if (res == NULL)
        return bad_args(env, argv[0]);
    enif_mutex_lock(res->listeners_lock);
    for (l = res->listeners; l != NULL; l = l->next)
        n++;
    enif_mutex_unlock(res->listeners_lock);
    return enif_make_uint(env, n);
}

/* ---------------------------------------------------------------- subscriptions */

/*
 * Realtime subscriptions (a topic, or a collection's "*" / record id) and pub/sub
 * subscriptions are one family, read in the core's pull mode. The core queues each
 * subscription's entries — the only queue: BOSBASE_QUEUE_MAX_EVENTS entries or
 * BOSBASE_QUEUE_MAX_BYTES, the oldest event dropped and counted, notices never dropped —
 * and calls on_ready (on a library thread) when the queue gets an entry after the
 * subscriber last drained it; on_ready sends ONE message, {bosbase_ready, Tag}, to the
 * subscriber, which takes the entries with sub_next. So the subscriber's mailbox holds at
 * most one message of ours per subscription, whatever the rate of events.
 *
 * A realtime state listener (bosbase_realtime_on_state, rare messages) stays a push
 * callback: on_state sends {bosbase_event_raw, Tag, Seq, Json} to a relay process
 * (Bosbase.Subscription.Relay) that decodes it for the listener; `seq` numbers the
 * callbacks so the relay keeps their order.
 *
 * Every subscription is held by its client's `subs` list (a kept reference) until it
 * ends: unsubscribed (sub_stop, or by topic or prefix), its client closed (client_relays),
 * or its subscriber (the relay, for a state listener) exits — a monitor (sub_down). The
 * resource keeps its client alive. Subscribe, next and unsubscribe never wait in the core
 * (pull mode: no thread is joined, no callback waited for), so all run on normal
 * schedulers; the destructor frees the core handle.
 */
enum { SUB_REALTIME, SUB_COLLECTION, SUB_PUBSUB, SUB_STATE };

typedef struct nif_sub {
    struct nif_sub *next; /* in its client's `subs`, under listeners_lock */
    int kind;
    int listed;           /* in `subs`, which then holds a reference; under listeners_lock */
    nif_client *client;   /* kept: the client resource outlives its subscriptions */
    ErlNifMutex *lock;    /* guards handle, registered, stopped */
    BosbaseSubscription *handle; /* pull subscriptions, once subscribed */
    uint64_t listener_id;        /* SUB_STATE */
    int registered;              /* SUB_STATE: listener_id is registered in the core */
    int stopped;
    char *topic;                 /* the full topic ("posts/RECORD_ID" for a collection) */
    _Atomic uint64_t seq;        /* SUB_STATE: numbers the callbacks */
    ErlNifPid pid;               /* the subscriber; the relay for SUB_STATE */
    ErlNifMonitor monitor;       /* on `pid` */
    ErlNifEnv *env;              /* holds tag */
    ERL_NIF_TERM tag;
} nif_sub;

/* Subscription resources alive (not yet collected); live_subs/0. */
static atomic_long live_subs;

static nif_sub *get_sub(ErlNifEnv *env, ERL_NIF_TERM term) {
    nif_priv *priv = enif_priv_data(env);
    nif_sub *s;

    if (!enif_get_resource(env, term, priv->sub_type, (void **)&s))
        return NULL;
    return s;
}

/* BosbaseReadyCallback: on the client's dispatch thread (or, should the core call it
 * inside subscribe/next, on the scheduler running that NIF: current_env). */
static void on_ready(void *user_data) {
    nif_sub *s = user_data;
    ErlNifEnv *m = enif_alloc_env();

    if (m == NULL)
        return;
    enif_send(current_env, &s->pid, m, enif_make_tuple2(m, atom_ready, enif_make_copy(m, s->tag)));
    enif_free_env(m);
}

/* BosbaseRealtimeStateCallback: on the client's dispatch thread. A dead relay drops it. */
static void on_state(void *user_data, const char *json) {
    nif_sub *s = user_data;
    ErlNifEnv *m = enif_alloc_env();

    if (m == NULL)
        return;
    enif_send(current_env, &s->pid, m,
              enif_make_tuple4(m, atom_event_raw, enif_make_copy(m, s->tag),
                               enif_make_uint64(m, atomic_fetch_add(&s->seq, 1)),
                               copy_string(m, json)));
    enif_free_env(m);
}

/* Ends `s` in the core (a no-op when it ended already); true when this ended an active
 * one. Never waits: pull subscriptions have no callback to wait for, and a state
 * listener's callback only sends a message. */
static int sub_stop_core(nif_sub *s) {
    BosbaseSubscription *handle;
    BosbaseClient *client;
    int registered, was_stopped, active = 0;

    enif_mutex_lock(s->lock);
    was_stopped = s->stopped;
    s->stopped = 1;
    handle = s->handle;
    registered = s->registered;
    s->registered = 0;
    enif_mutex_unlock(s->lock);
    if (handle != NULL) {
        active = bosbase_subscription_is_active(handle);
        bosbase_subscription_unsubscribe(handle);
    } else if (registered) {
        active = 1;
        client = acquire(s->client);
        if (client != NULL) { /* a closed client has no listeners left */
            bosbase_realtime_remove_state_listener(client, s->listener_id, NULL);
            release(s->client);
        }
    }
    return active && !was_stopped;
}

/* Takes `s` off its client's list; true when it was on it (the caller then drops the
 * list's reference, outside every lock). */
static int sub_unlist(nif_sub *s) {
    nif_sub **p;
    int was = 0;

    enif_mutex_lock(s->client->listeners_lock);
    if (s->listed) {
        for (p = &s->client->subs; *p != NULL; p = &(*p)->next) {
            if (*p == s) {
                *p = s->next;
                break;
            }
        }
        s->listed = 0;
        was = 1;
    }
    enif_mutex_unlock(s->client->listeners_lock);
    return was;
}

/* Ends `s`: in the core, its monitor (unless `env` is NULL: it fired), and the list's
 * hold on it. True when this ended an active subscription. */
static int sub_end(ErlNifEnv *env, nif_sub *s) {
    int stopped = sub_stop_core(s);

    if (env != NULL)
        enif_demonitor_process(env, s, &s->monitor);
    if (sub_unlist(s))
        enif_release_resource(s);
    return stopped;
}

/* The subscriber (or the state listener's relay) exited: end the subscription. */
static void sub_down(ErlNifEnv *env, void *obj, ErlNifPid *pid, ErlNifMonitor *mon) {
    (void)env;
    (void)pid;
    (void)mon;
    sub_end(NULL, obj);
}

static void sub_dtor(ErlNifEnv *env, void *obj) {
    nif_sub *s = obj;
    (void)env;

    if (s->lock != NULL) {
        sub_stop_core(s);
        bosbase_subscription_free(s->handle); /* NULL is ignored */
        enif_mutex_destroy(s->lock);
    }
    if (s->client != NULL)
        enif_release_resource(s->client);
    if (s->topic != NULL)
        enif_free(s->topic);
    if (s->env != NULL)
        enif_free_env(s->env);
    atomic_fetch_sub(&live_subs, 1);
}

/*
 * A new subscription resource of `kind` on `client` for process `pid_term` (the
 * subscriber; the relay for a state listener), named `tag`: listed in the client's subs
 * and monitoring that process. The caller owns one reference besides the list's. NULL
 * with *why set: 0 badarg, 1 no memory, 2 the process is not alive.
 */
static nif_sub *sub_new(ErlNifEnv *env, nif_client *client, int kind, ERL_NIF_TERM pid_term,
                        ERL_NIF_TERM tag, int *why) {
    nif_priv *priv = enif_priv_data(env);
    nif_sub *s;

    *why = 0;
    if (!enif_is_ref(env, tag))
        return NULL;
    s = enif_alloc_resource(priv->sub_type, sizeof(nif_sub));
    if (s == NULL) {
        *why = 1;
        return NULL;
    }
    memset(s, 0, sizeof(*s));
    atomic_fetch_add(&live_subs, 1);
    s->kind = kind;
    s->client = client;
    enif_keep_resource(client);
    if (!enif_get_local_pid(env, pid_term, &s->pid)) {
        enif_release_resource(s);
        return NULL;
    }
    s->lock = enif_mutex_create("bosbase_sub");
    s->env = enif_alloc_env();
    if (s->lock == NULL || s->env == NULL) {
        *why = 1;
        enif_release_resource(s);
        return NULL;
    }
    s->tag = enif_make_copy(s->env, tag);
    enif_keep_resource(s); /* the list's reference */
    enif_mutex_lock(client->listeners_lock);
    s->next = client->subs;
    client->subs = s;
    s->listed = 1;
    enif_mutex_unlock(client->listeners_lock);
    /* Listed first, so a process that exits at once is unlisted by sub_down. */
    if (enif_monitor_process(env, s, &s->pid, &s->monitor) != 0) {
        *why = 2;
        sub_end(NULL, s);
        enif_release_resource(s);
        return NULL;
    }
    return s;
}

static ERL_NIF_TERM sub_new_failed(ErlNifEnv *env, ERL_NIF_TERM handle, int why) {
    if (why == 1)
        return enomem(env);
    if (why == 2)
        return enif_make_tuple2(env, atom_error, atom_noproc);
    return bad_args(env, handle);
}

/*
 * realtime_subscribe(Client, Pid, Tag, Topic, OptionsJson | nil),
 * collection_subscribe(Client, Pid, Tag, Collection, Topic, OptionsJson | nil),
 * pubsub_subscribe(Client, Pid, Tag, Topic) -> {ok, Sub} | {error, Status, ErrorJson | nil}
 * | {error, badarg | noproc}: subscribes in pull mode (returns in microseconds: the
 * stream's threads do the network part); {bosbase_ready, Tag} goes to Pid when entries
 * are queued.
 */
static ERL_NIF_TERM start_subscription(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[],
                                       int kind) {
    nif_client *client = get_client(env, argv[0]);
    char *args[3] = {NULL, NULL, NULL};
    BosbaseSubscription *handle = NULL;
    BosbaseStatus status = BOSBASE_STATUS_CLOSED;
    int nstr = argc - 3, i, why, stopped;
    char *error = NULL;
    BosbaseClient *c;
    ERL_NIF_TERM term;
    nif_sub *s;

    if (client == NULL)
        return bad_args(env, argv[0]);
    for (i = 0; i < nstr; i++) {
        int ok = (kind != SUB_PUBSUB && i == nstr - 1) ? get_opt_cstr(env, argv[3 + i], &args[i])
                                                        : get_cstr(env, argv[3 + i], &args[i]);
        if (!ok) {
            free_cstrs(args, 3);
            return bad_args(env, argv[0]);
        }
    }
    s = sub_new(env, client, kind, argv[1], argv[2], &why);
    if (s == NULL) {
        free_cstrs(args, 3);
        return sub_new_failed(env, argv[0], why);
    }
    s->topic = enif_alloc(strlen(args[0]) + (kind == SUB_COLLECTION ? strlen(args[1]) + 2 : 1));
    if (s->topic == NULL) {
        free_cstrs(args, 3);
        sub_end(env, s);
        enif_release_resource(s);
        return enomem(env);
    }
    strcpy(s->topic, args[0]);
    if (kind == SUB_COLLECTION) {
        strcat(s->topic, "/");
        strcat(s->topic, args[1]);
    }
    c = acquire(client);
    if (c != NULL) {
        current_env = env;
        if (kind == SUB_REALTIME)
            status = bosbase_realtime_subscribe(c, args[0], args[1], NULL, on_ready, s, &handle,
                                                &error);
        else if (kind == SUB_COLLECTION)
            status = bosbase_collection_subscribe(c, args[0], args[1], args[2], NULL, on_ready, s,
                                                  &handle, &error);
        else
            status = bosbase_pubsub_subscribe(c, args[0], NULL, NULL, on_ready, s, &handle,
                                              &error);
        current_env = NULL;
        release(client);
    }
    free_cstrs(args, 3);
    if (status != BOSBASE_STATUS_OK) {
        sub_end(env, s);
        enif_release_resource(s);
        return call_result(env, status, NULL, error);
    }
    enif_mutex_lock(s->lock);
    s->handle = handle;
    stopped = s->stopped;
    enif_mutex_unlock(s->lock);
    if (stopped) /* the subscriber exited meanwhile (sub_down found no handle yet) */
        bosbase_subscription_unsubscribe(handle);
    term = enif_make_resource(env, s);
    enif_release_resource(s); /* the list (unless ended) and the term hold it now */
    return ok_tuple(env, term);
}

static ERL_NIF_TERM nif_realtime_subscribe(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    return start_subscription(env, argc, argv, SUB_REALTIME);
}

static ERL_NIF_TERM nif_collection_subscribe(ErlNifEnv *env, int argc,
                                             const ERL_NIF_TERM argv[]) {
    return start_subscription(env, argc, argv, SUB_COLLECTION);
}

static ERL_NIF_TERM nif_pubsub_subscribe(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    return start_subscription(env, argc, argv, SUB_PUBSUB);
}

/* realtime_on_state(Client, Relay, Tag) -> {ok, Sub} | {error, Status, ErrorJson | nil} |
 * {error, badarg | noproc}: registers a state listener (in memory, microseconds). */
static ERL_NIF_TERM nif_realtime_on_state(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *client = get_client(env, argv[0]);
    BosbaseClient *c;
    BosbaseStatus status = BOSBASE_STATUS_CLOSED;
    char *error = NULL;
    ERL_NIF_TERM term;
    nif_sub *s;
    int why;
    (void)argc;

    if (client == NULL)
        return bad_args(env, argv[0]);
    s = sub_new(env, client, SUB_STATE, argv[1], argv[2], &why);
    if (s == NULL)
        return sub_new_failed(env, argv[0], why);
    c = acquire(client);
    if (c != NULL) {
        enif_mutex_lock(s->lock);
        status = bosbase_realtime_on_state(c, on_state, s, &s->listener_id, &error);
        s->registered = status == BOSBASE_STATUS_OK;
        enif_mutex_unlock(s->lock);
        release(client);
    }
    if (status != BOSBASE_STATUS_OK) {
        sub_end(env, s);
        enif_release_resource(s);
        return call_result(env, status, NULL, error);
    }
    term = enif_make_resource(env, s);
    enif_release_resource(s);
    return ok_tuple(env, term);
}

/* The atom of an entry kind (pull subscriptions). */
static ERL_NIF_TERM kind_atom(BosbaseEventKind kind) {
    switch (kind) {
    case BOSBASE_EVENT_EVENT:
        return atom_event;
    case BOSBASE_EVENT_SUBSCRIBED:
        return atom_subscribed;
    case BOSBASE_EVENT_ERROR:
        return atom_error;
    case BOSBASE_EVENT_STATE:
        return atom_state;
    default:
        return atom_none;
    }
}

/*
 * sub_next(Sub) -> none | {ok, Kind, Seq, Json} | {error, Status, ErrorJson | nil}:
 * bosbase_subscription_next, the oldest queued entry (Kind: event | subscribed | error |
 * state; Seq: 1, 2, ... per subscription, a gap = entries dropped). Non-blocking. `none`
 * also re-arms the ready message. A state listener has no queue: always none.
 */
static ERL_NIF_TERM nif_sub_next(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_sub *s = get_sub(env, argv[0]);
    BosbaseEventKind kind = BOSBASE_EVENT_NONE;
    BosbaseSubscription *handle;
    BosbaseStatus status;
    char *json = NULL, *error = NULL;
    uint64_t seq = 0;
    (void)argc;

    if (s == NULL)
        return bad_args(env, argv[0]);
    enif_mutex_lock(s->lock);
    handle = s->handle; /* freed only by the destructor, and argv holds the resource */
    enif_mutex_unlock(s->lock);
    if (handle == NULL)
        return atom_none;
    current_env = env;
    status = bosbase_subscription_next(handle, &kind, &seq, &json, &error);
    current_env = NULL;
    if (status != BOSBASE_STATUS_OK)
        return call_result(env, status, json, error);
    if (kind == BOSBASE_EVENT_NONE) {
        bosbase_string_free(json);
        return atom_none;
    }
    return enif_make_tuple4(env, atom_ok, kind_atom(kind), enif_make_uint64(env, seq),
                            take_string(env, json));
}

/* sub_stop(Sub) -> true (this ended it) | false: no ready message or state callback of Sub
 * is sent once it returns. */
static ERL_NIF_TERM nif_sub_stop(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_sub *s = get_sub(env, argv[0]);
    int stopped;
    (void)argc;

    if (s == NULL)
        return bad_args(env, argv[0]);
    current_env = env;
    stopped = sub_end(env, s);
    current_env = NULL;
    return stopped ? atom_true : atom_false;
}

/* sub_dropped(Sub) -> N: events the core dropped for this subscription (queue full). */
static ERL_NIF_TERM nif_sub_dropped(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_sub *s = get_sub(env, argv[0]);
    uint64_t n = 0;
    (void)argc;

    if (s == NULL)
        return bad_args(env, argv[0]);
    enif_mutex_lock(s->lock);
    if (s->handle != NULL)
        n = bosbase_subscription_dropped(s->handle);
    enif_mutex_unlock(s->lock);
    return enif_make_uint64(env, n);
}

/* sub_active(Sub) -> Bool: not ended, in the core's view too (a topic unsubscribe, close
 * or the server's refusal ends it there). */
static ERL_NIF_TERM nif_sub_active(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_sub *s = get_sub(env, argv[0]);
    int active;
    (void)argc;

    if (s == NULL)
        return bad_args(env, argv[0]);
    enif_mutex_lock(s->lock);
    active = !s->stopped;
    if (active && s->handle != NULL)
        active = bosbase_subscription_is_active(s->handle);
    enif_mutex_unlock(s->lock);
    return active ? atom_true : atom_false;
}

/* sub_lookup(Client, Tag) -> {ok, Sub, Relay | nil} | {error, not_found}: a subscription
 * not ended yet (Relay: a state listener's relay; nil for a subscription). */
static ERL_NIF_TERM nif_sub_lookup(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *client = get_client(env, argv[0]);
    ERL_NIF_TERM reply = enif_make_tuple2(env, atom_error, atom_not_found);
    nif_sub *s;
    (void)argc;

    if (client == NULL)
        return bad_args(env, argv[0]);
    enif_mutex_lock(client->listeners_lock);
    for (s = client->subs; s != NULL; s = s->next) {
        if (enif_is_identical(s->tag, argv[1])) {
            reply = enif_make_tuple3(env, atom_ok, enif_make_resource(env, s),
                                     s->kind == SUB_STATE ? enif_make_pid(env, &s->pid) : atom_nil);
            break;
        }
    }
    enif_mutex_unlock(client->listeners_lock);
    return reply;
}

/*
 * Ends `client`'s subscriptions of `kind` (-1: every kind) whose topic equals `topic` (or
 * starts with it when `prefix`; NULL: any) — after the core ended them (an unsubscribe by
 * topic, or close) — and returns [{Tag, Relay | nil}] (the relay of each state listener).
 */
static ERL_NIF_TERM take_relays(ErlNifEnv *env, nif_client *client, int kind, const char *topic,
                                int prefix) {
    ERL_NIF_TERM list = enif_make_list(env, 0);
    nif_sub **p, *s, *ended = NULL, *next;

    enif_mutex_lock(client->listeners_lock);
    p = &client->subs;
    while ((s = *p) != NULL) {
        int match = kind < 0 || s->kind == kind ||
                    (kind == SUB_REALTIME && s->kind == SUB_COLLECTION);
        if (match && topic != NULL)
            match = s->topic != NULL && (prefix ? strncmp(s->topic, topic, strlen(topic)) == 0
                                                : strcmp(s->topic, topic) == 0);
        if (!match) {
            p = &s->next;
            continue;
        }
        list = enif_make_list_cell(
            env,
            enif_make_tuple2(env, enif_make_copy(env, s->tag),
                             s->kind == SUB_STATE ? enif_make_pid(env, &s->pid) : atom_nil),
            list);
        /* Off the list (its reference moves to `ended`, linked through `next`). */
        *p = s->next;
        s->listed = 0;
        s->next = ended;
        ended = s;
    }
    enif_mutex_unlock(client->listeners_lock);
    for (s = ended; s != NULL; s = next) {
        next = s->next;
        sub_stop_core(s);
        enif_demonitor_process(env, s, &s->monitor);
        enif_release_resource(s);
    }
    return list;
}

/* realtime_unsubscribe(Client, TopicOrPrefix, IsPrefix) -> {ok, [{Tag, Relay}]} |
 * {error, Status, ErrorJson | nil}: bosbase_realtime_unsubscribe(_by_prefix), then the
 * relays of the subscriptions it ended (their callbacks will not run again). */
static ERL_NIF_TERM nif_realtime_unsubscribe(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *client = get_client(env, argv[0]);
    char *topic = NULL, *error = NULL;
    BosbaseStatus status;
    BosbaseClient *c;
    int prefix = enif_is_identical(argv[2], atom_true);
    ERL_NIF_TERM relays;
    (void)argc;

    if (client == NULL || !get_cstr(env, argv[1], &topic))
        return bad_args(env, argv[0]);
    c = acquire(client);
    if (c == NULL) {
        enif_free(topic);
        return closed_reply(env);
    }
    current_env = env;
    status = prefix ? bosbase_realtime_unsubscribe_by_prefix(c, topic, &error)
                    : bosbase_realtime_unsubscribe(c, topic, &error);
    current_env = NULL;
    release(client);
    relays = status == BOSBASE_STATUS_OK ? take_relays(env, client, SUB_REALTIME, topic, prefix)
                                         : atom_nil;
    enif_free(topic);
    if (status != BOSBASE_STATUS_OK)
        return call_result(env, status, NULL, error);
    return ok_tuple(env, relays);
}

/* pubsub_unsubscribe_topic(Client, Topic) -> {ok, [{Tag, Relay}]} | {error, ...}. */
static ERL_NIF_TERM nif_pubsub_unsubscribe_topic(ErlNifEnv *env, int argc,
                                                 const ERL_NIF_TERM argv[]) {
    nif_client *client = get_client(env, argv[0]);
    char *topic = NULL, *error = NULL;
    BosbaseStatus status;
    BosbaseClient *c;
    ERL_NIF_TERM relays;
    (void)argc;

    if (client == NULL || !get_cstr(env, argv[1], &topic))
        return bad_args(env, argv[0]);
    c = acquire(client);
    if (c == NULL) {
        enif_free(topic);
        return closed_reply(env);
    }
    current_env = env;
    status = bosbase_pubsub_unsubscribe_topic(c, topic, &error);
    current_env = NULL;
    release(client);
    relays = status == BOSBASE_STATUS_OK ? take_relays(env, client, SUB_PUBSUB, topic, 0) : atom_nil;
    enif_free(topic);
    if (status != BOSBASE_STATUS_OK)
        return call_result(env, status, NULL, error);
    return ok_tuple(env, relays);
}

/* pubsub_connected(Client) -> Bool. */
static ERL_NIF_TERM nif_pubsub_connected(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *client = get_client(env, argv[0]);
    BosbaseClient *c;
    int yes;
    (void)argc;

    if (client == NULL)
        return bad_args(env, argv[0]);
    c = acquire(client);
    if (c == NULL)
        return atom_false;
    yes = bosbase_pubsub_is_connected(c);
    release(client);
    return yes ? atom_true : atom_false;
}

/* client_relays(Client) -> [{Tag, Relay}]: every subscription's relay, marked stopped (after
 * close: the core ended them all). */
static ERL_NIF_TERM nif_client_relays(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    nif_client *client = get_client(env, argv[0]);
    (void)argc;

    if (client == NULL)
        return bad_args(env, argv[0]);
    return take_relays(env, client, -1, NULL, 0);
}

static ERL_NIF_TERM nif_live_subs(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)argc;
    (void)argv;
    return enif_make_long(env, atomic_load(&live_subs));
}

/* ---------------------------------------------------------------- load / upgrade */

static void make_atoms(ErlNifEnv *env) {
    atom_ok = enif_make_atom(env, "ok");
    atom_error = enif_make_atom(env, "error");
    atom_nil = enif_make_atom(env, "nil");
    atom_true = enif_make_atom(env, "true");
    atom_false = enif_make_atom(env, "false");
    atom_badarg = enif_make_atom(env, "badarg");
    atom_stale = enif_make_atom(env, "stale");
    atom_wait = enif_make_atom(env, "wait");
    atom_sent = enif_make_atom(env, "sent");
    atom_bytes = enif_make_atom(env, "bytes");
    atom_path = enif_make_atom(env, "path");
    atom_not_found = enif_make_atom(env, "not_found");
    atom_auth_change = enif_make_atom(env, "bosbase_auth_change_raw");
    atom_event_raw = enif_make_atom(env, "bosbase_event_raw");
    atom_ready = enif_make_atom(env, "bosbase_ready");
    atom_noproc = enif_make_atom(env, "noproc");
    atom_none = enif_make_atom(env, "none");
    atom_event = enif_make_atom(env, "event");
    atom_subscribed = enif_make_atom(env, "subscribed");
    atom_state = enif_make_atom(env, "state");
    atom_progress = enif_make_atom(env, "bosbase_progress");
    atom_url = enif_make_atom(env, "url");
}

/* Opens one resource type of this instance: created afresh, or taken over from a previous
 * instance of this very image only (see image_marker). */
static ErlNifResourceType *open_type(ErlNifEnv *env, const char *kind, ErlNifResourceDtor *dtor,
                                     ErlNifResourceDown *down, int same_image) {
    ErlNifResourceTypeInit init;
    char name[160];
    ErlNifResourceFlags flags = ERL_NIF_RT_CREATE | (same_image ? ERL_NIF_RT_TAKEOVER : 0);

    memset(&init, 0, sizeof(init));
    init.dtor = dtor;
    init.down = down;
    snprintf(name, sizeof(name), "bosbase_%s_abi%d_%s_%p", kind, BOSBASE_ABI_VERSION,
             BOSBASE_NIF_BUILD, (const void *)&image_marker);
    return enif_open_resource_type_x(env, name, &init, flags, NULL);
}

/* The earlier images' types `priv` knows of: those `old` (the previous instance's state,
 * if of this layout) knew, plus its own unless it is this image (then taken over). */
static int inherit_old_types(nif_priv *priv, const nif_priv *old, int same_image) {
    size_t n, own;

    priv->old_types = NULL;
    priv->nold = 0;
    if (old == NULL || old->magic != PRIV_MAGIC)
        return 1; /* first load, or a layout before this one: its handles get badarg */
    own = same_image ? 0 : 3;
    n = old->nold + own;
    if (n == 0)
        return 1;
    priv->old_types = enif_alloc(n * sizeof(ErlNifResourceType *));
    if (priv->old_types == NULL)
        return 0;
    if (old->nold > 0)
        memcpy(priv->old_types, old->old_types, old->nold * sizeof(ErlNifResourceType *));
    if (own) {
        priv->old_types[old->nold] = old->client_type;
        priv->old_types[old->nold + 1] = old->call_type;
        priv->old_types[old->nold + 2] = old->sub_type;
    }
    priv->nold = n;
    return 1;
}

static void priv_free(nif_priv *priv) {
    if (priv->old_types != NULL)
        enif_free(priv->old_types);
    enif_free(priv);
}

/* `old`: the previous instance's state (upgrade), or NULL (first load). */
static int open_types(ErlNifEnv *env, void **priv_data, const void *old) {
    int same_image = old != NULL && *(const void *const *)old == (const void *)&image_marker;
    nif_priv *priv = enif_alloc(sizeof(nif_priv));

    if (priv == NULL)
        return 1;
    priv->image = &image_marker;
    priv->magic = PRIV_MAGIC;
    if (!inherit_old_types(priv, old, same_image)) {
        enif_free(priv);
        return 1;
    }
    priv->client_type = open_type(env, "client", client_dtor, NULL, same_image);
    priv->call_type = open_type(env, "call", call_dtor, NULL, same_image);
    priv->sub_type = open_type(env, "subscription", sub_dtor, sub_down, same_image);
    if (priv->client_type == NULL || priv->call_type == NULL || priv->sub_type == NULL) {
        priv_free(priv);
        return 1;
    }
    make_atoms(env);
    *priv_data = priv;
    return 0;
}

static int load(ErlNifEnv *env, void **priv_data, ERL_NIF_TERM load_info) {
    (void)load_info;
    return open_types(env, priv_data, NULL);
}

/* A reload or code upgrade (see image_marker): the previous instance's handles keep
 * working when it is this same image, and stay with their own image otherwise. */
static int upgrade(ErlNifEnv *env, void **priv_data, void **old_priv_data, ERL_NIF_TERM load_info) {
    (void)load_info;
    return open_types(env, priv_data, *old_priv_data);
}

static void unload(ErlNifEnv *env, void *priv_data) {
    (void)env;
    priv_free(priv_data);
}

/* Only close may wait (for calls in flight), and the store changes may write the client's
 * auth file (an fsync, milliseconds: see the core's "authFile"); every other NIF returns in
 * microseconds. */
#define DIRTY_IO ERL_NIF_DIRTY_JOB_IO_BOUND

static ErlNifFunc nif_funcs[] = {
    {"client_new", 2, nif_client_new, 0},
    {"client_close", 1, nif_client_close, DIRTY_IO},
    {"live_clients", 0, nif_live_clients, 0},
    {"live_calls", 0, nif_live_calls, 0},
    {"pending_frees", 0, nif_pending_frees, 0},
    {"version", 0, nif_version, 0},
    {"build", 0, nif_build, 0},
    {"status_name", 1, nif_status_name, 0},
    {"generate_token", 0, nif_generate_token, 0},
    {"call_start", 4, nif_call_start, 0},
    {"call_start_files", 5, nif_call_start_files, 0},
    {"call_start_files", 6, nif_call_start_files, 0},
    {"send_start", 4, nif_send_start, 0},
    {"download_start", 6, nif_download_start, 0},
    {"oauth2_start", 5, nif_oauth2_start, 0},
    {"call_cancel", 1, nif_call_cancel, 0},
    {"auth_store_token", 1, nif_store_token, 0},
    {"auth_store_record", 1, nif_store_record, 0},
    {"auth_store_valid", 1, nif_store_is_valid, 0},
    {"auth_store_clear", 1, nif_store_clear, DIRTY_IO},
    {"auth_store_save", 3, nif_store_save, DIRTY_IO},
    {"auth_store_export", 1, nif_store_export, 0},
    {"auth_store_import", 2, nif_store_import, DIRTY_IO},
    {"auth_store_superuser", 1, nif_store_is_superuser, 0},
    {"auth_store_export_cookie", 2, nif_store_export_cookie, 0},
    {"auth_store_load_cookie", 3, nif_store_load_cookie, DIRTY_IO},
    {"auth_store_file_error", 1, nif_store_file_error, 0},
    {"auth_store_subscribe", 3, nif_store_subscribe, 0},
    {"auth_store_unsubscribe", 2, nif_store_unsubscribe, 0},
    {"auth_store_listeners", 1, nif_store_listeners, 0},
    {"client_fork", 2, nif_client_fork, 0},
    {"filter", 2, nif_filter, 0},
    {"realtime_subscribe", 5, nif_realtime_subscribe, 0},
    {"collection_subscribe", 6, nif_collection_subscribe, 0},
    {"pubsub_subscribe", 4, nif_pubsub_subscribe, 0},
    {"realtime_on_state", 3, nif_realtime_on_state, 0},
    {"sub_next", 1, nif_sub_next, 0},
    {"sub_stop", 1, nif_sub_stop, 0},
    {"sub_dropped", 1, nif_sub_dropped, 0},
    {"sub_active", 1, nif_sub_active, 0},
    {"sub_lookup", 2, nif_sub_lookup, 0},
    {"realtime_unsubscribe", 3, nif_realtime_unsubscribe, 0},
    {"pubsub_unsubscribe_topic", 2, nif_pubsub_unsubscribe_topic, 0},
    {"pubsub_connected", 1, nif_pubsub_connected, 0},
    {"client_relays", 1, nif_client_relays, 0},
    {"live_subs", 0, nif_live_subs, 0},
};

ERL_NIF_INIT(Elixir.Bosbase.Native, nif_funcs, load, NULL, upgrade, unload)
