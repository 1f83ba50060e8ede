#include "ssekit/version.h"

const char *ssekit_version(void)
{
    return SSEKIT_VERSION_STRING;
}
