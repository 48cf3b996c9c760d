/* The JSON text a blocking method returns to GDScript:
 *   {"status": <BosbaseStatus>, "result": <core result JSON or null>, "error": <core error JSON or null>}
 * Both inner values are the core's JSON, embedded verbatim; GDScript parses the whole with
 * JSON.parse_string, so no error decoding happens here. */
#ifndef BOSBASE_GODOT_ENVELOPE_H
#define BOSBASE_GODOT_ENVELOPE_H

#include "bosbase.h"

/* malloc'd envelope (free with free()), NULL when out of memory. NULL JSON becomes `null`. */
char *envelope_new(BosbaseStatus status, const char *result_json, const char *error_json);

/* Builds the envelope of a core call and frees the core's strings. */
char *envelope_from_core(BosbaseStatus status, char *result_json, char *error_json);

/* An invalid_argument envelope for the few failures detected before reaching the core
 * (an argument C cannot carry, a second open()). `message` must need no JSON escaping. */
char *envelope_local_error(const char *message);

/* The envelope of a core call whose result is plain text (a filter, a cookie): the text
 * becomes a JSON string. Frees the core's strings. */
char *envelope_from_core_text(BosbaseStatus status, char *text, char *error_json);

/* {"oauth2Url": <url as a JSON string>}: the step of an OAuth2 flow that hands the
 * provider's URL to the script (queued under the call's id before its outcome). malloc'd;
 * NULL when out of memory. */
char *envelope_oauth2_url(const char *url);

/* malloc'd copy of `s` (NULL stays NULL). */
char *cstr_dup(const char *s);

#endif
