/* The completion record of an async call, shared by the C ABI tests: each completion counts,
 * keeps its status and a copy of its JSON, and wakes waiters. Needs check.h and bosbase.h. */
#ifndef BOSBASE_TEST_OUTCOME_H
#define BOSBASE_TEST_OUTCOME_H
#include <pthread.h>
#include <stdio.h>

struct outcome {
    pthread_mutex_t lock;
    pthread_cond_t done;
    int calls;
    BosbaseStatus status;
    char text[2048];
};

#define OUTCOME_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, BOSBASE_STATUS_OK, ""}

/* A bosbase_call_async completion; also checks the contract: exactly one of result and
 * error, the result only with OK. */
static inline void on_done(void *user_data, BosbaseStatus status, const char *result_json, const char *error_json) {
    struct outcome *o = user_data;
    CHECK((status == BOSBASE_STATUS_OK) == (result_json != NULL));
    CHECK((status == BOSBASE_STATUS_OK) == (error_json == NULL));
    pthread_mutex_lock(&o->lock);
    o->calls++;
    o->status = status;
    snprintf(o->text, sizeof o->text, "%s", result_json ? result_json : error_json);
    pthread_cond_broadcast(&o->done);
    pthread_mutex_unlock(&o->lock);
}

/* Waits until `o` has seen `calls` completions. */
static inline void wait_for(struct outcome *o, int calls) {
    pthread_mutex_lock(&o->lock);
    while (o->calls < calls) pthread_cond_wait(&o->done, &o->lock);
    pthread_mutex_unlock(&o->lock);
}
#endif
