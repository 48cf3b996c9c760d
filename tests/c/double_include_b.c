#include <stdio.h>
#include <string.h>

#include "bosbase.h"

const char *version_a(void);

int main(void) {
    int ok = strcmp(version_a(), BOSBASE_VERSION) == 0 && BOSBASE_ABI_VERSION >= 1;
    printf("header: %d passed, %d failed\n", ok, !ok);
    return ok ? 0 : 1;
}
