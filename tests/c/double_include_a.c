/* The header is included twice in this TU and again in double_include_b.c; both link. */
#include "bosbase.h"
#include "bosbase.h"

const char *version_a(void) { return bosbase_version(); }
